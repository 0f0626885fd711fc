"""Dates are typed and shown as dd/mm/yyyy on every page with a date input (no browser date
picker whose format follows the machine's locale), in Vietnamese and in English."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import browser_login

pytestmark = pytest.mark.browser

# (user, page, the date inputs it has)
PAGES = [
    ("police-hn", "/verification/police/report/", ["start", "end"]),
    ("province-hn", "/reports/", ["start", "end"]),
    ("province-hn", "/reports/daily/", ["day"]),
    ("province-hn", "/reports/export/", ["start", "end"]),
]


def login_in(page, user: str, lang: str) -> None:
    browser_login(page, user)  # the browser asks for Vietnamese
    if lang != "vi":
        with page.expect_navigation():
            page.select_option("select[name=language]", lang)


def _dmy(day) -> str:
    return day.strftime("%d/%m/%Y")


def type_period(page, *, days: int, lang: str, user: str, url: str):
    """Log in, open `url`, type the last `days` days as dd/mm/yyyy and send the form (Enter)."""
    today = timezone.localdate()
    start = today - timedelta(days=days)
    login_in(page, user, lang)
    page.goto(page.base_url + url)
    page.fill("input[name=start]", _dmy(start))
    page.fill("input[name=end]", _dmy(today))
    with page.expect_navigation():
        page.locator("input[name=end]").press("Enter")
    return start, today


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_date_input_takes_and_shows_dd_mm_yyyy(page, police_user, provincial_user, lang):
    for user in ("police-hn", "province-hn"):
        login_in(page, user, lang)
        for who, url, names in PAGES:
            if who != user:
                continue
            page.goto(page.base_url + url)
            assert page.locator("input[type=date]").count() == 0, url
            for name in names:
                field = page.locator(f"form input[name={name}]").first
                assert field.get_attribute("placeholder") == "dd/mm/yyyy", (url, name)
                value = field.input_value()
                assert value == "" or (len(value) == 10 and value[2] == value[5] == "/"), (url, name, value)
        page.context.clear_cookies()


@pytest.mark.parametrize(("lang", "says"), [("vi", "Từ {} đến {}"), ("en", "From {} to {}")])
def test_the_police_report_takes_a_period_typed_as_dd_mm_yyyy(page, police_user, lang, says):
    start, today = type_period(page, days=3, lang=lang, user="police-hn", url="/verification/police/report/")
    assert says.format(_dmy(start), _dmy(today)) in page.inner_text("main")
    assert page.input_value("input[name=start]") == _dmy(start)
    page.fill("input[name=start]", "31/02/2026")
    with page.expect_navigation():
        page.click("main form.card button[type=submit]")
    wanted = "Nhập ngày theo dạng dd/mm/yyyy." if lang == "vi" else "Write the date as dd/mm/yyyy."
    assert wanted in page.inner_text("main")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_dashboard_takes_a_period_typed_as_dd_mm_yyyy(page, provincial_user, lang):
    start, _today = type_period(page, days=5, lang=lang, user="province-hn", url="/reports/")
    assert page.input_value("input[name=start]") == _dmy(start)
    assert _dmy(start) in page.inner_text(".period")
