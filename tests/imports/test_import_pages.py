"""The upload page, the job page with its progress fragment, the error report download, and
the review queue: clinic staff of the facility only (an outsider clinic 404, other roles 403)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import Citizen
from tests.imports.conftest import LINKED_ROW, NONE_ROW, REVIEW_ROW, report_row, write_csv
from verification.imports.services import import_job_create
from verification.models import ImportJob, MatchReview

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_and_eager_tasks(eager_imports):
    """Files under tmp; the import task runs in-process here (the worker test covers Redis)."""


def upload(client, user, tmp_path, rows) -> ImportJob:
    client.force_login(user)
    path = write_csv(tmp_path / "log.csv", rows)
    response = client.post(reverse("verification:import_upload"),
                           {"file": SimpleUploadedFile("nhật ký.csv", path.read_bytes(),
                                                       content_type="text/csv")})
    assert response.status_code == 302
    return ImportJob.objects.get()


def test_clinic_staff_upload_a_log_and_see_the_counts(client, clinic_user, registry, tmp_path,
                                                      django_capture_on_commit_callbacks):
    bad = report_row("R-BAD", full_name="Trần Thị Mơ", date_of_birth="1990", sex="F", vaccine="Vodka")
    with django_capture_on_commit_callbacks(execute=True):
        job = upload(client, clinic_user, tmp_path, [LINKED_ROW, REVIEW_ROW, NONE_ROW, bad])

    page = client.get(reverse("verification:import_job", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.original_name == "nhật ký.csv"
    assert (job.linked_rows, job.review_rows, job.unmatched_rows, job.invalid_rows) == (1, 1, 1, 1)
    html = page.content.decode()
    assert 'data-count="linked">1<' in html and 'data-count="invalid">1<' in html
    assert reverse("verification:import_error_report", args=[job.pk]) in html
    report = client.get(reverse("verification:import_error_report", args=[job.pk]))
    body = b"".join(report.streaming_content).decode("utf-8-sig")
    assert report["Content-Disposition"].startswith("attachment")
    assert "5,R-BAD,vaccine,Vodka,Unknown vaccine." in body or "5,R-BAD,vaccine,Vodka," in body


def test_the_progress_fragment_polls_while_the_job_runs(client, clinic_user, hanoi_facility):
    job = ImportJob.objects.create(facility=hanoi_facility, uploaded_by=clinic_user, original_name="x.csv",
                                   status=ImportJob.Status.RUNNING, total_rows=200, processed_rows=50)
    client.force_login(clinic_user)

    html = client.get(reverse("verification:import_job_progress", args=[job.pk])).content.decode()

    assert 'hx-trigger="every 1s"' in html and 'value="25"' in html


def test_a_non_spreadsheet_upload_is_refused_on_the_form(client, clinic_user):
    client.force_login(clinic_user)
    response = client.post(reverse("verification:import_upload"),
                           {"file": SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff",
                                                       content_type="image/jpeg")})

    assert response.status_code == 200 and not ImportJob.objects.exists()


def test_a_malformed_upload_ends_as_a_failed_job_with_the_reason(client, clinic_user, tmp_path,
                                                                 reference_data,
                                                                 django_capture_on_commit_callbacks):
    client.force_login(clinic_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("verification:import_upload"),
                    {"file": SimpleUploadedFile("log.csv", b"a,b,c\n1,2,3\n", content_type="text/csv")})

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and "Missing: record_id" in job.message


def test_another_facility_gets_404_for_the_job_and_its_error_report(client, clinic_user, other_clinic_user,
                                                                    registry, tmp_path,
                                                                    django_capture_on_commit_callbacks):
    bad = report_row("R-BAD", full_name="X", vaccine="Vodka")
    with django_capture_on_commit_callbacks(execute=True):
        job = upload(client, clinic_user, tmp_path, [bad])
    client.force_login(other_clinic_user)

    for name in ("import_job", "import_job_progress", "import_error_report"):
        assert client.get(reverse(f"verification:{name}", args=[job.pk])).status_code == 404
    assert "x.csv" not in client.get(reverse("verification:import_upload")).content.decode()


def test_other_roles_get_403(client, police_user):
    client.force_login(police_user)

    assert client.get(reverse("verification:import_upload")).status_code == 403
    assert client.get(reverse("verification:review_queue")).status_code == 403


def test_the_review_queue_lists_open_reviews_with_masked_ids(client, clinic_user, other_clinic_user, registry,
                                                            tmp_path, django_capture_on_commit_callbacks):
    row = {**REVIEW_ROW, "id_number": "001185000199", "phone": "0911000199"}
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, clinic_user, tmp_path, [row])
    review = MatchReview.objects.get()

    html = client.get(reverse("verification:review_queue")).content.decode()

    assert f'data-review="{review.pk}"' in html
    assert "001185000199" not in html and "•••••••••199" in html and "0911000199" not in html
    client.force_login(other_clinic_user)
    queue = client.get(reverse("verification:review_queue")).content.decode()
    assert f'data-review="{review.pk}"' not in queue
    assert client.get(reverse("verification:review_detail", args=[review.pk])).status_code == 404


def test_another_facility_cannot_decide_a_review_and_nothing_changes(
        client, clinic_user, other_clinic_user, registry, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, clinic_user, tmp_path, [{**REVIEW_ROW, "sex": "", "date_of_birth": "1985"}])
    review = MatchReview.objects.get()
    before = Citizen.objects.count()
    client.force_login(other_clinic_user)

    for action, data in (("new-citizen", {"sex": "F", "date_of_birth": "1985-03-02"}),
                         ("reject", {"note": "x"})):
        response = client.post(reverse("verification:review_action", args=[review.pk, action]), data)
        assert response.status_code == 404

    review.refresh_from_db()
    assert review.status == MatchReview.Status.OPEN and Citizen.objects.count() == before


def test_the_review_page_compares_fields_and_accepting_links_the_dose(client, clinic_user, registry, tmp_path,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, clinic_user, tmp_path, [REVIEW_ROW])
    review = MatchReview.objects.get()

    html = client.get(reverse("verification:review_detail", args=[review.pk])).content.decode()
    assert f'data-candidate="{registry["lan_a"].pk}"' in html and 'class="agree"' in html
    assert "001185000101" not in html  # candidates' CCCDs are masked too

    response = client.post(reverse("verification:review_action", args=[review.pk, "accept"]),
                           {"citizen_id": registry["lan_a"].pk})

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == MatchReview.Status.ACCEPTED and review.injection.citizen == registry["lan_a"]


def test_creating_a_citizen_from_a_row_without_sex_asks_the_reviewer_for_it(
        client, clinic_user, registry, tmp_path, django_capture_on_commit_callbacks):
    row = {**REVIEW_ROW, "sex": "", "date_of_birth": "1985"}
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, clinic_user, tmp_path, [row])
    review = MatchReview.objects.get()
    url = reverse("verification:review_action", args=[review.pk, "new-citizen"])

    html = client.get(reverse("verification:review_detail", args=[review.pk])).content.decode()
    assert 'name="sex"' in html and 'name="date_of_birth"' in html

    before = Citizen.objects.count()
    refused = client.post(url, {"sex": "", "date_of_birth": ""})
    assert refused.status_code == 400 and "Sex must be M or F." in refused.content.decode()
    refused = client.post(url, {"sex": "F", "date_of_birth": "1990-01-01"})
    assert refused.status_code == 400 and "1985" in refused.content.decode()
    assert Citizen.objects.count() == before

    response = client.post(url, {"sex": "F", "date_of_birth": "1985-03-02"})

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == MatchReview.Status.NEW_CITIZEN
    assert (review.citizen.sex, str(review.citizen.date_of_birth)) == ("F", "1985-03-02")


def test_a_header_only_upload_ends_as_a_done_job_of_0_rows(client, clinic_user, registry, tmp_path,
                                                           django_capture_on_commit_callbacks):
    before = (Citizen.objects.count(), MatchReview.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        job = upload(client, clinic_user, tmp_path, [])

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.message
    counts = (job.total_rows, job.linked_rows, job.review_rows, job.unmatched_rows, job.invalid_rows)
    assert counts == (0, 0, 0, 0, 0)
    assert client.get(reverse("verification:import_job", args=[job.pk])).status_code == 200
    assert (Citizen.objects.count(), MatchReview.objects.count()) == before


@pytest.mark.django_db
def test_an_uploaded_file_name_is_kept_up_to_200_characters_and_cut_there(clinic_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    stem = ("Sổ tiêm chủng " * 15)[:196]
    for name, stored in ((stem + "a.csv", (stem + "a.csv")[:200]), (stem + ".csv", stem + ".csv")):
        job = import_job_create(actor=clinic_user, upload=SimpleUploadedFile(name, b"record_id\n"))
        job.refresh_from_db()
        assert (job.original_name, len(job.original_name)) == (stored, 200)
