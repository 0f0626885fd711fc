"""In Chromium, clinic staff on a 390 px phone: the case page fits the screen without sideways
scrolling, and a police mismatch says in words which fields differ, dates as dd/mm/yyyy; in
Vietnamese (the default) and in English."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import browser_login
from tests.factories import CitizenFactory
from verification.models import PoliceVerification
from verification.police.services import police_decide
from verification.services import case_send_to_police, case_start_review

from .helpers import update_record

pytestmark = pytest.mark.browser

# The widest elements, to name what overflows when the page is too wide.
OVERFLOW = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _fits(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], (width, page.evaluate(OVERFLOW))


@pytest.fixture
def mismatch(reported_case, clinic_user, police_user):
    case = update_record(case_start_review(case=reported_case, actor=clinic_user), clinic_user)
    case_send_to_police(case=case, actor=clinic_user)
    police_decide(officer=police_user, case_id=case.pk, outcome=PoliceVerification.Outcome.MISMATCH,
                  correct_values={"date_of_birth": date(1944, 1, 19), "sex": "M"})
    case.refresh_from_db()
    return case


def _open(page, case):
    page.goto(f"{page.base_url}/verification/cases/{case.pk}/")


def test_a_police_mismatch_is_said_in_words_on_a_phone(phone_page, clinic_user, mismatch):
    page = phone_page
    browser_login(page, "clinic-hn")
    _open(page, mismatch)

    differences = page.inner_text("[data-testid=police-differences]")
    assert "Ngày sinh: 19/01/1944 trên CSDL quốc gia về dân cư" in differences
    assert "Giới tính: Nam trên CSDL quốc gia về dân cư" in differences
    assert "12/03/1991" in differences  # what the case says, beside it
    main = page.inner_text("main")
    assert "1944-01-19" not in main and "date_of_birth" not in main
    assert page.input_value("#id_identity-date_of_birth") == "19/01/1944"
    _fits(page)

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    differences = page.inner_text("[data-testid=police-differences]")
    assert "Date of birth: 19/01/1944 in the national population database" in differences
    assert "Sex: Male in the national population database" in differences
    _fits(page)


def test_a_case_with_candidates_fits_a_phone(phone_page, clinic_user, reported_case):
    CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12), cccd="001191004567",
                   phone="0912345678")
    CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 7, 1), phone="0912000111")
    # one digit off the claimed CCCD: its link asks for a confirmation and a reason
    CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12), cccd="001191004568",
                   phone="0912345678")
    case_start_review(case=reported_case, actor=clinic_user)
    page = phone_page
    browser_login(page, "clinic-hn")
    _open(page, reported_case)

    assert page.locator("form[action$='/link/'] button").count() >= 1
    assert page.locator("form[action$='/link/'] [data-testid=confirm-differences] textarea").count() == 1
    _fits(page)
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    _fits(page)
