"""The task outbox (`verification.services.outbox`), as the operator sees it: what reaches the queue
(a throwaway redis-server of this test, never the shared one), what is kept with its error while the
broker is down, what the sweep sends and forgets, and that a row is sent once.

The task is a probe registered by this module; eager mode (no broker) runs it in-process."""

from __future__ import annotations

import base64
import json
import logging
import socket
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from django.db import connection, transaction
from django.utils import timezone

from tests.faults import SecondSession
from tests.foundation.test_cache_down import redis_server  # noqa: F401 - the fixture
from vaxrecon.celery import app
from verification.models import TaskOutbox
from verification.services import outbox
from verification.services.outbox import (
    outbox_enqueue,
    outbox_enqueue_many,
    outbox_hold,
    outbox_relay,
    outbox_sweep,
)

PROBE = "tests.outbox_probe"
RAN: list[list] = []


@app.task(name=PROBE)
def outbox_probe(*args):
    RAN.append(list(args))


@contextmanager
def celery_conf(monkeypatch, *, eager: bool, url: str | None = None):
    """The Celery app in eager mode or on the broker at `url`; restored after."""
    before = app.conf.broker_url, app.conf.task_always_eager
    if url:
        monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery reads it before its own setting
        app.conf.broker_url = url
    app.conf.task_always_eager = eager
    app._pool = None  # noqa: SLF001 - Celery caches its connection pools for the old URL
    app.amqp._producer_pool = None  # noqa: SLF001
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = before
        app._pool = None  # noqa: SLF001
        app.amqp._producer_pool = None  # noqa: SLF001


@pytest.fixture
def broker(redis_server, monkeypatch):  # noqa: F811 - the imported fixture
    with celery_conf(monkeypatch, eager=False, url=redis_server.url):
        yield redis_server


@pytest.fixture
def broker_down(monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    with celery_conf(monkeypatch, eager=False, url=url):
        yield url


@pytest.fixture
def eager(monkeypatch):
    RAN.clear()
    with celery_conf(monkeypatch, eager=True):
        yield RAN


@pytest.fixture
def outbox_log() -> list[str]:
    """The outbox's log lines, as the operator reads them (a handler of its own: Celery's module
    import may replace the root handlers that caplog relies on)."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger = logging.getLogger("verification.services.outbox")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def queued(server) -> list[tuple[str, list]]:
    """(task, args) of every message in the server's default queue, oldest first."""
    out = []
    for raw in reversed(redis.Redis(port=server.port).lrange("celery", 0, -1)):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], args))
    return out


def kept_earlier(*args) -> TaskOutbox:
    """A row the outbox kept from an earlier transaction (the broker was down then)."""
    return TaskOutbox.objects.create(task=PROBE, args=list(args), attempts=1,
                                     last_error="OperationalError: x")


@pytest.mark.django_db
def test_a_task_reaches_the_queue_once_after_its_transaction_commits_with_its_arguments(
        broker, django_capture_on_commit_callbacks):
    earlier = kept_earlier(1)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(PROBE, 7, "Hà Nội")
        assert queued(broker) == []  # not before the commit
    row = TaskOutbox.objects.exclude(pk=earlier.pk).get()
    assert queued(broker) == [(PROBE, [7, "Hà Nội"])]
    assert (row.sent_at is not None, row.attempts, row.last_error) == (True, 1, "")
    # The relay after a commit sends that transaction's rows only: the earlier one waits for the sweep.
    earlier.refresh_from_db()
    assert (earlier.sent_at, earlier.attempts) == (None, 1)
    assert outbox_sweep() == 1
    assert queued(broker) == [(PROBE, [7, "Hà Nội"]), (PROBE, [1])]
    assert outbox_sweep() == 0 and len(queued(broker)) == 2  # each sent once


@pytest.mark.django_db
def test_with_the_broker_down_the_rows_are_kept_the_first_with_its_error_and_the_caller_goes_on(
        broker_down, django_capture_on_commit_callbacks, outbox_log):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue_many(PROBE, [[1], [2]])
    assert time.monotonic() - started < 2  # one refused connection, not the client's retries
    first, second = TaskOutbox.objects.order_by("pk")
    assert (first.sent_at, first.attempts) == (None, 1)
    assert first.last_error.startswith("OperationalError: ") and "refused" in first.last_error.lower()
    assert (second.sent_at, second.attempts, second.last_error) == (None, 0, "")  # the relay stopped there
    [line] = outbox_log
    assert line.startswith(
        f"task queue unavailable, {PROBE} kept in the outbox (row {first.pk}): ")
    assert outbox_relay() == 0  # still down: the oldest is tried again and counted
    first.refresh_from_db()
    assert (first.sent_at, first.attempts) == (None, 2)


