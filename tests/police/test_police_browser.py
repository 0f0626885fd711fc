"""An officer works the queue in a real browser, with the keyboard, on a phone screen."""

import pytest

from tests.conftest import browser_login
from verification.models import ReconciliationCase
from verification.police.services import registry_verify_pending

pytestmark = pytest.mark.browser


def test_an_officer_takes_the_next_case_and_sends_a_mismatch_back_to_the_clinic(
        page, registry, four_cases, police_user):
    registry_verify_pending()
    browser_login(page, "police-hn")
    page.goto(page.base_url + "/verification/police/")
    assert page.locator("[data-count=registry_mismatch] .num").inner_text() == "1"
    # "Next case" has the focus: Enter claims the first case (the registry's mismatch).
    page.keyboard.press("Enter")
    page.wait_for_url("**/verification/police/cases/*/")
    case = four_cases["mismatch"]
    assert case.tracking_code in page.inner_text("h1")
    marks = page.locator("tr[data-field=full_name] td.registry mark.diff").all_inner_texts()
    assert marks == ["ầ", "ị"]
    assert page.input_value("#id_full_name") == "Trần Thị Mai"
    page.fill("#id_note", "Đối chiếu CCCD")
    page.click("button[value=mismatch]")
    page.wait_for_url("**/verification/police/")
    assert case.tracking_code in page.inner_text(".messages")
    stored = ReconciliationCase.objects.get(pk=case.pk)
    assert (stored.status, stored.police_values) == ("identity_mismatch", {"full_name": "Trần Thị Mai"})


def test_the_case_view_fits_a_phone_screen(phone_page, registry, four_cases, police_user):
    registry_verify_pending()
    browser_login(phone_page, "police-hn")
    phone_page.goto(phone_page.base_url + f"/verification/police/cases/{four_cases['not_found'].pk}/")
    assert phone_page.locator("[data-testid=registry-answer]").is_visible()
    assert set(phone_page.locator("td.registry").all_inner_texts()) == {"—"}  # nothing to compare with
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    button = phone_page.locator("button[value=not_found]")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] > 300  # full-width touch target
    button.click()
    phone_page.wait_for_url("**/verification/police/")
    assert ReconciliationCase.objects.get(pk=four_cases["not_found"].pk).status == "not_found"
