"""Giving a claim back and confirming exact matches in bulk: what is stored and audited, and
which cases are touched (mutation run of verification/police/services.py, docs/TESTING.md)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from records.models import AuditEvent
from verification import workflow
from verification.models import ReconciliationCase
from verification.police.services import case_release, police_bulk_confirm, registry_verify_pending

from .conftest import awaiting_case

pytestmark = pytest.mark.django_db
S = workflow.CaseStatus


def held_by(case, officer, *, minutes: float = 10):
    ReconciliationCase.objects.filter(pk=case.pk).update(
        claimed_by=officer, claim_expires_at=timezone.now() + timedelta(minutes=minutes))


def claim_of(case):
    return ReconciliationCase.objects.values_list("claimed_by", "claim_expires_at").get(pk=case.pk)


def test_a_release_frees_that_case_only_and_is_audited(police_user, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    kept = awaiting_case(facility=hanoi_facility, id_number="001090000011")
    held_by(case, police_user)
    held_by(kept, police_user)

    case_release(officer=police_user, case_id=case.pk)

    assert claim_of(case) == (None, None)
    assert claim_of(kept)[0] == police_user.pk
    audit = AuditEvent.objects.get(action="case.release")
    assert (audit.actor, audit.actor_label, audit.object_type, audit.object_id, audit.after) == (
        police_user, police_user.username, "verification.reconciliationcase", str(case.pk),
        {"claimed_by": None})


def test_nobody_releases_another_officers_claim_or_a_case_outside_their_ward(
        police_user, second_police, outsider_police, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    held_by(case, police_user)
    case_release(officer=second_police, case_id=case.pk)
    assert claim_of(case)[0] == police_user.pk
    held_by(case, outsider_police)  # a row naming an officer of another ward (never given by a claim)
    case_release(officer=outsider_police, case_id=case.pk)
    assert claim_of(case)[0] == outsider_police.pk
    assert not AuditEvent.objects.filter(action="case.release").exists()


@pytest.fixture
def matched(registry, settings, hanoi_facility):
    """Two cases the registry matched exactly, left to the officers, and one it did not."""
    settings.POPULATION_REGISTRY_AUTO_VERIFY = False
    cases = [awaiting_case(facility=hanoi_facility),
             awaiting_case(full_name="Lê Văn Nam", date_of_birth=date(1995, 11, 20), id_number="012345678",
                           facility=hanoi_facility),
             awaiting_case(full_name="Đỗ Minh Tuấn", date_of_birth=date(1999, 1, 1), id_number="001099000099",
                           facility=hanoi_facility)]
    registry_verify_pending()
    return cases


def test_bulk_confirmation_goes_past_a_skipped_case_and_says_why_on_the_timeline(matched, police_user):
    first, second, not_found = matched
    result = police_bulk_confirm(officer=police_user, case_ids=[not_found.pk, first.pk, first.pk, second.pk])
    assert (result.confirmed, result.skipped) == ([first.pk, second.pk], [not_found.pk])
    for case in (first, second):
        case.refresh_from_db()
        assert case.status == S.AWAITING_SIGNATURE
        verification = case.verifications.get(source="officer")
        assert (verification.officer, verification.note) == (
            police_user, "Confirmed in bulk: exact match in the population database.")
    assert ReconciliationCase.objects.get(pk=not_found.pk).status == S.AWAITING_POLICE


def test_bulk_confirmation_keeps_the_officers_own_note(matched, police_user):
    police_bulk_confirm(officer=police_user, case_ids=[matched[0].pk], note="Đã xem hồ sơ")
    assert matched[0].verifications.get(source="officer").note == "Đã xem hồ sơ"


def test_an_officer_confirms_in_bulk_a_case_they_hold_themselves(matched, police_user):
    held_by(matched[0], police_user)
    result = police_bulk_confirm(officer=police_user, case_ids=[matched[0].pk])
    assert result.confirmed == [matched[0].pk]
    assert claim_of(matched[0]) == (None, None)
