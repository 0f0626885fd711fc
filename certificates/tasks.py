"""Celery tasks of the certificate room: ids in, one service call."""

from __future__ import annotations

import logging
from dataclasses import asdict

from celery import shared_task
from django.contrib.auth import get_user_model

from certificates.services import certificates_issue_all, issue_run_execute
from vaxrecon.errors import ServiceUnavailable

logger = logging.getLogger(__name__)


@shared_task(max_retries=0)
def issue_all_certificates(actor_id: int | None = None) -> dict | None:
    """Issue for every citizen whose current doses are all signed (beat, hourly); returns the counts.

    Not retried: a run is idempotent chunk by chunk, so the next run finishes what this one did not
    (and reissues, with an SMS, the certificates a correction revoked once the dose is signed again).
    Without a valid DSC it logs and returns None instead of failing every hour.
    """
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        return asdict(certificates_issue_all(actor=actor))
    except ServiceUnavailable as exc:
        logger.warning("certificates not issued: %s", exc)
        return None


@shared_task(max_retries=0)
def run_issue(run_id: int) -> None:
    """The bulk issue asked for from the issuer's page (its progress saved on the run).

    Not retried: a failure is stored on the run for the page, and the run is idempotent, so the
    officer starts another (the hourly beat task also catches up). A second delivery of the same
    run finds it claimed and does nothing.
    """
    issue_run_execute(run_id=run_id)
