"""Import jobs: a clinic's uploaded log, stored and queued for a Celery worker (`tasks`)."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from records.audit import record_event
from records.models import Facility
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidInput, NotAllowed
from verification.imports.tasks import run_import_job
from verification.models import ImportJob

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
    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job
