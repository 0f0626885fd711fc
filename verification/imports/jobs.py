"""Import jobs: a clinic's uploaded log, queued for a Celery worker, run, and summed up."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from records.audit import record_event
from records.models import Facility
from vaxrecon.access import scope_for
from vaxrecon.errors import DomainError, InvalidInput, NotAllowed
from verification.models import ImportJob

logger = logging.getLogger(__name__)
ALLOWED_SUFFIXES = (".csv", ".xlsx")
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


@transaction.atomic
def import_job_create(*, actor, upload) -> ImportJob:
    """Store the uploaded file as a queued job of the actor's facility and enqueue it once
    the transaction commits. Returns the job."""
    scope = scope_for(actor)
    if not scope.facility_id:
        raise NotAllowed(_("Only staff of a facility can import a log."))
    name = Path(upload.name or "").name
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise InvalidInput(_("Upload a .csv or .xlsx file."), field="file")
    if upload.size == 0:
        raise InvalidInput(_("The file is empty."), field="file")
    if upload.size > MAX_UPLOAD_BYTES:
        raise InvalidInput(_("The file is larger than 512 MB: split it."), field="file")
    job = ImportJob(facility=Facility.objects.get(pk=scope.facility_id), uploaded_by=actor,
                    original_name=name[:200])
    # Stored under a random name: the original name is kept in the row, never trusted on disk.
    upload.name = f"{secrets.token_hex(16)}{Path(name).suffix.lower()}"
    job.file = upload
    job.save()
    record_event(actor=actor, action="import.upload", obj=job, after={"file": name, "size": upload.size})
    from verification.imports.tasks import run_import_job

    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


def _error_report_name() -> str:
    return f"imports/errors/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.csv"


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job; None when another worker already claimed it (or it is gone).

    Claimed with a conditional UPDATE that must touch exactly one row, so a redelivered
    task never runs an import twice at once (and a re-run would add nothing anyway).
    """
    from verification.imports.injections import import_records

    if ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.RUNNING) != 1:
        return None
    job = ImportJob.objects.select_related("facility", "uploaded_by").get(pk=job_id)
    name = _error_report_name()
    report_path = Path(settings.MEDIA_ROOT) / name
    try:
        result = import_records(path=job.file.path, error_report=report_path, facility=job.facility,
                                actor=job.uploaded_by, job=job)
    except DomainError as exc:
        report_path.unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, message=exc.message,
                                                   finished_at=timezone.now())
        return ImportJob.objects.get(pk=job_id)
    except Exception:
        logger.exception("import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(),
            message=_("The import stopped on an unexpected error. Rows already imported stay; "
                      "uploading the same file again adds only the rest."))
        raise
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE, finished_at=timezone.now(), processed_rows=result.processed,
        total_rows=result.total, linked_rows=result.linked, review_rows=result.review,
        unmatched_rows=result.unmatched, invalid_rows=result.invalid, skipped_rows=result.skipped,
        error_report=name if result.invalid else "")
    if not result.invalid:
        report_path.unlink(missing_ok=True)
    job.refresh_from_db()
    record_event(actor=job.uploaded_by, action="import.done", obj=job,
                 after={"linked": job.linked_rows, "review": job.review_rows, "cases": job.unmatched_rows,
                        "invalid": job.invalid_rows, "skipped": job.skipped_rows})
    return job
