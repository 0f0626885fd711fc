"""Running an import job (queued by `services.import_job_create`): claimed under a lease,
imported, summed up; and the reaper of the jobs whose worker was lost."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _

from records.audit import record_event
from vaxrecon.errors import DomainError
from verification.imports.landing import ImportResult
from verification.imports.pipeline import import_records
from verification.imports.selectors import Landed, job_landed
from verification.models import ImportJob
from verification.services.leases import lease_claim, lease_held, lease_kept, lease_owner, leases_reap

logger = logging.getLogger(__name__)
DATABASE_LOST = (OperationalError, InterfaceError)


def _error_report_name() -> str:
    return f"imports/errors/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.csv"


def import_job_run(*, job_id: int, owner: str | None = None) -> ImportJob | None:
    """Run a queued job; None when it is not to run here (another worker holds its lease, it
    is finished, or gone).

    Claimed under a lease renewed while it runs (`verification.services.leases`), so a task
    delivered twice never runs an import twice at once, and a killed worker's job is reaped
    as failed and resumable. A later attempt (resumed, or taken over) reads the file again:
    the ledger skips the rows earlier attempts landed, and the counts add them back. When the
    database goes away mid-run the error is raised with the job left running: the task
    retries (the same owner takes its job back), or the lease runs out and the reaper steps in.
    """
    owner = owner or lease_owner()
    if not lease_claim(ImportJob, pk=job_id, owner=owner):
        return None
    job = ImportJob.objects.select_related("facility", "uploaded_by").get(pk=job_id)
    earlier = job_landed(job=job) if job.attempts > 1 else None
    name = _error_report_name()
    report_path = Path(settings.MEDIA_ROOT) / name
    held = lease_held(ImportJob, pk=job_id, owner=owner)
    try:
        with lease_kept(ImportJob, pk=job_id, owner=owner):
            result = import_records(path=job.file.path, error_report=report_path, facility=job.facility,
                                    actor=job.uploaded_by, job=job, batch_size=settings.IMPORT_BATCH_ROWS)
    except DomainError as exc:
        report_path.unlink(missing_ok=True)
        held.update(status=ImportJob.Status.FAILED, message=exc.message, finished_at=timezone.now())
        return ImportJob.objects.get(pk=job_id)
    except DATABASE_LOST:
        report_path.unlink(missing_ok=True)
        raise
    except Exception:
        logger.exception("import job %s failed", job_id)
        report_path.unlink(missing_ok=True)
        held.update(status=ImportJob.Status.FAILED, finished_at=timezone.now(), resumable=True,
                    message=_("The import stopped on an unexpected error. The batches already landed stay; "
                              "resuming it adds only the rest."))
        raise
    return _job_done(job, result, earlier=earlier, report=name, owner=owner)


def _job_done(job: ImportJob, result: ImportResult, *, earlier: Landed | None, report: str,
              owner: str) -> ImportJob:
    counts = {"linked_rows": result.linked, "review_rows": result.review, "unmatched_rows": result.unmatched,
              "skipped_rows": result.skipped}
    if earlier is not None:  # landed by earlier attempts: this one saw those rows as already imported
        counts["linked_rows"] += earlier.linked
        counts["review_rows"] += earlier.review
        counts["unmatched_rows"] += earlier.unmatched
        counts["skipped_rows"] -= earlier.rows
    finished = lease_held(ImportJob, pk=job.pk, owner=owner).update(
        status=ImportJob.Status.DONE, finished_at=timezone.now(), processed_rows=result.processed,
        total_rows=result.total, invalid_rows=result.invalid, error_report=report if result.invalid else "",
        lease_owner="", **counts)
    if not result.invalid or not finished:
        (Path(settings.MEDIA_ROOT) / report).unlink(missing_ok=True)
    job.refresh_from_db()
    if not finished:  # reaped meanwhile (the database was away longer than the lease): its page says so
        logger.warning("import job %s finished after losing its lease; left %s", job.pk, job.status)
        return job
    record_event(actor=job.uploaded_by, action="import.done", obj=job,
                 after={"linked": job.linked_rows, "review": job.review_rows, "cases": job.unmatched_rows,
                        "invalid": job.invalid_rows, "skipped": job.skipped_rows, "attempts": job.attempts})
    return job


def import_jobs_reap() -> list[int]:
    """Mark failed and resumable the running imports whose lease expired; returns their ids."""
    return leases_reap(ImportJob, action="import.lease_expired", message=_(
        "The worker running this import stopped (killed, or cut off from the database). The batches "
        "landed before stay; resume it to import the rest."))
