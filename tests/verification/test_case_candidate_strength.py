"""The case page's candidates carry the engine's verdict in words, and one the evidence is
against (log-odds <= 0) is not offered as the person: no button, and the service refuses it.
In Chromium, Vietnamese then English."""

from __future__ import annotations

from datetime import date

import pytest

from records.models import Ward
from tests.conftest import browser_login
from tests.factories import CitizenFactory
from vaxrecon.errors import InvalidInput
from verification.selectors import case_candidates
from verification.services import case_link_citizen, case_start_review


@pytest.fixture
def people(reference_data, hanoi_facility):
    """The reporter herself, and a namesake of the same year the evidence is against."""
    elsewhere = Ward.objects.exclude(province_id=hanoi_facility.ward.province_id).order_by("code").first()
    return {
        "lan": CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12),
                              cccd="001191004567", phone="0912345678", ward=hanoi_facility.ward),
        "namesake": CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 11, 30),
                                   cccd="079191000321", phone="0987000321", ward=elsewhere),
    }


@pytest.fixture
def in_review(reported_case, clinic_user, people):
    case = case_start_review(case=reported_case, actor=clinic_user)
    verdicts = {c.citizen.pk: c.strength for c in case_candidates(case)}
    # The engine's verdicts: the namesake below its review threshold (or scored <= 0).
    assert verdicts[people["namesake"].pk] == "unlikely" and verdicts[people["lan"].pk] != "unlikely"
    return case


@pytest.mark.django_db
def test_a_candidate_the_evidence_is_against_cannot_be_linked(in_review, clinic_user, people):
    with pytest.raises(InvalidInput) as exc:
        case_link_citizen(case=in_review, actor=clinic_user, citizen_id=people["namesake"].pk)

    assert "evidence is against" in exc.value.message
    in_review.refresh_from_db()
    assert in_review.citizen_id is None


@pytest.mark.browser
def test_the_case_page_says_how_strong_each_candidate_is(page, clinic_user, in_review, people):
    browser_login(page, "clinic-hn")
    page.goto(f"{page.base_url}/verification/cases/{in_review.pk}/")

    rows = page.locator("table.candidates tbody tr")
    first, second = rows.nth(0), rows.nth(1)
    assert first.locator(f"input[name=citizen][value='{people['lan'].pk}']").count() == 1  # strongest first
    assert "là cùng một người" in first.locator(".strength").inner_text()
    assert second.locator(".strength").inner_text() == "Khó là cùng một người"
    assert second.locator("form").count() == 0 and "bằng chứng" in second.inner_text()
    assert not any(ch.isdigit() for ch in first.locator(".strength").inner_text())  # no raw weight

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    second = page.locator("table.candidates tbody tr").nth(1)
    assert second.locator(".strength").inner_text() == "Unlikely to be the same person"
    assert "Cannot be chosen: the evidence is against it." in second.inner_text()
