"""The registry batch: each answer applied once, per outcome; nothing lost while the registry is down."""

from datetime import timedelta

import pytest
from django.utils import timezone

from records.models import AuditEvent
from vaxrecon.access import scope_for
from verification import workflow
from verification.models import CaseEvent, PoliceVerification, ReconciliationCase, RegistryCircuit
from verification.police import selectors
from verification.police.client import RegistryAnswer, RegistryUnavailable
from verification.police.services import (
    claimed_identity,
    police_decide,
    registry_answer_apply,
    registry_verify_pending,
)
from verification.police.tasks import verify_identities_batch
from verification.services import case_transition

S = workflow.CaseStatus
pytestmark = pytest.mark.django_db


def status(case):
    return ReconciliationCase.objects.get(pk=case.pk).status


def test_exact_matches_are_verified_by_the_registry_and_queued_for_signature(registry, four_cases):
    summary = registry_verify_pending()
    assert summary.results == {"verified": 2, "for_officer": 2}
    for key in ("match", "cmnd_match"):
        case = four_cases[key]
        assert status(case) == S.AWAITING_SIGNATURE
        verification = PoliceVerification.objects.get(case=case)
        assert (verification.source, verification.outcome) == ("registry", "match")
        assert list(CaseEvent.objects.filter(case=case,
                                             transition__in=["verify_identity", "queue_for_signature"])
                    .values_list("transition", "actor_label")) == [("verify_identity", "system"),
                                                                   ("queue_for_signature", "system")]
        assert AuditEvent.objects.filter(object_id=str(case.pk), action="case.verify_identity").exists()


def test_mismatches_and_not_found_wait_in_the_commune_police_queue_with_the_registry_answer(
        registry, four_cases, police_user):
    registry_verify_pending()
    mismatch, not_found = four_cases["mismatch"], four_cases["not_found"]
    assert status(mismatch) == status(not_found) == S.AWAITING_POLICE
    answer = selectors.registry_answer(case=mismatch)
    assert answer.outcome == "mismatch" and answer.registry_values == {"full_name": "Trần Thị Mai"}
    assert selectors.registry_answer(case=not_found).outcome == "not_found"
    queue = list(selectors.police_queue(scope=scope_for(police_user)))
    assert [c.pk for c in queue] == [mismatch.pk, not_found.pk]
    counts = selectors.queue_counts(scope=scope_for(police_user))
    assert (counts["registry_mismatch"], counts["registry_not_found"],
            counts["awaiting_registry"]) == (1, 1, 0)


def test_a_second_run_sends_nothing_and_applies_nothing_twice(registry, four_cases):
    registry_verify_pending()
    again = registry_verify_pending()
    assert again.sent == 0
    assert PoliceVerification.objects.count() == 4
    assert CaseEvent.objects.filter(transition="verify_identity").count() == 2


def test_cases_go_in_batches_of_the_configured_size(registry, four_cases, settings):
    settings.POPULATION_REGISTRY_BATCH_SIZE = 3
    summary = registry_verify_pending()
    assert (summary.batches, summary.sent) == (2, 4)


def test_with_the_registry_down_cases_stay_queued_and_nothing_is_half_applied(
        dead_registry_url, four_cases, police_user, client):
    with pytest.raises(RegistryUnavailable):
        registry_verify_pending()
    assert set(ReconciliationCase.objects.values_list("status", flat=True)) == {S.AWAITING_POLICE}
    assert PoliceVerification.objects.count() == 0
    # Run in-process (as in the eager demo mode), the task returns at once and says so; the pages say
    # verification is delayed.
    assert verify_identities_batch.apply().get()["delayed"] is True
    client.force_login(police_user)
    page = client.get("/verification/police/").content.decode()
    assert "Verification delayed" in page


def test_when_the_registry_comes_back_every_case_is_applied_exactly_once(
        dead_registry_url, registry, four_cases, settings, client, police_user):
    settings.POPULATION_REGISTRY_URL = dead_registry_url
    for _ in range(2):
        with pytest.raises(RegistryUnavailable):
            registry_verify_pending()
    assert PoliceVerification.objects.count() == 0
    settings.POPULATION_REGISTRY_URL = registry.url
    RegistryCircuit.objects.update(opened_until=timezone.now() - timedelta(seconds=1))  # cooldown over
    result = verify_identities_batch.apply().get()
    assert result["delayed"] is False and result["verified"] == 2 and result["for_officer"] == 2
    assert verify_identities_batch.apply().get()["sent"] == 0
    assert PoliceVerification.objects.count() == 4
    assert ReconciliationCase.objects.filter(status=S.AWAITING_SIGNATURE).count() == 2
    client.force_login(police_user)
    assert "Verification delayed" not in client.get("/verification/police/").content.decode()


def test_an_answer_for_a_case_that_moved_meanwhile_is_skipped(registry, four_cases, police_user):
    case = four_cases["match"]
    police_decide(officer=police_user, case_id=case.pk, outcome="not_found")
    result = registry_answer_apply(case_id=case.pk, answer=RegistryAnswer(ref=str(case.pk), outcome="match"),
                                   sent=claimed_identity(case), batch_id="b1")
    assert result == "skipped"
    assert status(case) == S.NOT_FOUND
    assert not PoliceVerification.objects.filter(case=case, source="registry").exists()


def test_a_match_for_a_case_an_officer_is_working_on_is_stored_but_left_to_the_officer(
        registry, four_cases, police_user):
    case = four_cases["match"]
    ReconciliationCase.objects.filter(pk=case.pk).update(
        claimed_by=police_user, claim_expires_at=timezone.now() + timedelta(minutes=5))
    assert registry_answer_apply(case_id=case.pk, answer=RegistryAnswer(ref=str(case.pk), outcome="match"),
                                 sent=claimed_identity(case), batch_id="b1") == "for_officer"
    assert status(case) == S.AWAITING_POLICE
    assert selectors.registry_answer(case=case).outcome == "match"


def test_a_case_an_officer_opened_before_the_registry_answered_stays_in_the_batch(
        registry, four_cases, police_user):
    case = four_cases["match"]
    ReconciliationCase.objects.filter(pk=case.pk).update(
        claimed_by=police_user, claim_expires_at=timezone.now() + timedelta(minutes=5))
    assert registry_verify_pending().sent == 4
    # The answer waits for the officer who holds the case: nothing applied over their head.
    assert selectors.registry_answer(case=case).outcome == "match"
    assert status(case) == S.AWAITING_POLICE


def test_without_auto_verification_exact_matches_wait_for_an_officer(registry, four_cases, settings):
    settings.POPULATION_REGISTRY_AUTO_VERIFY = False
    assert registry_verify_pending().results == {"for_officer": 4}
    assert status(four_cases["match"]) == S.AWAITING_POLICE


def test_a_case_corrected_by_the_clinic_and_sent_again_is_checked_again(registry, four_cases, police_user):
    registry_verify_pending()
    case = four_cases["mismatch"]
    police_decide(officer=police_user, case_id=case.pk, outcome="mismatch",
                  correct_values={"full_name": "Trần Thị Mai"})
    case_transition(case=case.pk, name="update_record", actor=workflow.SYSTEM,
                    updates={"full_name": "Trần Thị Mai"})
    case_transition(case=case.pk, name="send_to_police", actor=workflow.SYSTEM)
    summary = registry_verify_pending()
    assert (summary.sent, summary.results) == (1, {"verified": 1})
    assert status(case) == S.AWAITING_SIGNATURE
