"""Opening cases set-wise (``cases_open_bulk``): the state machine's opening rule, and the same rows
from the PostgreSQL statement as from the ORM path.

The same two cases are opened by the Python path (rolled back) and, on PostgreSQL, by the one SQL
statement; each case row (but its id, tracking code and timestamps), its claimed dose and its
opening event must be equal, and the state must be the one ``workflow.OPENINGS`` gives.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from accounts.models import Role
from records.models import VaccineProduct
from tests.factories import make_user
from vaxrecon.errors import NotAllowed
from verification.models import CaseEvent, ClaimedDose, ReconciliationCase
from verification.services.transitions import NewCase, cases_open_bulk
from verification.workflow import OPENINGS, SYSTEM, CaseStatus

PATHS = ["python", "sql"] if connection.vendor == "postgresql" else ["python"]
SKIP = {"id", "tracking_code", "submitted_at", "deadline_at", "updated_at"}


class _Rollback(Exception):
    pass


@pytest.fixture
def vaccine(reference_data):
    return VaccineProduct.objects.order_by("pk").first()


def new_cases(facility, vaccine) -> list[NewCase]:
    base = {"full_name": "Lò Thị Páo", "name_key": "lo thi pao", "date_of_birth": None, "birth_year": 2003,
            "dob_precision": "year", "sex": "F", "id_number": "", "phone": "", "ward_id": facility.ward_id,
            "facility_id": facility.pk, "confirmed": True}
    dose = {"vaccine_id": vaccine.pk, "vaccine_text": vaccine.name, "dose_number": 1,
            "injection_date": dt.date(2021, 7, 15), "facility_id": facility.pk, "lot_number": "AZ-77"}
    return [NewCase(fields=base, dose=dose, data={"job": None, "line": 2, "record_id": "R-1"}),
            NewCase(fields={**base, "full_name": "Vàng A Dính", "name_key": "vang a dinh", "sex": "M",
                            "date_of_birth": dt.date(1999, 1, 2), "birth_year": 1999, "dob_precision": "day",
                            "phone": "0912345678", "id_number": "001099000123"},
                    dose={**dose, "dose_number": 2, "lot_number": ""},
                    data={"job": None, "line": 7, "record_id": "R-2", "import_event": 5})]


def opened(ids) -> list[tuple]:
    rows = []
    for case in ReconciliationCase.objects.filter(pk__in=ids).order_by("pk"):
        fields = {f.attname: getattr(case, f.attname) for f in case._meta.concrete_fields
                  if f.attname not in SKIP}
        dose = ClaimedDose.objects.values("vaccine_id", "vaccine_text", "dose_number", "injection_date",
                                          "facility_id", "lot_number", "injection_id").get(case=case)
        event = CaseEvent.objects.values("actor_id", "actor_label", "transition", "from_status", "to_status",
                                         "message", "data").get(case=case)
        rows.append((fields, dose, event, case.deadline_at - case.submitted_at, len(case.tracking_code)))
    return rows


def open_on(path, facility, vaccine, actor):
    """The rows one path writes, rolled back afterwards."""
    try:
        with transaction.atomic():
            ids = cases_open_bulk(name="import", actor=actor, origin=ReconciliationCase.Origin.BULK_IMPORT,
                                  cases=new_cases(facility, vaccine), sql=path == "sql")
            rows = opened(ids)
            raise _Rollback
    except _Rollback:
        return ids, rows


def test_both_paths_open_the_same_cases_in_the_opening_state(hanoi_facility, vaccine, clinic_user):
    results = {path: open_on(path, hanoi_facility, vaccine, clinic_user) for path in PATHS}
    for ids, rows in results.values():
        assert len(ids) == 2
        assert [r[0]["status"] for r in rows] == [OPENINGS["import"].target] * 2 == [CaseStatus.SUBMITTED] * 2
        assert [r[2]["transition"] for r in rows] == ["import", "import"]
        assert [r[2]["actor_label"] for r in rows] == [clinic_user.get_username()] * 2
        assert [r[2]["actor_id"] for r in rows] == [clinic_user.pk] * 2
        assert [r[2]["data"]["line"] for r in rows] == [2, 7]
        assert rows[0][3] == dt.timedelta(hours=48)
    assert results["python"][1] == results[PATHS[-1]][1]


@pytest.mark.parametrize("path", PATHS)
def test_the_system_may_open_them_and_a_signer_may_not(hanoi_facility, vaccine, path):
    ids, rows = open_on(path, hanoi_facility, vaccine, None)
    assert [r[2]["actor_label"] for r in rows] == [SYSTEM, SYSTEM]
    ids, rows = open_on(path, hanoi_facility, vaccine, SYSTEM)  # as the import task names itself
    assert [(r[2]["actor_label"], r[2]["actor_id"]) for r in rows] == [(SYSTEM, None)] * 2
    signer = make_user(Role.SIGNER, username="signer-open", facility=hanoi_facility)
    with pytest.raises(NotAllowed, match=r"^Your role cannot do this: "):
        cases_open_bulk(name="import", actor=signer, origin=ReconciliationCase.Origin.BULK_IMPORT,
                        cases=new_cases(hanoi_facility, vaccine), sql=path == "sql")
    assert not ReconciliationCase.objects.exists()


@pytest.mark.parametrize("path", PATHS)
def test_a_single_case_opens_on_each_path(hanoi_facility, vaccine, clinic_user, path):
    one = new_cases(hanoi_facility, vaccine)[1:]
    ids = cases_open_bulk(name="import", actor=clinic_user, origin=ReconciliationCase.Origin.BULK_IMPORT,
                          cases=one, sql=path == "sql")
    [(fields, dose, event, window, code_length)] = opened(ids)
    assert (fields["full_name"], fields["status"], fields["phone"]) == ("Vàng A Dính", CaseStatus.SUBMITTED,
                                                                      "0912345678")
    assert (dose["dose_number"], dose["lot_number"], dose["vaccine_id"]) == (2, "", vaccine.pk)
    assert (event["transition"], event["to_status"]) == ("import", CaseStatus.SUBMITTED)
    assert event["data"]["line"] == 7


@pytest.mark.parametrize("path", PATHS)
def test_the_opening_event_is_dated_when_the_case_was_submitted(hanoi_facility, vaccine, clinic_user, path):
    ids = cases_open_bulk(name="import", actor=clinic_user, origin=ReconciliationCase.Origin.BULK_IMPORT,
                          cases=new_cases(hanoi_facility, vaccine), sql=path == "sql")
    for case in ReconciliationCase.objects.filter(pk__in=ids):
        assert CaseEvent.objects.get(case=case).at == case.submitted_at


def test_where_the_database_returns_no_new_ids_the_python_path_finds_them_by_tracking_code(
        hanoi_facility, vaccine, clinic_user, monkeypatch):
    # An SQLite older than 3.35 (no RETURNING): bulk_create leaves the new cases without ids.
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    ids = cases_open_bulk(name="import", actor=clinic_user, origin=ReconciliationCase.Origin.BULK_IMPORT,
                          cases=new_cases(hanoi_facility, vaccine), sql=False)
    rows = opened(ids)
    assert [r[0]["full_name"] for r in rows] == ["Lò Thị Páo", "Vàng A Dính"]
    assert [r[1]["dose_number"] for r in rows] == [1, 2]
    assert [r[2]["data"]["record_id"] for r in rows] == ["R-1", "R-2"]
    assert ids == sorted(ids) and len(set(ids)) == 2
