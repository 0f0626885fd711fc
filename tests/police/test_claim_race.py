"""Two officers claiming at the same moment, on PostgreSQL with two connections: the second
passes over the row the first has locked instead of waiting for it (SKIP LOCKED), and each claim
leaves an audit row naming its case (mutation run of verification/police/services.py,
docs/TESTING.md)."""

import threading

import pytest
from django.db import connection
from django.db.utils import OperationalError

from records.models import AuditEvent
from verification.models import ReconciliationCase
from verification.police import services
from verification.police.services import case_claim_next

from .conftest import awaiting_case


def claim_rows(case):
    return list(AuditEvent.objects.filter(action="case.claim", object_id=str(case.pk))
                .values_list("object_type", "actor__username", "after"))


def test_a_claim_leaves_an_audit_row_naming_the_case_the_officer_and_the_expiry(db, police_user,
                                                                                hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    claimed = case_claim_next(officer=police_user)
    assert claim_rows(case) == [("verification.reconciliationcase", "police-hn",
                                 {"claimed_by": police_user.pk,
                                  "claim_expires_at": claimed.claim_expires_at.isoformat()})]
    case_claim_next(officer=police_user)  # the case already held: no second claim row
    assert len(claim_rows(case)) == 1


@pytest.mark.services
def test_an_officer_passes_over_the_case_another_officer_is_claiming_instead_of_waiting(
        transactional_db, reference_data, hanoi_facility, police_user, second_police, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (SELECT ... FOR UPDATE SKIP LOCKED)")
    first = awaiting_case(facility=hanoi_facility)
    second = awaiting_case(facility=hanoi_facility, id_number="001090000011")
    holding, go_on = threading.Event(), threading.Event()
    real_record_event = services.record_event
    results, errors = {}, []

    def record_then_hold(**kwargs):
        # Officer A's claim stops inside its transaction, its row locked and updated, uncommitted.
        real_record_event(**kwargs)
        if threading.current_thread().name == "officer-a":
            holding.set()
            go_on.wait(30)

    monkeypatch.setattr(services, "record_event", record_then_hold)

    def officer_a():
        try:
            results["a"] = case_claim_next(officer=police_user).pk
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            holding.set()
            connection.close()

    thread = threading.Thread(target=officer_a, name="officer-a")
    thread.start()
    try:
        assert holding.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # waiting for A's row would fail here
        try:
            results["b"] = case_claim_next(officer=second_police).pk
        except OperationalError as exc:
            pytest.fail(f"officer B waited for the row officer A holds: {exc}")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    finally:
        go_on.set()
        thread.join(30)
    assert errors == []
    assert results == {"a": first.pk, "b": second.pk}
    holders = dict(ReconciliationCase.objects.values_list("pk", "claimed_by__username"))
    assert holders == {first.pk: "police-hn", second.pk: "police-hn-2"}
    assert [row[1] for row in claim_rows(first)] == ["police-hn"]
    assert [row[1] for row in claim_rows(second)] == ["police-hn-2"]
