"""A police answer that moves a case twice (identity confirmed, then queued for signature)
locks the case row once: the guards of each transition run on the row locked by
``case_lock``, not on a row locked again per transition."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CitizenFactory
from verification.models import PoliceVerification, ReconciliationCase
from verification.police.client import RegistryAnswer
from verification.police.services import claimed_identity, police_decide, registry_answer_apply
from verification.workflow import CaseStatus


@pytest.fixture
def awaiting_police(hanoi_facility):
    citizen = CitizenFactory(ward=hanoi_facility.ward)
    return ReconciliationCase.objects.create(
        origin=ReconciliationCase.Origin.CLINIC_ENTRY, status=CaseStatus.AWAITING_POLICE,
        full_name=citizen.full_name, birth_year=citizen.birth_year, date_of_birth=citizen.date_of_birth,
        sex=citizen.sex, id_number=citizen.cccd, ward=hanoi_facility.ward, facility=hanoi_facility,
        citizen=citizen)


def row_locks(queries) -> int:
    return sum(1 for q in queries if "FOR UPDATE" in q["sql"].upper()
               and "verification_reconciliationcase" in q["sql"])


@pytest.mark.django_db
def test_an_officers_match_locks_the_case_once_and_takes_both_transitions(awaiting_police, police_user):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: Django leaves FOR UPDATE out")
    with CaptureQueriesContext(connection) as queries:
        police_decide(officer=police_user, case_id=awaiting_police.pk,
                      outcome=PoliceVerification.Outcome.MATCH)

    assert row_locks(queries.captured_queries) == 1
    awaiting_police.refresh_from_db()
    assert awaiting_police.status == CaseStatus.AWAITING_SIGNATURE
    assert list(awaiting_police.events.values_list("transition", flat=True)) == ["verify_identity",
                                                                                 "queue_for_signature"]


@pytest.mark.django_db
def test_a_registry_match_locks_the_case_once_and_takes_both_transitions(awaiting_police, settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: Django leaves FOR UPDATE out")
    settings.POPULATION_REGISTRY_AUTO_VERIFY = True
    answer = RegistryAnswer(ref=str(awaiting_police.pk), outcome=PoliceVerification.Outcome.MATCH)
    with CaptureQueriesContext(connection) as queries:
        outcome = registry_answer_apply(case_id=awaiting_police.pk, answer=answer,
                                        sent=claimed_identity(awaiting_police), batch_id="b-1")

    assert outcome == "verified"
    assert row_locks(queries.captured_queries) == 1
    awaiting_police.refresh_from_db()
    assert awaiting_police.status == CaseStatus.AWAITING_SIGNATURE


@pytest.mark.django_db
def test_a_registry_answer_for_a_missing_case_is_skipped(db):
    answer = RegistryAnswer(ref="0", outcome=PoliceVerification.Outcome.MATCH)
    assert registry_answer_apply(case_id=0, answer=answer, sent={}, batch_id="b-1") == "skipped"
