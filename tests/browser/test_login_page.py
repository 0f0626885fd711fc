import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_a_clinic_user_logs_in_and_sees_their_facility(page, clinic_user):
    browser_login(page, "clinic-hn")
    assert page.locator("[data-role=clinic_staff]").is_visible()
    assert "Trạm Y tế Hoàn Kiếm" in page.inner_text("main")


def test_switching_to_english_translates_the_page(page, clinic_user):
    browser_login(page, "clinic-hn")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert "Log out" in page.inner_text("header")
