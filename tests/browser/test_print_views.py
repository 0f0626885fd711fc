"""Printing the case page, the police daily report and the daily report: the content on A4
without the menu, the language and log-out controls, forms or buttons; in Vietnamese and English."""

import pytest

from reports.services import build_days
from tests.conftest import browser_login
from tests.reports.fixtures_figures import DAY, build_scenario
from tests.verification.conftest import confirmed_report

pytestmark = pytest.mark.browser


def login_in(page, user: str, lang: str) -> None:
    browser_login(page, user)
    if lang != "vi":
        with page.expect_navigation():
            page.select_option("select[name=language]", lang)


def printed(page, url: str) -> None:
    """Open `url` as the printer sees it, and check the page's controls are not printed."""
    page.goto(page.base_url + url)
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    assert not page.locator("select[name=language]").is_visible()
    assert all(not b.is_visible() for b in page.locator("main button").all())
    assert page.locator("main h1").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


@pytest.mark.parametrize(("lang", "state"), [("vi", "Đã gửi"), ("en", "Submitted")])
def test_the_case_page_prints_the_case_without_the_controls(page, clinic_user, hanoi_facility, lang, state):
    case = confirmed_report(hanoi_facility)
    login_in(page, "clinic-hn", lang)
    printed(page, f"/verification/cases/{case.pk}/")
    assert case.tracking_code in page.inner_text("main h1")
    assert state in page.inner_text("main")


@pytest.mark.parametrize(("lang", "title"), [("vi", "Báo cáo kết quả xác minh hằng ngày của công an"),
                                             ("en", "Daily police verification report")])
def test_the_police_daily_report_prints_its_tables(page, police_user, lang, title):
    login_in(page, "police-hn", lang)
    printed(page, "/verification/police/report/")
    assert page.inner_text("main h1") == title
    assert page.locator("[data-testid=daily]").is_visible()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_daily_report_prints_its_figures(page, provincial_user, hanoi_facility, lang):
    build_scenario(hanoi_facility)
    build_days(start=DAY, end=DAY)
    login_in(page, "province-hn", lang)
    printed(page, f"/reports/daily/?day={DAY.isoformat()}")
    assert page.locator("[data-figure]").first.is_visible()
