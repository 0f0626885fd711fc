"""In Chromium: a citizen reports a missing second dose on a phone; clinic staff resolve it."""

from datetime import date

import pytest

from tests.conftest import browser_login
from tests.factories import CitizenFactory

from .conftest import last_code
from .helpers import fill_report

pytestmark = pytest.mark.browser


def test_a_citizen_reports_and_the_clinic_sends_it_to_the_police(phone_page, page, clinic_user,
                                                                  hanoi_facility):
    CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12), cccd="001191004567",
                   phone="0912345678")
    citizen = phone_page
    fill_report(citizen, hanoi_facility.ward_id)
    citizen.fill("#id_facility_query", "hoan kiem")
    citizen.check(f"input[name=facility][value='{hanoi_facility.pk}']")
    # Phone-sized: the form fits the screen width.
    assert citizen.evaluate("document.documentElement.scrollWidth") <= 390
    citizen.click("button[type=submit].primary")
    citizen.wait_for_url("**/report/confirm/")
    citizen.fill("#id_code", last_code("0912345678"))
    citizen.click("button[type=submit].primary")
    citizen.wait_for_url("**/status/*/")
    tracking = citizen.inner_text("[data-testid=tracking-code]").strip()
    assert "Trần Thị Lan" in citizen.inner_text("main")
    assert citizen.get_attribute("[data-state]", "data-state") == "submitted"

    browser_login(page, "clinic-hn")
    # Selectors avoid visible text so the test holds in Vietnamese and in English.
    page.click("nav.mainnav a[href='/verification/queue/']")
    page.click(f"tr[data-case='{tracking}'] a")
    page.click("form[action$='/start_review/'] button")
    page.click("form[action$='/link/'] button")  # the one candidate: same CCCD, name and birth date
    page.click("form[action$='/add_dose/'] button")  # the form is filled from the claim
    assert page.get_attribute("[data-testid=case-state]", "class").endswith("state-record_updated")
    page.click("form[action$='/send_to_police/'] button")
    assert page.get_attribute("[data-testid=case-state]", "class").endswith("state-awaiting_police")

    citizen.reload()
    assert citizen.get_attribute("[data-state]", "data-state") == "awaiting_police"
    assert citizen.get_attribute("[aria-current=step]", "data-step") == "3"
