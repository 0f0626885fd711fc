"""The set-wise transition (``cases_transition_bulk``) writes what ``case_transition`` writes.

The same case is moved by ``case_transition`` (ORM, rolled back), by the Python path of
the set-wise one (rolled back) and, on PostgreSQL, by its one SQL statement; the case row,
the CaseEvent and the AuditEvent (before/after JSON parsed, key by key) must be equal.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from accounts.models import Role
from records.models import AuditEvent, InjectionRecord
from tests.factories import CitizenFactory, InjectionRecordFactory, make_user
from verification.models import CaseEvent, ReconciliationCase, TaskOutbox
from verification.services.transitions import case_transition, cases_transition_bulk
from verification.workflow import CaseStatus

NOW = dt.datetime(2026, 11, 30, 8, 15, 42, 654321, tzinfo=dt.UTC)
DONE = (InjectionRecord.Status.SIGNED, InjectionRecord.Status.SUPERSEDED)
PATHS = ["python", "sql"] if connection.vendor == "postgresql" else ["python"]


class _Rollback(Exception):
    pass


@pytest.fixture
def signer_user(hanoi_facility):
    return make_user(Role.SIGNER, username="signer-hn", ward=hanoi_facility.ward)


@pytest.fixture
def frozen_now(monkeypatch):
    """Both paths read the clock once per call: the same instant makes closed_at comparable."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW


def make_case(facility, *, status, doses=1, dose_status=InjectionRecord.Status.SIGNED):
    citizen = CitizenFactory(ward=facility.ward)
    case = ReconciliationCase.objects.create(
        origin=ReconciliationCase.Origin.CLINIC_ENTRY, status=status, full_name=citizen.full_name,
        birth_year=citizen.birth_year, date_of_birth=citizen.date_of_birth, sex=citizen.sex,
        id_number=citizen.cccd, ward=facility.ward, facility=facility, citizen=citizen)
    records = [InjectionRecordFactory(citizen=citizen, facility=facility, dose_number=n,
                                      injection_date=dt.date(2021, 7 + n, 1)) for n in range(1, doses + 1)]
    InjectionRecord.objects.filter(pk__in=[r.pk for r in records]).update(status=dose_status)
    case.injections.set(records)
    return case


def written(case, name):
    """The rows a transition leaves: the case's fields, its timeline event, its audit event."""
    case = ReconciliationCase.objects.get(pk=case.pk)
    event = CaseEvent.objects.get(case=case, transition=name)
    audit = AuditEvent.objects.get(action=f"case.{name}", object_id=str(case.pk))
    return ({"status": case.status, "closed_at": case.closed_at, "claimed_by": case.claimed_by_id,
             "claim_expires_at": case.claim_expires_at, "updated_at": case.updated_at},
            (event.at, event.actor_id, event.actor_label, event.from_status, event.to_status, event.message,
             event.data),
            (audit.actor_id, audit.actor_label, audit.object_type, audit.request_id, audit.before,
             audit.after))


def each_path(case, name, actor, **options):
    """The rows case_transition writes, then those of every set-wise path (each rolled back but the last)."""
    results = []
    movers = [lambda: case_transition(case=case.pk, name=name, actor=actor)]
    movers += [lambda sql=(path == "sql"): cases_transition_bulk(case_ids=[case.pk], name=name, actor=actor,
                                                                 sql=sql, **options) for path in PATHS]
    for mover in movers:
        with pytest.raises(_Rollback), transaction.atomic():
            mover()
            results.append(written(case, name))
            raise _Rollback
    assert not CaseEvent.objects.filter(case=case, transition=name).exists()
    return results


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["claimed", "plain"])
def test_every_path_of_the_sign_transition_writes_the_same_rows(variant, frozen_now, signer_user, police_user,
                                                                hanoi_facility):
    case = make_case(hanoi_facility, status=CaseStatus.AWAITING_SIGNATURE, doses=2)
    if variant == "claimed":
        # Fields of every JSON kind: a claim with sub-millisecond digits (truncated, not
        # rounded), nested police values with Vietnamese text, text needing escapes.
        case.claimed_by = police_user
        case.claim_expires_at = dt.datetime(2026, 11, 25, 9, 30, 1, 123999, tzinfo=dt.UTC)
        case.police_values = {"full_name": "Nguyễn Văn Ẩn", "nested": {"a": [1, 2.5, None]}, "ok": True}
        case.reject_note = 'tab\there, "quoted", back\\slash,\nnew line'
        case.phone, case.confirmed = "0912345678", True
    else:
        case.claim_expires_at = dt.datetime(2026, 11, 25, 9, 30, 1, tzinfo=dt.UTC)
        case.date_of_birth = None
    case.save()

    orm, *bulk = each_path(case, "sign", signer_user, doses_all_in=DONE)

    assert len(bulk) == len(PATHS)
    for rows in bulk:
        assert rows == orm
    case_row, _event, audit = orm
    assert (case_row["status"], case_row["claimed_by"], case_row["claim_expires_at"]) == (CaseStatus.SIGNED,
                                                                                          None, None)
    assert audit[4]["status"] == CaseStatus.AWAITING_SIGNATURE and audit[5]["status"] == CaseStatus.SIGNED
    if variant == "claimed":
        assert audit[4]["claim_expires_at"] == "2026-11-25T09:30:01.123Z"
        assert audit[5]["claimed_by_id"] is None


