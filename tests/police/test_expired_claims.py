"""A claim that has run out blocks nobody: not another officer's answer, not the registry batch,
not the bulk confirmation, and it no longer counts as someone working on the case. Each place
that reads a claim is checked here on both sides of the expiry."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidTransition
from verification import workflow
from verification.models import ReconciliationCase
from verification.police import selectors
from verification.police.client import RegistryAnswer
from verification.police.services import (
    case_claim_next,
    claimed_identity,
    police_bulk_confirm,
    police_decide,
    registry_answer_apply,
    registry_verify_pending,
)

from .conftest import awaiting_case

pytestmark = pytest.mark.django_db
S = workflow.CaseStatus


def held_by(case, officer, *, minutes: float):
    """`officer` holds `case` until `minutes` from now (negative: the claim ran out that long ago)."""
    ReconciliationCase.objects.filter(pk=case.pk).update(
        claimed_by=officer, claim_expires_at=timezone.now() + timedelta(minutes=minutes))


def test_another_officer_answers_a_case_whose_claim_ran_out_without_claiming_it(
        police_user, second_police, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    case_claim_next(officer=police_user)
    held_by(case, police_user, minutes=-0.02)
    police_decide(officer=second_police, case_id=case.pk, outcome="not_found")
    case.refresh_from_db()
    assert case.status == S.NOT_FOUND
    assert case.claimed_by is None and case.claim_expires_at is None
    assert case.verifications.get().officer == second_police


def test_a_claim_a_minute_from_running_out_still_blocks_the_other_officer(
        police_user, second_police, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    held_by(case, police_user, minutes=1)
    with pytest.raises(InvalidTransition, match="Another officer"):
        police_decide(officer=second_police, case_id=case.pk, outcome="not_found")
    case.refresh_from_db()
    assert case.status == S.AWAITING_POLICE and case.claimed_by == police_user
    assert not case.verifications.exists()


def test_the_registry_batch_verifies_a_match_whose_claim_ran_out_and_leaves_a_held_one_to_its_officer(
        registry, four_cases, police_user):
    held_by(four_cases["match"], police_user, minutes=-1)
    held_by(four_cases["cmnd_match"], police_user, minutes=5)
    assert registry_verify_pending().sent == 4  # a claim never takes a case out of the batch
    four_cases["match"].refresh_from_db()
    four_cases["cmnd_match"].refresh_from_db()
    assert four_cases["match"].status == S.AWAITING_SIGNATURE
    assert four_cases["cmnd_match"].status == S.AWAITING_POLICE
    assert selectors.registry_answer(case=four_cases["cmnd_match"]).outcome == "match"


def test_an_exact_match_on_a_case_whose_claim_ran_out_is_verified_by_the_registry(
        registry, four_cases, police_user):
    case = four_cases["match"]
    held_by(case, police_user, minutes=-1)
    result = registry_answer_apply(case_id=case.pk, answer=RegistryAnswer(ref=str(case.pk), outcome="match"),
                                   sent=claimed_identity(case), batch_id="b1")
    assert result == "verified"
    case.refresh_from_db()
    assert case.status == S.AWAITING_SIGNATURE


def test_bulk_confirmation_takes_a_match_whose_claim_ran_out_and_skips_one_still_held(
        registry, settings, police_user, second_police, hanoi_facility):
    settings.POPULATION_REGISTRY_AUTO_VERIFY = False
    lapsed = awaiting_case(facility=hanoi_facility)
    held = awaiting_case(full_name="Lê Văn Nam", date_of_birth=date(1995, 11, 20),
                         id_number="012345678", facility=hanoi_facility)
    registry_verify_pending()
    held_by(lapsed, police_user, minutes=-1)
    held_by(held, police_user, minutes=5)
    assert [c.pk for c in selectors.bulk_confirmable(scope=scope_for(second_police),
                                                     officer_id=second_police.pk)] == [lapsed.pk]
    result = police_bulk_confirm(officer=second_police, case_ids=[lapsed.pk, held.pk])
    assert (result.confirmed, result.skipped) == ([lapsed.pk], [held.pk])
    assert ReconciliationCase.objects.get(pk=lapsed.pk).status == S.AWAITING_SIGNATURE
    assert ReconciliationCase.objects.get(pk=held.pk).status == S.AWAITING_POLICE


def test_the_queue_counts_only_claims_still_running(police_user, hanoi_facility):
    lapsed = awaiting_case(facility=hanoi_facility)
    held = awaiting_case(facility=hanoi_facility, id_number="001090000011")
    held_by(lapsed, police_user, minutes=-1)
    held_by(held, police_user, minutes=5)
    assert selectors.queue_counts(scope=scope_for(police_user))["claimed"] == 1
