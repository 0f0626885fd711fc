"""Commune police through the API (their browser session): the ward's queue, next case, a case with
the registry's answer, decisions through police_decide, release and bulk confirmation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from records.models import AuditEvent, Ward
from tests.api.conftest import assert_problem, post, session_client
from tests.factories import HCM_PROVINCE, make_user
from verification import workflow
from verification.models import PoliceVerification, ReconciliationCase
from verification.services import case_transition
from verification.workflow import CaseStatus

pytestmark = pytest.mark.django_db
URL = "/api/v1/police/"


def awaiting_police(ward, *, id_number="001191004567", name="Trần Thị Lan") -> ReconciliationCase:
    case = ReconciliationCase.objects.create(
        origin=ReconciliationCase.Origin.CLINIC_ENTRY,
        status=CaseStatus.RECORD_UPDATED,
        confirmed=True,
        full_name=name,
        birth_year=1991,
        sex="F",
        id_number=id_number,
        ward=ward,
        deadline_at=timezone.now() + timedelta(hours=48),
    )
    return case_transition(case=case, name="send_to_police", actor=workflow.SYSTEM)


@pytest.fixture
def officer(police_user):
    return session_client(police_user)


@pytest.fixture
def case(hanoi_facility):
    return awaiting_police(hanoi_facility.ward)


@pytest.fixture
def other_officer(reference_data):
    ward = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    return session_client(make_user(Role.COMMUNE_POLICE, username="police-hcm", ward=ward))


def test_the_queue_holds_the_ward_s_cases_masked(officer, other_officer, case):
    body = officer.get(f"{URL}queue/").json()
    assert [c["id"] for c in body["results"]] == [case.pk]
    assert "001191004567" not in str(body) and body["results"][0]["waiting_since"]
    assert other_officer.get(f"{URL}queue/").json()["results"] == []


def test_next_claims_the_case_and_its_page_shows_the_claimed_identity(officer, police_user, case):
    claimed = post(officer, f"{URL}next/").json()
    assert claimed["id"] == case.pk and claimed["claimed_by"] == police_user.pk
    assert claimed["claimed"]["id_number"] == "001191004567"
    assert AuditEvent.objects.filter(action="case.claim", object_id=str(case.pk)).exists()
    released = post(officer, f"{URL}cases/{case.pk}/release/").json()
    assert released["claimed_by"] is None


def test_an_empty_queue_answers_204(officer, reference_data):
    assert post(officer, f"{URL}next/").status_code == 204


def test_a_confirmation_moves_the_case_on_to_signature(officer, police_user, case):
    response = post(officer, f"{URL}cases/{case.pk}/decision/", {"outcome": "match", "note": "Khớp CSDL"})
    assert response.status_code == 201, response.json()
    assert response.json()["case_status"] == CaseStatus.AWAITING_SIGNATURE
    verification = PoliceVerification.objects.get(case=case)
    assert verification.officer == police_user and verification.source == PoliceVerification.Source.OFFICER
    assert AuditEvent.objects.filter(action="case.verify_identity", actor=police_user).exists()


def test_a_mismatch_without_correct_values_is_refused_and_nothing_changes(officer, case):
    assert_problem(
        post(officer, f"{URL}cases/{case.pk}/decision/", {"outcome": "mismatch"}), 400, "invalid_input"
    )
    assert_problem(
        post(officer, f"{URL}cases/{case.pk}/decision/", {"outcome": "maybe"}),
        400,
        "invalid_input",
        field="outcome",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_POLICE and not PoliceVerification.objects.exists()
    body = post(
        officer, f"{URL}cases/{case.pk}/decision/", {"outcome": "mismatch", "id_number": "001191004568"}
    )
    assert body.json()["case_status"] == CaseStatus.IDENTITY_MISMATCH


def test_another_ward_s_officer_gets_404_and_other_roles_403(other_officer, clinic_api, case):
    assert_problem(other_officer.get(f"{URL}cases/{case.pk}/"), 404, "not_found")
    assert_problem(
        post(other_officer, f"{URL}cases/{case.pk}/decision/", {"outcome": "match"}), 404, "not_found"
    )
    assert_problem(clinic_api.get(f"{URL}queue/"), 403, "not_allowed")
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_POLICE


def test_bulk_confirm_confirms_exact_matches_and_skips_the_rest(officer, case, hanoi_facility):
    unanswered = awaiting_police(hanoi_facility.ward, id_number="001191004569", name="Lê Văn An")
    PoliceVerification.objects.create(
        case=case, source=PoliceVerification.Source.REGISTRY, outcome=PoliceVerification.Outcome.MATCH
    )
    body = post(officer, f"{URL}bulk-confirm/", {"cases": [case.pk, unanswered.pk]}).json()
    assert body == {"confirmed": [case.pk], "skipped": [unanswered.pk]}
    assert_problem(post(officer, f"{URL}bulk-confirm/", {"cases": []}), 400, "invalid_input", field="cases")