@pytest.mark.django_db
def test_in_eager_mode_a_task_runs_once_after_commit_and_is_marked_sent(
        eager, django_capture_on_commit_callbacks):
    earlier = kept_earlier(1)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(outbox_probe, 5)  # the task itself: kept by its name
        assert eager == []
    assert eager == [[5]]
    row = TaskOutbox.objects.exclude(pk=earlier.pk).get()
    assert (row.task, row.sent_at is not None, row.attempts) == (PROBE, True, 1)
    assert TaskOutbox.objects.get(pk=earlier.pk).sent_at is None  # not this transaction's


@pytest.mark.django_db
def test_the_sweep_sends_more_than_one_run_of_rows_and_says_how_many(eager, outbox_log):
    TaskOutbox.objects.bulk_create([TaskOutbox(task=PROBE, args=[i]) for i in range(1001)])
    assert outbox_sweep() == 1001
    assert len(eager) == 1001 and sorted(a[0] for a in eager) == list(range(1001))
    assert not TaskOutbox.objects.filter(sent_at__isnull=True).exists()
    assert set(TaskOutbox.objects.values_list("attempts", flat=True)) == {1}
    assert outbox_log == ["outbox: 1001 task(s) sent"]


@pytest.mark.django_db
def test_the_sweep_forgets_rows_sent_more_than_a_day_ago_and_keeps_the_rest(eager):
    now = timezone.now()
    old = TaskOutbox.objects.create(task=PROBE, sent_at=now - timedelta(hours=25), attempts=1)
    recent = TaskOutbox.objects.create(task=PROBE, sent_at=now - timedelta(hours=23), attempts=1)
    pending = kept_earlier(3)
    TaskOutbox.objects.create(task=PROBE, sent_at=now - timedelta(hours=47), attempts=1)
    assert outbox_sweep() == 1
    assert set(TaskOutbox.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not TaskOutbox.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_a_forked_helper_that_holds_the_outbox_sends_nothing(eager, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    monkeypatch.setattr(outbox, "_held", False)  # restored after: the switch is for this process
    outbox_hold()
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(PROBE, 9)
    assert outbox_relay() == 0 and outbox_sweep() == 0
    assert eager == [] and TaskOutbox.objects.get().sent_at is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_row_another_relay_is_sending_is_passed_over_not_waited_for(eager):
    locked, free = (TaskOutbox.objects.create(task=PROBE, args=[i]) for i in (1, 2))
    other = SecondSession()
    try:
        other.execute("SELECT id FROM verification_taskoutbox WHERE id = %s FOR UPDATE", [locked.pk])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            assert outbox_relay() == 1
        assert eager == [[2]]
    finally:
        other.release()
        other.close()
    assert TaskOutbox.objects.get(pk=locked.pk).sent_at is None
    assert TaskOutbox.objects.get(pk=free.pk).sent_at is not None


@pytest.mark.django_db
def test_a_row_naming_no_known_task_is_kept_with_the_reason_and_the_rows_after_it_still_go(
        broker, outbox_log):
    # e.g. a task renamed by an upgrade while rows of its old name waited for the broker
    unknown = TaskOutbox.objects.create(task="verification.tasks.no_such_task", args=[1])
    later = kept_earlier(2)
    assert outbox_sweep() == 1
    assert queued(broker) == [(PROBE, [2])]
    unknown.refresh_from_db()
    assert (unknown.sent_at, unknown.attempts) == (None, 1)
    assert unknown.last_error == "unknown task verification.tasks.no_such_task"
    assert TaskOutbox.objects.get(pk=later.pk).sent_at is not None
    assert outbox_log == [f"outbox row {unknown.pk} names no known task "
                                    "verification.tasks.no_such_task: kept, the others sent",
                          "outbox: 1 task(s) sent"]
    assert outbox_sweep() == 0 and queued(broker) == [(PROBE, [2])]


@pytest.mark.django_db
def test_in_eager_mode_a_row_naming_no_known_task_is_kept_and_the_others_run(eager):
    unknown = TaskOutbox.objects.create(task="verification.tasks.no_such_task", args=[1])
    kept_earlier(2)
    assert outbox_sweep() == 1 and eager == [[2]]
    unknown.refresh_from_db()
    assert (unknown.sent_at, unknown.attempts, unknown.last_error) == (
        None, 1, "unknown task verification.tasks.no_such_task")


@pytest.mark.django_db
def test_where_the_database_returns_no_new_ids_the_commit_still_sends_the_rows(
        eager, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)  # an old SQLite
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue_many(PROBE, [[1], [2]])
    assert eager == [[1], [2]]
    assert not TaskOutbox.objects.filter(sent_at__isnull=True).exists()
