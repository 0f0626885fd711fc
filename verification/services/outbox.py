"""The task outbox: Celery tasks kept in the database until the broker has them.

`outbox_enqueue(task, *args)` writes a `TaskOutbox` row in the caller's transaction (so the
task exists exactly when the work it starts does) and relays it once that transaction
commits. When the broker (Redis) cannot be reached the page goes on; the row stays pending and
`outbox_sweep` -- the beat task `verification.tasks.relay_outbox`, every worker start, or
``manage.py relay_outbox`` -- sends it when the broker is back. Delivery is at least once (a
crash between the broker's acceptance and our commit sends the row again), so every task sent
this way is idempotent on its ids: an import job or a signing batch is claimed with a lease and
runs once, a citizen's news is sent only while the case is still in that state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from verification.models import TaskOutbox

logger = logging.getLogger(__name__)
_held = False


def outbox_enqueue(task, *args) -> None:
    """Keep `task(*args)` (a task, or its name) to be sent once the current transaction commits."""
    outbox_enqueue_many(task, [args])


def outbox_enqueue_many(task, calls: Iterable[Sequence]) -> None:
    """Keep one `task(*args)` for each `args` of `calls`, to be sent after commit."""
    name = getattr(task, "name", task)
    rows = TaskOutbox.objects.bulk_create([TaskOutbox(task=name, args=list(args)) for args in calls])
    if rows:
        ids = [row.pk for row in rows] if all(row.pk for row in rows) else None
        transaction.on_commit(lambda: outbox_relay(ids=ids))


def outbox_hold() -> None:
    """In a forked helper: keep the rows for the parent (or the sweep) to send. A helper must
    never speak over the broker connection it inherited: the parent still uses that socket."""
    global _held  # noqa: PLW0603 - one switch for the whole (forked) process
    _held = True


def outbox_relay(*, ids: Sequence[int] | None = None, limit: int = 1000) -> int:
    """Send the pending rows (those of `ids`, or the oldest `limit`), each once: a row is locked
    while it is sent (SKIP LOCKED: two relays never send the same row) and marked sent in that
    transaction. The first failure (broker down) stops the relay; the rest wait for the sweep.
    Returns how many rows were sent."""
    if _held:
        return 0
    if ids is not None:  # a transaction's own rows: all of them (a signed chunk may notify thousands)
        limit = max(limit, len(ids))
    if current_app.conf.task_always_eager:
        return _run_here(ids, limit)
    sent: list[int] = []
    with transaction.atomic(), _broker() as broker:
        for row in _known(_pending(ids, limit)):
            try:
                _task(row.task).apply_async(args=row.args, retry=False, connection=broker)
            except Exception as exc:  # noqa: BLE001 - any failure to publish leaves the row for the sweep
                _kept(row, f"{type(exc).__name__}: {exc}")
                logger.warning("task queue unavailable, %s kept in the outbox (row %s): %s", row.task, row.pk,
                               exc)
                break
            sent.append(row.pk)
        TaskOutbox.objects.filter(pk__in=sent).update(sent_at=timezone.now(), attempts=F("attempts") + 1)
    return len(sent)


def outbox_sweep() -> int:
    """Send every pending row (in runs of 1,000, stopping when the broker fails) and forget the
    rows sent more than a day ago. Returns how many were sent."""
    total = 0
    while sent := outbox_relay():
        total += sent
        if sent < 1000:
            break
    TaskOutbox.objects.filter(sent_at__lt=timezone.now() - timedelta(days=1)).delete()
    if total:
        logger.info("outbox: %d task(s) sent", total)
    return total


def outbox_pending() -> int:
    return TaskOutbox.objects.filter(sent_at__isnull=True).count()


def _pending(ids, limit: int) -> list[TaskOutbox]:
    rows = TaskOutbox.objects.select_for_update(skip_locked=True).filter(sent_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return list(rows.order_by("pk")[:limit])


def _task(name: str):
    """The task of that name, or None when no module of the project defines it."""
    if name not in current_app.tasks:  # its module not imported in this process yet
        current_app.loader.import_default_modules()
    return current_app.tasks.get(name)


def _kept(row: TaskOutbox, error: str) -> None:
    TaskOutbox.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_error=error[:300])


def _known(rows: list[TaskOutbox]) -> list[TaskOutbox]:
    """The rows whose task exists; each other row is kept with the reason, so that one row of an
    unknown name (a task renamed by an upgrade while it waited) never holds up the rows after it."""
    known = []
    for row in rows:
        if _task(row.task) is None:
            _kept(row, f"unknown task {row.task}")
            logger.error("outbox row %s names no known task %s: kept, the others sent", row.pk, row.task)
        else:
            known.append(row)
    return known


def _broker():
    """A connection to the broker that tries once: with Redis down a page waits for one refused
    connection, not for the client's retries (seconds)."""
    options = {**(current_app.conf.broker_transport_options or {}), "max_retries": 0}
    return current_app.connection_for_write(transport_options=options)


def _run_here(ids, limit: int) -> int:
    """Eager mode (no broker: development, tests on SQLite): mark the rows sent, then run them
    here after that commit, as `delay()` did."""
    with transaction.atomic():
        rows = _known(_pending(ids, limit))
        TaskOutbox.objects.filter(pk__in=[r.pk for r in rows]).update(sent_at=timezone.now(),
                                                                     attempts=F("attempts") + 1)
    for row in rows:
        _task(row.task).apply_async(args=row.args)
    return len(rows)


__all__ = ["outbox_enqueue", "outbox_enqueue_many", "outbox_hold", "outbox_pending", "outbox_relay",
           "outbox_sweep"]
