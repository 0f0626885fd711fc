"""Imports through the API: the same upload service, pipeline and worker task as the page; progress
polled; the error report downloaded; the facility's own jobs only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from records.models import AuditEvent
from tests.api.conftest import assert_problem, post, session_client
from tests.imports.conftest import LINKED_ROW, NONE_ROW, REVIEW_ROW, registry, report_row, write_csv
from verification.models import ImportJob

pytestmark = pytest.mark.django_db
URL = "/api/v1/imports/"
__all__ = ["registry"]  # the imports' hand-made registry, used as a fixture here


def upload(api, tmp_path, rows, name="log.csv", **extra):
    path = write_csv(tmp_path / "log.csv", rows)
    return post(
        api,
        URL,
        {"file": SimpleUploadedFile(name, path.read_bytes(), content_type="text/csv")},
        format="multipart",
        **extra,
    )


def test_an_upload_runs_the_import_and_its_progress_and_errors_can_be_read(
    clinic_api, registry, tmp_path, django_capture_on_commit_callbacks
):
    bad = report_row("R-BAD", full_name="Trần Thị Mơ", date_of_birth="1990", sex="F", vaccine="Vodka")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(clinic_api, tmp_path, [LINKED_ROW, REVIEW_ROW, NONE_ROW, bad])
    assert response.status_code == 202, response.json()
    job = ImportJob.objects.get()
    assert response["Location"] == f"{URL}{job.pk}/" and response.json()["status"] == "queued"
    progress = clinic_api.get(f"{URL}{job.pk}/").json()
    assert progress["status"] == "done" and progress["percent"] == 100 and progress["finished"]
    assert (
        progress["linked_rows"],
        progress["review_rows"],
        progress["unmatched_rows"],
        progress["invalid_rows"],
    ) == (1, 1, 1, 1)
    report = clinic_api.get(f"{URL}{job.pk}/errors/")
    assert report.status_code == 200 and report["Content-Type"] == "text/csv"
    assert "R-BAD,vaccine,Vodka" in b"".join(report.streaming_content).decode("utf-8-sig")
    assert AuditEvent.objects.filter(action="import.upload", object_id=str(job.pk)).exists()
    assert [j["id"] for j in clinic_api.get(URL, {"status": "done"}).json()["results"]] == [job.pk]


def test_a_file_that_is_no_log_is_refused_naming_the_field(clinic_api, tmp_path):
    response = post(
        clinic_api,
        URL,
        {"file": SimpleUploadedFile("log.pdf", b"%PDF-1.4", content_type="x")},
        format="multipart",
    )
    assert_problem(response, 400, "invalid_input", field="file")
    assert_problem(post(clinic_api, URL, {}, format="multipart"), 400, "invalid_input", field="file")
    assert not ImportJob.objects.exists()


@pytest.fixture
def job(clinic_user, hanoi_facility) -> ImportJob:
    """A quarter of a 200-row import done."""
    return ImportJob.objects.create(facility=hanoi_facility, uploaded_by=clinic_user, original_name="x.csv",
                                    status=ImportJob.Status.RUNNING, total_rows=200, processed_rows=50)


def test_outsiders_and_other_roles_cannot_read_a_job(other_clinic_api, police_user, job):
    assert_problem(other_clinic_api.get(f"{URL}{job.pk}/"), 404, "not_found")
    assert_problem(other_clinic_api.get(f"{URL}{job.pk}/errors/"), 404, "not_found")
    assert other_clinic_api.get(URL).json()["results"] == []
    assert_problem(session_client(police_user).get(f"{URL}{job.pk}/"), 403, "not_allowed")


def test_a_running_job_shows_its_percent_and_has_no_report_yet(clinic_api, job):
    body = clinic_api.get(f"{URL}{job.pk}/").json()
    assert (body["percent"], body["finished"], body["has_error_report"]) == (25, False, False)
    assert_problem(clinic_api.get(f"{URL}{job.pk}/errors/"), 404, "not_found")
