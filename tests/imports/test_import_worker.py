"""The upload page end to end through a real Celery worker (PostgreSQL + Redis only)."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import InjectionRecord
from tests.imports.conftest import LINKED_ROW, NONE_ROW, REVIEW_ROW, report_row, write_csv
from verification.models import ImportJob


@pytest.mark.services
def test_an_uploaded_log_is_imported_by_the_worker_with_progress_and_report(
        celery_worker_process, registry, clinic_user, client, tmp_path):
    bad = report_row("R-BAD", full_name="Trần Thị Mơ", date_of_birth="1990", sex="F", vaccine="Vodka")
    path = write_csv(tmp_path / "log.csv", [LINKED_ROW, REVIEW_ROW, NONE_ROW, bad])
    client.force_login(clinic_user)

    response = client.post(reverse("verification:import_upload"),
                           {"file": SimpleUploadedFile("log.csv", path.read_bytes(),
                                                       content_type="text/csv")})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("verification:import_job",
                                                                            args=[job.pk])
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        fragment = client.get(reverse("verification:import_job_progress", args=[job.pk])).content.decode()
        if 'data-status="done"' in fragment or 'data-status="failed"' in fragment:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the worker did not finish the import in 90 s")

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.linked_rows, job.review_rows, job.unmatched_rows, job.invalid_rows) == (1, 1, 1, 1)
    assert "hx-trigger" not in fragment and 'data-count="linked">1<' in fragment
    assert InjectionRecord.objects.get(source_record_id="R-LINK").citizen == registry["hung"]
    report = client.get(reverse("verification:import_error_report", args=[job.pk]))
    assert "R-BAD,vaccine,Vodka" in b"".join(report.streaming_content).decode("utf-8-sig")
