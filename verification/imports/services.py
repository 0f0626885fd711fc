"""Import jobs: a clinic's uploaded log, stored and queued for a Celery worker (`tasks`) through
the task outbox; and resuming a job whose worker was lost."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from records.audit import record_event
from records.models import Facility
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidInput, InvalidTransition, NotAllowed, NotFoundInScope
from verification.imports.selectors import job_landed, jobs_in_scope
from verification.imports.tasks import run_import_job
from verification.models import ImportJob
from verification.services.outbox import outbox_enqueue

ALLOWED_SUFFIXES = (".csv", ".xlsx")
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


@transaction.atomic
def import_job_create(*, actor, upload) -> ImportJob:
    """Store the uploaded file as a queued job of the actor's facility, its task kept in the
    outbox in the same transaction (sent once it commits, or later if Redis is down). Returns
    the job."""
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
    outbox_enqueue(run_import_job, job.pk)
    return job


@transaction.atomic
def import_job_resume(*, actor, job_id: int) -> ImportJob:
    """Queue again an import of the actor's facility that its worker lost (failed, resumable).
    It reads the file again; the ledger skips the rows already landed, so each row lands once.
    Audited with what had landed. Returns the job."""
    scope = scope_for(actor)
    if not scope.facility_id:
        raise NotAllowed(_("Only staff of a facility can resume an import."))
    job = jobs_in_scope(scope=scope).select_for_update(of=("self",)).filter(pk=job_id).first()
    if job is None:
        raise NotFoundInScope(_("No such import."))
    if job.status != ImportJob.Status.FAILED or not job.resumable:
        raise InvalidTransition(_("Only an import whose worker stopped can be resumed; this one is: "
                                  "%(status)s.") % {"status": job.get_status_display()})
    landed = job_landed(job=job)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED, resumable=False, message="",
                                               finished_at=None)
    record_event(actor=actor, action="import.resume", obj=job,
                 before={"status": job.status, "attempts": job.attempts, "landed_rows": landed.rows,
                         "batches": landed.batches},
                 after={"status": ImportJob.Status.QUEUED})
    outbox_enqueue(run_import_job, job.pk)
    job.refresh_from_db()
    return job
