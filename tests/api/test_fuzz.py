"""Schemathesis against the live schema (/api/schema/, served by the app under test), a bounded
number of examples per operation, as each persona in turn: no server error, no answer the schema
does not describe (status, content type, headers, body), and nothing written outside the caller's
scope (the other province's records, cases and citizens are compared before and after each call)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.models import Role
from api.services import api_key_create
from records.models import Citizen, InjectionRecord
from tests.factories import CitizenFactory, InjectionRecordFactory, make_user
from verification.models import ReconciliationCase

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
CSRF = "f" * 32  # a CSRF cookie and the same token in the header: what a browser sends
EXAMPLES = 3  # per operation and persona: about 300 requests, a few minutes of CI


def _case(facility, citizen, status="submitted") -> ReconciliationCase:
    return ReconciliationCase.objects.create(
        origin=ReconciliationCase.Origin.CLINIC_ENTRY, status=status, confirmed=True,
        full_name=citizen.full_name, birth_year=citizen.birth_year, sex=citizen.sex,
        id_number=citizen.cccd or "", ward=facility.ward, facility=facility,
        deadline_at=timezone.now() + timedelta(hours=48))


def _session_headers(user) -> dict:
    client = Client()
    client.force_login(user)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}", "X-CSRFToken": CSRF}


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """The app runs in the test's thread and transaction: like Django's test client, do not close
    the database connection at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(clinic_user, hanoi_facility, hcm_facility, ministry_user, police_user):
    """Data in both provinces; the callers' headers by persona."""
    for facility, prefix in ((hanoi_facility, "0010"), (hcm_facility, "0790")):
        for n in range(3):
            citizen = CitizenFactory(cccd=f"{prefix}9100{n:04d}", ward=facility.ward)
            InjectionRecordFactory(citizen=citizen, facility=facility, injection_date=date(2021, 8, 1 + n))
            _case(facility, citizen, status="submitted" if n else "in_review")
    key = api_key_create(actor=clinic_user, name="fuzzer", role=Role.CLINIC_STAFF)
    ministry_key = api_key_create(actor=ministry_user, name="fuzzer", role=Role.MINISTRY_ANALYST)
    return {
        "clinic key": {"Authorization": f"ApiKey {key.token}"},
        "ministry key": {"Authorization": f"ApiKey {ministry_key.token}"},
        "police": _session_headers(police_user),
        "ministry": _session_headers(ministry_user),
        "province": _session_headers(make_user(Role.PROVINCIAL_OFFICER, username="province-fuzz",
                                               province=hanoi_facility.ward.province)),
    }


def outside_hanoi() -> tuple:
    """Everything of the other province a caller of Hà Nội (or the police of its ward) must not change."""
    return (list(InjectionRecord.objects.exclude(facility__ward__province=1).order_by("pk")
                 .values_list("pk", "status", "version", "lot_number")),
            list(ReconciliationCase.objects.exclude(ward__province=1).order_by("pk")
                 .values_list("pk", "status", "citizen_id", "updated_at")),
            list(Citizen.objects.exclude(ward__province=1).order_by("pk")
                 .values_list("pk", "full_name", "cccd")))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["clinic key", "police", "province", "ministry key"])
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_schema_says_and_writes_only_in_scope(case, persona, fuzz_world):
    before = outside_hanoi()
    # Not positive_data_acceptance: a request the schema allows may still break a business rule (a
    # future injection date, an unknown CCCD), which is a 400/404/409 with problem details.
    case.call_and_validate(headers=fuzz_world[persona], excluded_checks=[positive_data_acceptance])
    assert outside_hanoi() == before
