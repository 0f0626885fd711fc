"""Idempotency-Key on every POST: a retry gets the first response and writes nothing twice, two
copies at the same moment included; a key reused for another request is refused (422)."""

from __future__ import annotations

import threading
import time
from datetime import date

import psycopg2
import pytest
from django.db import connection

from api.models import IdempotentRequest
from api.services import api_key_create
from records.models import AuditEvent, InjectionRecord
from tests.api.conftest import assert_problem, key_client, post
from tests.factories import CitizenFactory

URL = "/api/v1/injections/"
DOSE = {"cccd": "001191004567", "vaccine": "pfizer", "dose_number": 1, "injection_date": "2021-09-01"}


@pytest.fixture
def lan(reference_data):
    return CitizenFactory(
        full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12), cccd="001191004567"
    )


@pytest.mark.django_db
def test_a_retry_gets_the_first_response_and_writes_nothing_twice(clinic_api, lan):
    first = post(clinic_api, URL, DOSE, key="retry-1")
    again = post(clinic_api, URL, DOSE, key="retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert again["ETag"] == first["ETag"] and again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert (
        InjectionRecord.objects.count() == 1
        and AuditEvent.objects.filter(action="injection.create").count() == 1
    )


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422_and_writes_nothing(clinic_api, lan):
    post(clinic_api, URL, DOSE, key="k")
    assert_problem(
        post(clinic_api, URL, {**DOSE, "dose_number": 2}, key="k"),
        422,
        "idempotency_key_reused",
        field="Idempotency-Key",
    )
    assert_problem(post(clinic_api, "/api/v1/cases/", {}, key="k"), 422, "idempotency_key_reused")
    assert InjectionRecord.objects.count() == 1


@pytest.mark.django_db
def test_a_post_without_a_key_is_refused_naming_the_header(clinic_api, lan):
    response = clinic_api.post(URL, DOSE, format="json")
    assert_problem(response, 400, "idempotency_key_required", field="Idempotency-Key")
    assert not InjectionRecord.objects.exists() and not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_a_refused_request_keeps_nothing_so_its_corrected_retry_runs(clinic_api, lan):
    assert_problem(post(clinic_api, URL, {**DOSE, "dose_number": 0}, key="fix-me"), 400, "invalid_input")
    assert not IdempotentRequest.objects.exists()
    assert post(clinic_api, URL, DOSE, key="fix-me").status_code == 201


@pytest.mark.django_db
def test_keys_belong_to_their_caller(clinic_api, lan, clinic_user):
    second = key_client(api_key_create(actor=clinic_user, name="HIS 2", role="clinic_staff").token)
    assert post(clinic_api, URL, DOSE, key="shared").status_code == 201
    # The other key's request with the same key value is its own: it runs (and meets the duplicate rule).
    assert_problem(post(second, URL, DOSE, key="shared"), 409, "duplicate_dose")


def _holding_citizen_lock(citizen_id: int):
    """A second PostgreSQL session holding the citizen's row lock (dose_record takes it)."""
    settings = connection.settings_dict
    conn = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )
    cursor = conn.cursor()
    cursor.execute("SELECT id FROM records_citizen WHERE id = %s FOR UPDATE", [citizen_id])
    return conn


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_copies_at_the_same_moment_run_once(reference_data, clinic_key, lan):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two sessions, one waiting on the other's row")
    lock = _holding_citizen_lock(lan.pk)  # the first copy will wait here, inside its transaction
    results, errors = [], []

    def send():
        try:
            results.append(post(key_client(clinic_key.token), URL, DOSE, key="at-once"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    assert results == []  # both are in flight: one behind the lock, the other behind the first's key row
    lock.commit()
    lock.close()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(results) == 2
    assert [r.status_code for r in results] == [201, 201]
    assert results[0].json() == results[1].json()
    assert sorted(r.has_header("Idempotent-Replayed") for r in results) == [False, True]
    assert InjectionRecord.objects.count() == 1 and IdempotentRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action="injection.create").count() == 1


@pytest.mark.django_db
def test_a_key_with_a_space_at_an_end_or_outside_visible_ascii_is_refused(clinic_api, lan):
    for key in (" k", "k ", "k\t1", "x" * 256):
        response = post(clinic_api, URL, DOSE, key=key)
        assert_problem(response, 400, "idempotency_key_required", field="Idempotency-Key")
    assert not InjectionRecord.objects.exists()
    assert post(clinic_api, URL, DOSE, key="order 42/1").status_code == 201
