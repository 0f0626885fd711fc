"""Redis down (PostgreSQL + a throwaway redis-server of this test, never the shared one): the pages
keep working, the queued import is kept in the outbox, and it is sent exactly once when Redis is
back; a real worker on it then imports every row once."""

from __future__ import annotations

import shutil
import socket
import subprocess

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import InjectionRecord
from tests.faults import wait_for
from tests.imports.conftest import LINKED_ROW, NONE_ROW, REVIEW_ROW, write_csv
from vaxrecon.celery import app
from verification.models import ImportedRow, ImportJob, TaskOutbox
from verification.services.outbox import outbox_sweep


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayRedis:
    """A redis-server of our own on a free port, no persistence: `start()`, `stop()` (SIGTERM)."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        wait_for(lambda: _answers(client), timeout=10, what="the throwaway redis-server to answer")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def queued(self) -> int:
        return redis.Redis(port=self.port).llen("celery")


def _answers(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.fixture
def own_broker(celery_worker_factory, monkeypatch):
    """The test process's Celery app on a throwaway redis-server (started); restored after."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = ThrowawayRedis()
    server.start()
    previous = app.conf.broker_url

    def use(url):
        monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery reads it before its own setting
        app.conf.broker_url = url
        app._pool = None  # noqa: SLF001 - Celery caches its connection pools for the old URL
        app.amqp._producer_pool = None  # noqa: SLF001

    use(server.url)
    try:
        yield server
    finally:
        server.stop()
        use(previous)


@pytest.mark.services
def test_with_redis_down_the_upload_works_and_the_job_is_sent_once_when_redis_is_back(
        own_broker, celery_worker_factory, registry, clinic_user, client, tmp_path):
    path = write_csv(tmp_path / "log.csv", [LINKED_ROW, REVIEW_ROW, NONE_ROW])
    client.force_login(clinic_user)
    own_broker.stop()

    upload = SimpleUploadedFile("log.csv", path.read_bytes(), content_type="text/csv")
    response = client.post(reverse("verification:import_upload"), {"file": upload})

    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportJob.Status.QUEUED
    kept = TaskOutbox.objects.get()
    assert (kept.task, kept.args, kept.sent_at) == ("verification.imports.tasks.run_import_job", [job.pk],
                                                    None)
    assert kept.attempts == 1 and "Error" in kept.last_error
    for page in (reverse("verification:import_job", args=[job.pk]), reverse("verification:import_upload"),
                 reverse("home")):
        assert client.get(page).status_code == 200
    assert outbox_sweep() == 0  # still down: kept again

    own_broker.start()
    assert outbox_sweep() == 1
    assert own_broker.queued() == 1
    assert outbox_sweep() == 0 and own_broker.queued() == 1  # sent once, not again
    celery_worker_factory(CELERY_BROKER_URL=own_broker.url)
    wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status="done").exists(), timeout=60,
             what="the worker on the returned Redis to run the job")

    job.refresh_from_db()
    assert (job.linked_rows, job.review_rows, job.unmatched_rows, job.attempts) == (1, 1, 1, 1)
    assert ImportedRow.objects.count() == 3
    assert InjectionRecord.objects.filter(source_record_id="R-LINK").count() == 1
    assert own_broker.queued() == 0 and not TaskOutbox.objects.filter(sent_at__isnull=True).exists()
