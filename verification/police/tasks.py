"""Celery tasks for police verification: thin, they call a service and own the retry policy."""

from __future__ import annotations

import logging

from celery import shared_task

from verification.police.client import RegistryUnavailable
from verification.police.services import registry_verify_pending

log = logging.getLogger(__name__)

# The registry may be down for hours: retry for a day, waiting 1, 2, 4 ... up to 30 minutes.
MAX_RETRIES = 60
MAX_COUNTDOWN = 30 * 60


def retry_countdown(retries: int) -> int:
    return min(30 * 2 ** retries, MAX_COUNTDOWN)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True,
             name="verification.police.tasks.verify_identities_batch")
def verify_identities_batch(self, case_ids: list[int] | None = None) -> dict:
    """Verify the cases awaiting police (or just `case_ids`) against the population registry.

    When the registry is unavailable the cases stay queued and the task retries later (run
    eagerly, as in the demo, it returns at once: the next run picks them up)."""
    try:
        summary = registry_verify_pending(case_ids=case_ids)
    except RegistryUnavailable as exc:
        if self.request.is_eager:
            log.warning("population registry unavailable (%s); cases stay queued", exc)
            return {"delayed": True, "error": str(exc)}
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries))
    return {"delayed": False, "sent": summary.sent, "batches": summary.batches, **summary.results}
