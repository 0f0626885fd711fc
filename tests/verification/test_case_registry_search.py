"""The case page, like the match review, says when the strongest candidates tie ("N people have
the same name and year of birth") and lets staff search the registry by CCCD/CMND, phone, or
name and date of birth; a citizen found is scored with the candidates and linked on the same
terms (a confirmation naming what differs, the search's keys in the audit event). The search is
behind the case's scope. In Chromium, Vietnamese then English."""

from __future__ import annotations

from datetime import date

import pytest

from records.models import AuditEvent, Ward
from records.normalize import parse_birth_date
from tests.conftest import browser_login
from tests.factories import CitizenFactory
from tests.verification.conftest import confirmed_report
from tests.verification.helpers import confirm_and_link
from vaxrecon.errors import InvalidInput
from verification.services import case_link_citizen, case_start_review

SEEN = {"vi": {"tied": "3 người trùng họ tên và năm sinh.", "none": "Không có công dân nào trên nền tảng",
               "legend": "Khác với thông tin phản ánh ở: CCCD/CMND", "search": "Tìm công dân trên nền tảng"},
        "en": {"tied": "3 people have the same name and year of birth.", "none": "No one in the registry has",
               "legend": "Differs from the claim in: CCCD/CMND", "search": "Search the registry"}}


@pytest.fixture
def tied_case(hanoi_facility, clinic_user):
    """A report with a name and a year of birth only (no CCCD), and three namesakes born that
    year living in the same other commune: nothing tells them apart."""
    elsewhere = Ward.objects.exclude(code=hanoi_facility.ward_id).order_by("code").first()
    for k in range(3):
        CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 1 + k, 5), ward=elsewhere)
    case = confirmed_report(hanoi_facility, id_number="", birth=parse_birth_date("1991"))
    return case_start_review(case=case, actor=clinic_user)


@pytest.fixture
def misspelt(hanoi_facility):
    """The reporter as the registry holds her: her name misspelt, another CCCD and phone, so the
    case's block (CCCD, phone, name and year) does not reach her."""
    return CitizenFactory(full_name="Trần Thị Lam", sex="F", date_of_birth=date(1991, 3, 12),
                          cccd="001191007654", phone="0987654321", ward=hanoi_facility.ward)


def open_case(page, case, lang):
    browser_login(page, "clinic-hn")
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.base_url}])
    page.goto(page.base_url + f"/verification/cases/{case.pk}/")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_case_page_says_how_many_people_tie(page, tied_case, lang):
    open_case(page, tied_case, lang)
    assert SEEN[lang]["tied"] in page.locator("[data-testid=tied]").inner_text()
    assert page.locator("[data-testid=registry-search] h3").inner_text() == SEEN[lang]["search"]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_staff_find_the_person_by_cccd_and_link_her_with_a_confirmation(page, case_in_review, misspelt, lang):
    open_case(page, case_in_review, lang)
    assert page.locator(f"table.candidates input[name=citizen][value='{misspelt.pk}']").count() == 0
    search = page.locator("[data-testid=registry-search]")
    search.locator("input[name=cccd]").fill("0011 9100 0000")
    with page.expect_navigation():
        search.locator("button[type=submit]").click()
    assert SEEN[lang]["none"] in page.locator("[data-testid=found]").inner_text()

    search = page.locator("[data-testid=registry-search]")
    search.locator("input[name=cccd]").fill("001191007654")
    with page.expect_navigation():
        search.locator("button[type=submit]").click()
    row = page.locator("[data-testid=found] table.candidates tbody tr")
    assert row.count() == 1 and "Trần Thị Lam" in row.inner_text()
    assert "001191007654" not in row.inner_text()  # masked as in every list
    assert row.locator("legend").inner_text() == SEEN[lang]["legend"]
    with page.expect_navigation():
        row.locator("button[type=submit]").click()  # not confirmed: refused, the search kept
    case_in_review.refresh_from_db()
    assert case_in_review.citizen_id is None
    row = page.locator("[data-testid=found] table.candidates tbody tr")
    confirm_and_link(page, row, "Đã gọi điện: tên bị gõ sai")
    case_in_review.refresh_from_db()
    assert case_in_review.citizen_id == misspelt.pk


def test_a_citizen_found_by_search_is_linked_with_the_search_keys_in_the_audit(clinic_user, case_in_review,
                                                                               misspelt):
    with pytest.raises(InvalidInput):  # not a candidate without the search that finds her
        case_link_citizen(case=case_in_review, actor=clinic_user, citizen_id=misspelt.pk, confirmed=True,
                          reason="Đã gọi điện")
    terms = {"cccd": "001191007654", "phone": "", "full_name": "", "date_of_birth": None}
    case_link_citizen(case=case_in_review, actor=clinic_user, citizen_id=misspelt.pk, confirmed=True,
                      reason="Đã gọi điện", search=terms)
    after = AuditEvent.objects.get(action="case.link_citizen").after
    assert (after["found_by_search"], after["differs_in"]) == (["cccd"], ["id_number"])


def test_the_search_answers_only_within_the_case_scope(client, clinic_user, case_in_review, misspelt,
                                                       other_clinic_user, neighbour_clinic_user, police_user):
    url = f"/verification/cases/{case_in_review.pk}/search/"
    for outsider, refused in ((other_clinic_user, 404), (neighbour_clinic_user, 404), (police_user, 403)):
        client.force_login(outsider)
        response = client.post(url, {"cccd": "001191007654"})
        assert response.status_code == refused
        assert "Trần Thị Lam" not in response.content.decode()
    client.force_login(clinic_user)
    assert "Trần Thị Lam" in client.post(url, {"cccd": "001191007654"}).content.decode()
    assert client.get(url).status_code == 405

