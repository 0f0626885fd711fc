"""Leases on the jobs a worker runs (`verification.models.Leased`: import jobs, signing
batches): claimed once, renewed while the work goes on, reaped when the worker is gone.

* `lease_claim` takes a queued job -- or a running one whose lease ran out, or the owner's own
  after a retry -- with a conditional UPDATE that must touch exactly one row, so a task
  delivered twice never runs a job twice at once;
* `lease_kept` renews the lease every third of ``JOB_LEASE_SECONDS`` from a thread with a
  database connection of its own, for as long as the work runs;
* `leases_reap` marks `failed` and `resumable` every job still `running` whose lease has
  expired: its worker was killed (``kill -9``, out of memory, the host lost) or cut off from the
  database longer than the lease. The beat task and every worker start run it.

The jobs' models share the status values ``queued``, ``running``, ``failed``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from records.audit import record_event

logger = logging.getLogger(__name__)

QUEUED, RUNNING, FAILED = "queued", "running", "failed"


def lease_owner(tag: str = "") -> str:
    """Who holds a lease: this host and process, and the task (a retry of the same task in the
    same process may take its own job back at once; another worker waits for the lease)."""
    return f"{socket.gethostname()}:{os.getpid()}:{tag}"[:100]


def _expiry():
    return timezone.now() + timedelta(seconds=settings.JOB_LEASE_SECONDS)


def lease_claim(model: type[models.Model], *, pk: int, owner: str) -> bool:
    """Take job `pk` for `owner` (status `running`, one attempt more); False when it is not
    queued, runs under another live lease, or is finished."""
    now = timezone.now()
    takeable = Q(status=QUEUED) | (Q(status=RUNNING) & (
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True) | Q(lease_owner=owner)))
    return model.objects.filter(takeable, pk=pk).update(
        status=RUNNING, lease_owner=owner, lease_expires_at=_expiry(), attempts=F("attempts") + 1,
        resumable=False) == 1


def lease_held(model: type[models.Model], *, pk: int, owner: str) -> models.QuerySet:
    """The job while `owner` still holds it: the final update goes through this, so a worker
    that lost its lease (reaped, taken over) does not overwrite what came after."""
    return model.objects.filter(pk=pk, status=RUNNING, lease_owner=owner)


@contextmanager
def lease_kept(model: type[models.Model], *, pk: int, owner: str) -> Iterator[threading.Event]:
    """Renew the lease while the block runs; yields an Event set when the lease was lost.

    Not on SQLite nor inside a transaction: there another connection could not see the job
    (and a single SQLite writer has no worker to lose)."""
    lost = threading.Event()
    if connection.vendor == "sqlite" or connection.in_atomic_block:
        yield lost
        return
    stop = threading.Event()
    beat = threading.Thread(target=_renew, args=(model, pk, owner, stop, lost), daemon=True,
                            name=f"lease-{model._meta.model_name}-{pk}")
    beat.start()
    try:
        yield lost
    finally:
        stop.set()
        beat.join()


def _renew(model, pk: int, owner: str, stop: threading.Event, lost: threading.Event) -> None:
    try:
        while not stop.wait(settings.JOB_LEASE_SECONDS / 3):
            try:
                if not model.objects.filter(pk=pk, status=RUNNING, lease_owner=owner).update(
                        lease_expires_at=_expiry()):
                    lost.set()
                    logger.warning("%s %s: lease lost (reaped or taken over)", model._meta.label, pk)
                    return
            except DatabaseError as exc:  # the database is restarting: try again at the next beat
                logger.warning("%s %s: lease not renewed: %s", model._meta.label, pk, exc)
                connection.close()
    finally:
        connection.close()  # this thread's own


def leases_reap(model: type[models.Model], *, action: str, message: str) -> list[int]:
    """Mark `failed` and `resumable` (with `message`) the jobs of `model` still `running` with an
    expired lease, each with an audit event `action`; returns their ids."""
    now = timezone.now()
    with transaction.atomic():
        stale = list(model.objects.select_for_update(skip_locked=True).filter(
            Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True), status=RUNNING,
        ).values_list("pk", "lease_owner", "attempts"))
        if not stale:
            return []
        model.objects.filter(pk__in=[pk for pk, _o, _a in stale]).update(
            status=FAILED, resumable=True, message=message, finished_at=now, lease_owner="")
        for pk, owner, attempts in stale:
            record_event(actor=None, action=action, object_type=model._meta.label_lower, object_id=pk,
                         before={"status": RUNNING, "lease_owner": owner, "attempts": attempts},
                         after={"status": FAILED, "resumable": True})
    logger.warning("%s: reaped %d job(s) whose worker was lost: %s", model._meta.label, len(stale),
                   [pk for pk, _o, _a in stale])
    return [pk for pk, _o, _a in stale]


__all__ = ["lease_claim", "lease_held", "lease_kept", "lease_owner", "leases_reap"]
