"""'Next case': one officer per case, claims expire after 15 minutes, and 20 officers at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from tests.factories import make_user
from vaxrecon.errors import InvalidTransition
from verification.models import ReconciliationCase
from verification.police.services import case_claim_next, case_release, police_decide

from .conftest import awaiting_case

pytestmark = pytest.mark.django_db


def test_next_case_claims_the_oldest_case_for_fifteen_minutes(police_user, hanoi_facility):
    first = awaiting_case(facility=hanoi_facility)
    awaiting_case(facility=hanoi_facility, id_number="001090000011")
    claimed = case_claim_next(officer=police_user)
    assert claimed.pk == first.pk
    assert claimed.claimed_by == police_user
    remaining = claimed.claim_expires_at - timezone.now()
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)


def test_two_officers_get_different_cases_and_the_same_officer_keeps_theirs(
        police_user, second_police, hanoi_facility):
    cases = [awaiting_case(facility=hanoi_facility, id_number=f"0010900000{i:02d}") for i in range(2)]
    mine = case_claim_next(officer=police_user)
    theirs = case_claim_next(officer=second_police)
    assert {mine.pk, theirs.pk} == {c.pk for c in cases}
    assert case_claim_next(officer=police_user).pk == mine.pk
    assert case_claim_next(officer=make_user(Role.COMMUNE_POLICE, username="police-hn-3",
                                             ward=hanoi_facility.ward)) is None


def test_an_expired_claim_is_released_to_the_next_officer(police_user, second_police, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    case_claim_next(officer=police_user)
    ReconciliationCase.objects.filter(pk=case.pk).update(
        claim_expires_at=timezone.now() - timedelta(seconds=1))
    assert case_claim_next(officer=second_police).pk == case.pk
    with pytest.raises(InvalidTransition, match="Another officer"):
        police_decide(officer=police_user, case_id=case.pk, outcome="match")


def test_an_officer_cannot_answer_a_case_another_officer_holds(police_user, second_police, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    case_claim_next(officer=second_police)
    with pytest.raises(InvalidTransition):
        police_decide(officer=police_user, case_id=case.pk, outcome="not_found")
    case_release(officer=second_police, case_id=case.pk)
    police_decide(officer=police_user, case_id=case.pk, outcome="not_found")
    case.refresh_from_db()
    assert case.status == "not_found" and case.claimed_by is None


def test_an_outsider_never_claims_a_case_of_another_ward(outsider_police, hanoi_facility):
    awaiting_case(facility=hanoi_facility)
    assert case_claim_next(officer=outsider_police) is None


@pytest.mark.services
def test_twenty_officers_claiming_at_once_never_get_the_same_case(transactional_db, reference_data,
                                                                  hanoi_facility):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (SELECT ... FOR UPDATE SKIP LOCKED)")
    officers = [make_user(Role.COMMUNE_POLICE, username=f"officer-{i}", ward=hanoi_facility.ward)
                for i in range(20)]
    cases = [awaiting_case(facility=hanoi_facility, id_number=f"0010900001{i:02d}") for i in range(15)]
    barrier = threading.Barrier(len(officers))
    claims, errors = {}, []

    def work(officer):
        try:
            barrier.wait()
            case = case_claim_next(officer=officer)
            claims[officer.username] = case.pk if case else None
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(o,)) for o in officers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    got = [pk for pk in claims.values() if pk is not None]
    assert len(claims) == 20
    assert len(got) == len(set(got)) == 15  # every case claimed once; five officers find the queue empty
    assert set(got) == {c.pk for c in cases}
    holders = dict(ReconciliationCase.objects.values_list("pk", "claimed_by__username"))
    assert {pk: name for name, pk in claims.items() if pk} == holders
