"""An auditor can tell, for every row an import created, who imported it, from which file and line.

Each run that lands rows writes one `import.file` audit event (the actor, the file's name, size
and SHA-256, the job, the facility); the ledger row of each landed line names that event and the
line, and the injection record the line became; a review names the event (its record keeps the
line); a case's opening event names the event and the line. Both import paths, the command
(no job) and an uploaded job; a re-run lands nothing and writes no new event.
"""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection

from records.models import AuditEvent, InjectionRecord
from tests.imports.conftest import LINKED_ROW, NONE_ROW, REVIEW_ROW, report_row, write_csv
from verification.imports.pipeline import import_records
from verification.models import CaseEvent, ImportedRow, ImportJob, MatchReview

PATHS = [False, True] if connection.vendor == "postgresql" else [False]
INCOMPLETE_ROW = report_row("R-INCOMPLETE", full_name="Sùng Thị Dợ", date_of_birth="2004")  # no sex
# Lines: the header is line 1.
LINES = {"R-LINK": 2, "R-REVIEW": 3, "R-NONE": 4, "R-INCOMPLETE": 5}


def _log(tmp_path):
    return write_csv(tmp_path / "so-tiem-thang-9.csv", [LINKED_ROW, REVIEW_ROW, NONE_ROW, INCOMPLETE_ROW])


def who_and_where(event_id: int, line: int) -> tuple:
    """What the auditor reads: the import event's actor, file, digest and job, and the line."""
    event = AuditEvent.objects.get(pk=event_id)
    assert event.action == "import.file"
    return (event.actor_label, event.after["file"], event.after["sha256"], event.object_id, line)


@pytest.mark.parametrize("fast", PATHS, ids=lambda f: "fast path" if f else "portable path")
def test_every_record_a_command_import_creates_names_its_import_event_file_and_line(
        tmp_path, registry, hanoi_facility, fast):
    path = _log(tmp_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    result = import_records(path=path, error_report=tmp_path / "errors.csv", facility=hanoi_facility,
                            fast=fast, workers=1)
    assert (result.linked, result.review, result.unmatched, result.invalid) == (1, 1, 1, 1)
    (event,) = AuditEvent.objects.filter(action="import.file")
    assert event.after == {"file": path.name, "bytes": path.stat().st_size, "sha256": digest,
                           "facility": hanoi_facility.pk}
    expected = {rid: ("system", path.name, digest, "", line) for rid, line in LINES.items()}

    dose = InjectionRecord.objects.get(source_record_id="R-LINK")
    assert who_and_where(dose.imported_row.import_event_id, dose.imported_row.line) == expected["R-LINK"]
    review = MatchReview.objects.get(source_record_id="R-REVIEW")
    assert who_and_where(review.import_event_id, review.record["line"]) == expected["R-REVIEW"]
    opening = CaseEvent.objects.get(transition="import")
    assert opening.data["record_id"] == "R-NONE"
    assert who_and_where(opening.data["import_event"], opening.data["line"]) == expected["R-NONE"]
    for row in ImportedRow.objects.all():  # the ledger, the incomplete line included
        assert who_and_where(row.import_event_id, row.line) == expected[row.source_record_id]
    assert ImportedRow.objects.get(source_record_id="R-INCOMPLETE").outcome == "incomplete"

    again = import_records(path=path, error_report=tmp_path / "again.csv", facility=hanoi_facility, fast=fast,
                           workers=1)
    assert (again.linked, again.review, again.unmatched) == (0, 0, 0)
    assert AuditEvent.objects.filter(action="import.file").count() == 1  # nothing landed: no new event
    assert InjectionRecord.objects.get(source_record_id="R-LINK").imported_row.import_event_id == event.pk


def test_a_job_s_records_name_the_uploading_clinic_user_the_uploaded_name_and_the_job(
        tmp_path, registry, hanoi_facility, clinic_user):
    path = _log(tmp_path)
    job = ImportJob.objects.create(facility=hanoi_facility, uploaded_by=clinic_user, file=str(path),
                                   original_name="Sổ tiêm tháng 9.csv")
    import_records(path=path, error_report=tmp_path / "errors.csv", facility=hanoi_facility,
                   actor=clinic_user, job=job, workers=1)
    dose = InjectionRecord.objects.get(source_record_id="R-LINK")
    assert who_and_where(dose.imported_row.import_event_id, dose.imported_row.line) == (
        clinic_user.get_username(), "Sổ tiêm tháng 9.csv", hashlib.sha256(path.read_bytes()).hexdigest(),
        str(job.pk), 2)
    assert AuditEvent.objects.get(action="import.file").actor == clinic_user
    assert dose.created_by == clinic_user
