"""What one request of a facility's software costs the database: reading a record, recording a dose.
The budgets are the statements each needs today (docs/BENCHMARKS.md, REST API): a new query per
request (a scope read again, a row fetched twice, a savepoint more) fails here."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection  # noqa: F401 - read by the skipif condition

from records.models import InjectionRecord
from tests.api.conftest import post
from tests.factories import CitizenFactory, InjectionRecordFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/injections/"
postgres_budget = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason=('SQLite returns the kept-key check\'s dates as text, so the key is read again on every '
            'request (one statement more, never a stale key): the budgets are PostgreSQL\'s'))


@pytest.fixture
def record(reference_data, hanoi_facility):
    return InjectionRecordFactory(citizen=CitizenFactory(cccd="001191004567"), facility=hanoi_facility,
                                  injection_date=date(2021, 9, 1))


@pytest.fixture
def warm_api(clinic_api, record):
    """The key used once already: its last use (noted at most once a minute) is not counted."""
    assert clinic_api.get(f"{URL}{record.pk}/").status_code == 200
    return clinic_api


@postgres_budget
def test_reading_a_record_is_the_key_and_the_record(warm_api, record, django_assert_max_num_queries):
    # The key (kept by the process with its user, profile, facility and ward: one narrow statement
    # checks it is as kept); the record with its vaccine.
    with django_assert_max_num_queries(2):
        response = warm_api.get(f"{URL}{record.pk}/")
    assert response.status_code == 200 and response.json()["id"] == record.pk


@postgres_budget
def test_reading_a_replaced_version_adds_only_its_successor(warm_api, record, django_assert_max_num_queries):
    record.status = InjectionRecord.Status.SUPERSEDED
    record.save(update_fields=["status"])
    with django_assert_max_num_queries(3):
        assert warm_api.get(f"{URL}{record.pk}/").status_code == 200


@postgres_budget
def test_recording_a_dose_stays_within_its_statements(warm_api, record, django_assert_max_num_queries):
    dose = {"cccd": "001191004567", "vaccine": "pfizer", "dose_number": 2, "injection_date": "2021-10-01",
            "lot_number": "FK1234"}
    # The key; the Idempotency-Key row claimed; the catalogue; the person (locked) and their doses;
    # the record, its audit event (no savepoint of the record service's own); the answer stored;
    # and the savepoint the test's own transaction makes of the request's (2).
    with django_assert_max_num_queries(10):
        response = post(warm_api, URL, dose)
    assert response.status_code == 201, response.json()


@postgres_budget
def test_recording_doses_in_bulk_stays_within_its_statements(warm_api, record, django_assert_max_num_queries):
    people = [CitizenFactory(cccd=f"0011910045{n:02d}") for n in range(70, 90)]
    items = [{"cccd": p.cccd, "vaccine": "pfizer", "dose_number": 1, "injection_date": "2021-10-01",
              "lot_number": f"FK{n:04d}"} for n, p in enumerate(people)]
    # The key; the Idempotency-Key row claimed; the catalogue, read once for the items' checks and the
    # duplicate rule; the people (locked) and their doses; the records, their audit events (no
    # savepoint of the bulk services' own); the answer stored; the test transaction's savepoint of
    # the request's (2): as many for twenty doses as for one.
    with django_assert_max_num_queries(10):
        response = post(warm_api, f"{URL}bulk/", {"records": items})
    assert response.status_code == 200 and response.json()["recorded"] == len(items), response.json()
