"""Bulk confirmation is offered on the queue when the registry's exact matches wait for an
officer, and the page says why there is nothing to confirm otherwise; in Vietnamese and English."""

import pytest

from tests.conftest import browser_login
from verification.police.services import registry_verify_pending

pytestmark = pytest.mark.browser


def _words(page, selector: str) -> str:
    return " ".join(page.inner_text(selector).split())


def test_before_the_registry_answers_the_queue_says_why_nothing_is_confirmable(
        page, registry, four_cases, police_user, settings):
    settings.LANGUAGE_CODE = "vi"
    browser_login(page, "police-hn")
    page.goto(page.base_url + "/verification/police/")
    assert page.locator("[data-testid=bulk-offer]").count() == 0
    why = _words(page, "[data-testid=bulk-none]")
    assert why.startswith("Chưa có gì để xác nhận hàng loạt")
    assert "được xác minh tự động" in why and "4 hồ sơ vẫn đang chờ cơ sở dữ liệu phản hồi." in why

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    why = _words(page, "[data-testid=bulk-none]")
    assert why.startswith("Nothing to confirm in bulk")
    assert "4 cases are still waiting for the database's answer." in why


def test_exact_matches_left_to_officers_are_offered_in_bulk(page, registry, four_cases, police_user,
                                                           settings):
    settings.LANGUAGE_CODE = "vi"
    settings.POPULATION_REGISTRY_AUTO_VERIFY = False
    registry_verify_pending()
    browser_login(page, "police-hn")
    page.goto(page.base_url + "/verification/police/")
    assert page.locator("[data-testid=bulk-none]").count() == 0
    offer = page.locator("[data-testid=bulk-offer] a")
    assert offer.is_visible() and offer.inner_text() == "Xác nhận hàng loạt 2 hồ sơ trùng khớp"
    with page.expect_navigation():
        offer.click()
    assert page.locator("input[name=case]:checked").count() == 2
    with page.expect_navigation():
        page.click("button.primary")
    assert "2" in page.inner_text(".messages")
    assert _words(page, "[data-testid=bulk-empty]") == \
        "Không có hồ sơ trùng khớp hoàn toàn nào đang chờ xác nhận."

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.goto(page.base_url + "/verification/police/")
    assert _words(page, "[data-testid=bulk-none]").startswith("Nothing to confirm in bulk")
    assert "verified automatically" not in _words(page, "[data-testid=bulk-none]")  # auto-verification is off
