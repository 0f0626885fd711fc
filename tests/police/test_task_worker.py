"""The registry batch task through a real Celery worker process (Redis + PostgreSQL in CI)."""

import time

import pytest

from verification.models import PoliceVerification, ReconciliationCase
from verification.police.tasks import verify_identities_batch

pytestmark = pytest.mark.services


def test_the_worker_verifies_the_queued_cases_against_the_live_registry(
        transactional_db, registry, four_cases, celery_worker_process):
    verify_identities_batch.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and PoliceVerification.objects.count() < 4:
        time.sleep(0.2)
    statuses = {key: ReconciliationCase.objects.get(pk=c.pk).status for key, c in four_cases.items()}
    assert statuses == {"match": "awaiting_signature", "cmnd_match": "awaiting_signature",
                        "mismatch": "awaiting_police", "not_found": "awaiting_police"}
    assert set(PoliceVerification.objects.values_list("source", "outcome")) == {
        ("registry", "match"), ("registry", "mismatch"), ("registry", "not_found")}