@pytest.mark.django_db
def test_every_path_of_a_closing_transition_writes_the_same_closed_at(frozen_now, clinic_user,
                                                                      hanoi_facility):
    case = make_case(hanoi_facility, status=CaseStatus.SIGNED)

    orm, *bulk = each_path(case, "close", clinic_user)

    for rows in bulk:
        assert rows == orm
    assert orm[0]["closed_at"] == NOW
    assert orm[2][5]["closed_at"] == "2026-11-30T08:15:42.654Z"


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_a_case_with_a_dose_outside_the_wanted_states_is_left(path, signer_user, hanoi_facility):
    case = make_case(hanoi_facility, status=CaseStatus.AWAITING_SIGNATURE, doses=2)
    InjectionRecord.objects.filter(pk=case.injections.order_by("pk").first().pk).update(
        status=InjectionRecord.Status.VERIFIED)

    moved = cases_transition_bulk(case_ids=[case.pk], name="sign", actor=signer_user, doses_all_in=DONE,
                                  sql=path == "sql")

    assert moved == []
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_SIGNATURE and not case.events.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_only_cases_in_a_source_state_move_and_the_citizen_hears_after_commit(
        path, signer_user, hanoi_facility, django_capture_on_commit_callbacks):
    ready = make_case(hanoi_facility, status=CaseStatus.AWAITING_SIGNATURE)
    ready.phone, ready.confirmed = "0912345678", True
    ready.save()
    quiet = make_case(hanoi_facility, status=CaseStatus.AWAITING_SIGNATURE)
    closed = make_case(hanoi_facility, status=CaseStatus.CLOSED)

    with django_capture_on_commit_callbacks() as callbacks:
        moved = cases_transition_bulk(case_ids={closed.pk, quiet.pk, ready.pk}, name="sign",
                                      actor=signer_user, doses_all_in=DONE, sql=path == "sql")

    assert moved == sorted([ready.pk, quiet.pk])
    assert len(callbacks) == 1
    closed.refresh_from_db()
    assert closed.status == CaseStatus.CLOSED
    assert not AuditEvent.objects.filter(action="case.sign", object_id=str(closed.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_an_actor_whose_role_may_not_take_the_transition_moves_nothing(path, clinic_user, hanoi_facility):
    case = make_case(hanoi_facility, status=CaseStatus.AWAITING_SIGNATURE)

    assert cases_transition_bulk(case_ids=[case.pk], name="sign", actor=clinic_user, sql=path == "sql") == []
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_SIGNATURE and not case.events.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_a_case_in_the_source_state_that_was_not_asked_for_is_left(path, signer_user, hanoi_facility):
    asked = make_case(hanoi_facility, status=CaseStatus.AWAITING_SIGNATURE)
    other = make_case(hanoi_facility, status=CaseStatus.AWAITING_SIGNATURE)

    moved = cases_transition_bulk(case_ids=[asked.pk], name="sign", actor=signer_user, doses_all_in=DONE,
                                  sql=path == "sql")

    assert moved == [asked.pk]
    other.refresh_from_db()
    assert other.status == CaseStatus.AWAITING_SIGNATURE and not other.events.exists()
    assert not AuditEvent.objects.filter(object_id=str(other.pk), action="case.sign").exists()
    audit = AuditEvent.objects.get(object_id=str(asked.pk), action="case.sign")
    assert audit.at == CaseEvent.objects.get(case=asked, transition="sign").at  # the same instant


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_only_a_citizen_with_a_confirmed_phone_is_texted(path, signer_user, hanoi_facility,
                                                        django_capture_on_commit_callbacks):
    cases = {}
    for label, phone, confirmed in (("texted", "0912345678", True), ("unconfirmed", "0912345679", False),
                                    ("no phone", "", True)):
        cases[label] = make_case(hanoi_facility, status=CaseStatus.AWAITING_SIGNATURE)
        ReconciliationCase.objects.filter(pk=cases[label].pk).update(phone=phone, confirmed=confirmed)

    with django_capture_on_commit_callbacks():
        cases_transition_bulk(case_ids=[c.pk for c in cases.values()], name="sign", actor=signer_user,
                              doses_all_in=DONE, sql=path == "sql")

    assert [row.args for row in TaskOutbox.objects.all()] == [[cases["texted"].pk, CaseStatus.SIGNED]]
