"""The issuer's bulk issue: a province's officer starts it from the page, a Celery worker runs it
(the service does the work, the counts are stored on the run), the page's progress block polls.
Personas: the province's officer, another province's officer (404), a signer (403)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Role
from certificates import services
from certificates.models import IssueRun, VaccinationCertificate
from records.models import AuditEvent, InjectionRecord, Province, VaccineProduct
from tests.certificates.conftest import DSC_SECRET
from tests.factories import HCM_PROVINCE, InjectionRecordFactory, make_user
from vaxrecon.celery import app
from vaxrecon.errors import InvalidInput

BULK = reverse("certificates:bulk")


@pytest.fixture
def eager_celery():
    """The task runs in-process on commit (also when a broker is configured): the page's hand-over."""
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield
    app.conf.task_always_eager = previous


def officer_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_officer_starts_a_bulk_issue_and_the_page_shows_its_counts(provincial_user, dsc, signed_citizen,
                                                                       hanoi_facility, eager_celery,
                                                                       django_capture_on_commit_callbacks):
    ready = [signed_citizen()[0] for _ in range(2)]
    half_signed, _records = signed_citizen()
    InjectionRecordFactory(citizen=half_signed, facility=hanoi_facility, dose_number=3)  # unsigned: not ready
    client = officer_client(provincial_user)

    with django_capture_on_commit_callbacks(execute=True):  # eager Celery here: the task runs on commit
        response = client.post(BULK)

    assert response.status_code == 302 and response["Location"] == BULK
    run = IssueRun.objects.get()
    assert (run.status, run.total, run.issued, run.unchanged, run.refused) == ("done", 3, 2, 0, 1)
    assert run.requested_by == provincial_user and run.percent == 100
    assert set(VaccinationCertificate.objects.values_list("citizen_id", flat=True)) == {c.pk for c in ready}
    assert AuditEvent.objects.filter(action="certificate.issue", actor=provincial_user).count() == 2
    assert AuditEvent.objects.filter(action="certificates.issue_run", actor=provincial_user).count() == 1
    block = client.get(reverse("certificates:bulk_progress", args=[run.pk])).content.decode()
    assert 'data-status="done"' in block and "hx-get" not in block  # finished: the polling stops
    assert "3 of 3 citizens looked at" in block and "2 issued, 0 unchanged, 1 not ready" in block


@pytest.mark.django_db
def test_a_running_progress_block_keeps_polling(provincial_user, reference_data):
    run = IssueRun.objects.create(requested_by=provincial_user, province=Province.objects.get(code=1),
                                  status=IssueRun.Status.RUNNING, total=4000, issued=2000)
    block = officer_client(provincial_user).get(reverse("certificates:bulk_progress", args=[run.pk]))
    body = block.content.decode()
    assert 'value="50"' in body and f'hx-get="{reverse("certificates:bulk_progress", args=[run.pk])}"' in body


@pytest.mark.django_db
def test_without_a_document_signer_nothing_is_queued_and_the_officer_is_told(provincial_user, signed_citizen):
    signed_citizen()
    response = officer_client(provincial_user).post(BULK, follow=True)
    assert "No document signer certificate is valid now" in response.content.decode()
    assert not IssueRun.objects.exists() and not VaccinationCertificate.objects.exists()


@pytest.mark.django_db
def test_a_second_start_while_one_runs_is_refused(provincial_user, dsc, reference_data):
    IssueRun.objects.create(requested_by=provincial_user, province=Province.objects.get(code=1),
                            status=IssueRun.Status.RUNNING)
    response = officer_client(provincial_user).post(BULK, follow=True)
    assert "A bulk issue is already under way for this province" in response.content.decode()
    assert IssueRun.objects.count() == 1


@pytest.mark.django_db
def test_the_bulk_issue_leaves_other_provinces_alone_and_outsiders_see_nothing(
        provincial_user, dsc, signed_citizen, signer_user, eager_celery, django_capture_on_commit_callbacks):
    signed_citizen()
    other = make_user(Role.PROVINCIAL_OFFICER, username="province-hcm",
                      province=Province.objects.get(code=HCM_PROVINCE))
    with django_capture_on_commit_callbacks(execute=True):
        officer_client(other).post(BULK)
    run = IssueRun.objects.get()
    assert run.province.code == HCM_PROVINCE and (run.total, run.issued) == (0, 0)
    assert not VaccinationCertificate.objects.exists()  # the citizen lives in Hà Nội
    assert officer_client(provincial_user).get(reverse("certificates:bulk_progress",
                                                       args=[run.pk])).status_code == 404
    assert officer_client(signer_user).get(BULK).status_code == 403
    assert officer_client(signer_user).post(BULK).status_code == 403
    assert IssueRun.objects.count() == 1


@pytest.mark.django_db
def test_a_vaccine_without_eu_codes_holds_back_its_citizens_only_and_the_run_says_why(provincial_user, dsc,
                                                                                     signed_citizen):
    """One vaccine of the catalogue lacking its EU codes used to stop the whole run (its chunk
    rolled back, the run failed): now its citizens are counted as refused, everyone else gets a
    certificate, and the finished run names the vaccine to correct."""
    ready = [signed_citizen()[0] for _ in range(2)]
    held, records = signed_citizen()
    uncoded = VaccineProduct.objects.create(code="uncoded", name="Vắc xin chưa mã hoá", manufacturer="—",
                                            family="x", eu_medicinal_product="", eu_vaccine_type="",
                                            eu_ma_holder="")
    InjectionRecord.objects.filter(pk__in=[r.pk for r in records]).update(vaccine=uncoded)
    run = IssueRun.objects.create(requested_by=provincial_user, province=Province.objects.get(code=1))

    with translation.override("en"):
        services.issue_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.total, run.issued, run.refused) == ("done", 3, 2, 1)
    assert "Vắc xin chưa mã hoá has no valid EU DCC codes" in run.message
    assert set(VaccinationCertificate.objects.values_list("citizen_id", flat=True)) == {c.pk for c in ready}
    with pytest.raises(InvalidInput, match="no valid EU DCC codes"):  # the one-citizen path still says so
        services.certificate_issue(citizen=held)


@pytest.mark.django_db
def test_a_run_already_claimed_is_not_run_twice(provincial_user, dsc, signed_citizen):
    signed_citizen()
    run = IssueRun.objects.create(requested_by=provincial_user, province=Province.objects.get(code=1))
    assert services.issue_run_execute(run_id=run.pk).issued == 1
    assert services.issue_run_execute(run_id=run.pk) is None
    assert VaccinationCertificate.objects.count() == 1


@pytest.mark.services
def test_a_real_worker_runs_the_bulk_issue_and_the_page_follows_it(transactional_db, celery_worker_factory,
                                                                   provincial_user, dsc, signed_citizen):
    ready = [signed_citizen()[0] for _ in range(3)]
    celery_worker_factory(CERTIFICATES_DSC_SECRET=DSC_SECRET)
    client = officer_client(provincial_user)

    client.post(BULK)

    run = IssueRun.objects.get()
    deadline = time.monotonic() + 60
    while not run.is_finished and time.monotonic() < deadline:
        time.sleep(0.2)
        run.refresh_from_db()
    assert (run.status, run.total, run.issued) == ("done", 3, 3), run.message
    assert set(VaccinationCertificate.objects.values_list("citizen_id", flat=True)) == {c.pk for c in ready}
    block = client.get(reverse("certificates:bulk_progress", args=[run.pk])).content.decode()
    assert 'value="100"' in block and "3 issued" in block
