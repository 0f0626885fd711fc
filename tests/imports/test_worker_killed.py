"""A Celery worker killed with kill -9 in the middle of an import (PostgreSQL + Redis only): its
forked matchers die with it, the job is reaped as failed and resumable by the next worker to
start, the page says exactly what landed, and resuming lands every other row once."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.urls import reverse

from records.models import AuditEvent, InjectionRecord
from tests.faults import SecondSession, kill_when_held, wait_for
from tests.imports.conftest import LINKED_ROW, NONE_ROW, REVIEW_ROW, report_row, write_csv
from verification.imports.files import REPORT_COLUMNS, open_table
from verification.imports.validation import content_hash
from verification.models import CaseEvent, ImportedRow, ImportJob, MatchReview, ReconciliationCase, TaskOutbox

BATCH, LEASE = 50, 1
FAMILIES = ["Lò", "Mùa", "Giàng", "Sùng", "Vàng"]
MIDDLE = ["Văn", "Thị", "Seo", "Mí"]
GIVEN = ["Páo", "Chứ", "Dình", "Sểnh", "Khua", "Mỷ", "Pó", "Chía", "Sủ", "Tráng", "Lử", "Dế", "Nủ", "Chờ",
         "Sài"]
WORKER_ENV = {"JOB_LEASE_SECONDS": str(LEASE), "IMPORT_BATCH_ROWS": str(BATCH)}


def _log(tmp_path):
    """The three known rows, then 300 people nobody in the registry resembles."""
    strangers = [report_row(f"K-{n:03d}", full_name=f"{f} {m} {g}", date_of_birth=str(1950 + n % 50),
                            sex="F" if m in ("Thị", "Mí") else "M")
                 for n, (f, m, g) in enumerate(((f, m, g) for f in FAMILIES for m in MIDDLE for g in GIVEN),
                                               start=1)]
    return write_csv(tmp_path / "log.csv", [LINKED_ROW, REVIEW_ROW, NONE_ROW, *strangers])


def _ledger_key(path, record_id: str) -> tuple[str, str]:
    for _line, row in open_table(path, REPORT_COLUMNS).rows():
        if row["record_id"] == record_id:
            return record_id, content_hash(row, REPORT_COLUMNS)
    raise AssertionError(record_id)


def _landed(job) -> int:
    return ImportedRow.objects.filter(job=job).count()


@pytest.mark.services
def test_a_worker_killed_mid_import_leaves_a_resumable_job_that_finishes_every_row_once(
        celery_worker_factory, registry, clinic_user, client, tmp_path, settings):
    settings.JOB_LEASE_SECONDS = LEASE
    path = _log(tmp_path)
    # The fifth batch of the engine's rows waits on this session's uncommitted ledger row.
    blocker = SecondSession()
    blocker.execute("INSERT INTO verification_importedrow (source_record_id, content_hash, outcome, "
                    "created_at) VALUES (%s, %s, 'none', now())", _ledger_key(path, "K-200"))
    worker = celery_worker_factory(**WORKER_ENV)
    client.force_login(clinic_user)
    client.post(reverse("verification:import_upload"),
                {"file": SimpleUploadedFile("log.csv", path.read_bytes(), content_type="text/csv")})
    job = ImportJob.objects.get()
    kill_when_held(worker, blocker, ready=blocker.waiting_on_locks,
                   what="the worker to reach the blocked batch")
    landed = _landed(job)
    time.sleep(1)
    job.refresh_from_db()
    assert (_landed(job), job.status) == (landed, ImportJob.Status.RUNNING)  # nothing more written
    assert landed == 1 + 4 * BATCH  # the SQL rule's link, then four whole batches: none in part

    time.sleep(LEASE + 0.5)
    celery_worker_factory(**WORKER_ENV)  # its start reaps the job whose lease ran out
    wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status="failed", resumable=True).exists(),
             timeout=10, what="the job to be reaped as failed and resumable")
    page = client.get(reverse("verification:import_job", args=[job.pk])).content.decode()
    assert f'data-landed="{landed}" data-batches="5"' in page
    assert reverse("verification:import_job_resume", args=[job.pk]) in page

    response = client.post(reverse("verification:import_job_resume", args=[job.pk]))
    assert response.status_code == 302
    wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status__in=["done", "failed"]).exists(), timeout=60,
             what="the resumed import to finish")

    job.refresh_from_db()
    assert (job.status, job.attempts, job.invalid_rows, job.skipped_rows) == ("done", 2, 0, 0), job.message
    assert job.linked_rows + job.review_rows + job.unmatched_rows == 303 == _landed(job)
    assert ImportedRow.objects.values("source_record_id").distinct().count() == 303
    assert InjectionRecord.objects.filter(source_record_id="R-LINK").count() == 1
    assert not MatchReview.objects.values("source_record_id").annotate(n=Count("id")).filter(n__gt=1)
    cases = ReconciliationCase.objects.filter(origin=ReconciliationCase.Origin.BULK_IMPORT)
    assert cases.count() == job.unmatched_rows == CaseEvent.objects.filter(transition="import").count()
    assert len({e.data["record_id"] for e in CaseEvent.objects.filter(transition="import")}) == cases.count()
    audit = dict(AuditEvent.objects.filter(object_id=str(job.pk), action__in=[
        "import.lease_expired", "import.resume", "import.done"]).values_list("action")
        .annotate(n=Count("id")))
    assert audit == {"import.lease_expired": 1, "import.resume": 1, "import.done": 1}
    assert not TaskOutbox.objects.filter(sent_at__isnull=True).exists()
