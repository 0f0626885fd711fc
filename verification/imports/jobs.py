"""Running an import job (queued by `services.import_job_create`): claimed once, imported, summed up."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from records.audit import record_event
from vaxrecon.errors import DomainError
from verification.imports.pipeline import import_records
from verification.models import ImportJob

logger = logging.getLogger(__name__)


def _error_report_name() -> str:
    return f"imports/errors/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.csv"


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job; None when another worker already claimed it (or it is gone).

    Claimed with a conditional UPDATE that must touch exactly one row, so a redelivered
    task never runs an import twice at once (and a re-run would add nothing anyway).
    """
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
