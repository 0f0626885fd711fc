# ruff: noqa: F811 - the PKI fixtures of the signing tests are imported as fixtures and used as arguments
"""A province submits a day to the Ministry: immutable versions, the difference after a
rebuild, a detached CMS signature that openssl verifies, and who may do it."""

import hashlib
import os
import shutil
import subprocess

import pytest
from django.urls import reverse

from accounts.models import Role
from records.models import AuditEvent, InjectionRecord, Province
from reports.models import ReportSubmission
from reports.selectors import completeness
from reports.services import build_days, canonical, submission_create, submission_deadline
from signing import pki
from tests.factories import make_user
from tests.reports.fixtures_figures import DAY, at, build_scenario
from tests.signing.conftest import (  # noqa: F401 - pytest fixtures shared with the signing tests
    PASSPHRASE,
    file_identities,
    issuing_ca,
    register_file_key,
    root_ca,
    subject,
    trust_store,
)
from vaxrecon.errors import InvalidInput, NotAllowed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages", "days_never_lock")]




@pytest.fixture
def built(hanoi_facility):
    data = build_scenario(hanoi_facility)
    build_days(start=DAY, end=DAY)
    return data


@pytest.fixture
def hanoi(db):
    return Province.objects.get(code=1)


def test_a_submission_stores_the_province_figures_and_their_hash(built, provincial_user, hanoi):
    submission = submission_create(day=DAY, province=hanoi, actor=provincial_user, note="đủ số liệu")
    assert submission.version == 1 and submission.late  # the day is long over
    assert submission.figures["figures"]["sent_to_police"] == 5
    assert str(built["ward"].code) in submission.figures["communes"]
    assert submission.content_hash == hashlib.sha256(canonical(submission.figures)).hexdigest()
    audit = AuditEvent.objects.get(action="report.submit")
    assert audit.actor == provincial_user and audit.after["content_hash"] == submission.content_hash


def test_a_submission_cannot_be_changed_or_deleted(built, provincial_user, hanoi):
    submission = submission_create(day=DAY, province=hanoi, actor=provincial_user)
    submission.note = "edited"
    with pytest.raises(PermissionError):
        submission.save()
    with pytest.raises(PermissionError):
        submission.delete()


def test_unchanged_figures_are_not_submitted_twice(built, provincial_user, hanoi):
    submission_create(day=DAY, province=hanoi, actor=provincial_user)
    with pytest.raises(InvalidInput, match="already submitted as version 1"):
        submission_create(day=DAY, province=hanoi, actor=provincial_user)
    assert ReportSubmission.objects.count() == 1


def test_a_rebuild_after_submission_shows_the_difference_and_takes_a_new_version(built, provincial_user,
                                                                                 hanoi, client):
    first = submission_create(day=DAY, province=hanoi, actor=provincial_user)
    # A record of that day entered late: the rebuilt day differs from what was submitted.
    lan_record = InjectionRecord.objects.filter(citizen__full_name="Trần Thị Lan", dose_number=2).first()
    InjectionRecord.objects.filter(pk=lan_record.pk).update(created_at=at(DAY, "09:00"))
    InjectionRecord.objects.create(citizen=lan_record.citizen, vaccine=lan_record.vaccine, dose_number=3,
                                   injection_date=DAY, facility=lan_record.facility,
                                   created_at=at(DAY, "20:00"))
    build_days(start=DAY, end=DAY)
    client.force_login(provincial_user)
    page = client.get(reverse("reports:daily"), {"day": DAY.isoformat()}).content.decode()
    assert 'data-testid="difference"' in page and 'data-figure="records_created"' in page
    second = submission_create(day=DAY, province=hanoi, actor=provincial_user)
    assert second.version == 2 and second.figures["figures"]["records_created"] == 2
    first.refresh_from_db()
    assert first.figures["figures"]["records_created"] == 1  # version 1 kept as it was


def test_only_the_province_own_officers_submit(built, hanoi, ministry_user):
    other = make_user(Role.PROVINCIAL_OFFICER, username="province-hcm",
                      province=Province.objects.get(code=79))
    with pytest.raises(NotAllowed):
        submission_create(day=DAY, province=hanoi, actor=other)
    with pytest.raises(NotAllowed):
        submission_create(day=DAY, province=hanoi, actor=ministry_user)
    assert ReportSubmission.objects.count() == 0


def test_a_day_not_built_cannot_be_submitted(provincial_user, hanoi):
    with pytest.raises(InvalidInput, match="not been built"):
        submission_create(day=DAY, province=hanoi, actor=provincial_user)


def test_the_signed_submission_verifies_with_openssl(built, provincial_user, hanoi, register_file_key,
                                                     root_ca, tmp_path, client):
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    certificate = register_file_key(provincial_user)
    client.force_login(provincial_user)
    response = client.post(reverse("reports:submit", args=[DAY.isoformat()]),
                           {"certificate": certificate.pk, "secret": PASSPHRASE, "note": ""})
    assert response.status_code == 302
    submission = ReportSubmission.objects.get()
    payload = client.get(reverse("reports:submission_payload", args=[submission.pk])).content
    signature = client.get(reverse("reports:submission_signature", args=[submission.pk])).content
    assert hashlib.sha256(payload).hexdigest() == submission.content_hash
    (tmp_path / "root.pem").write_bytes(pki.certificates_to_pem([root_ca.certificate]))
    (tmp_path / "s.p7s").write_bytes(signature)
    (tmp_path / "s.json").write_bytes(payload)
    verify = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "s.p7s", "-content", "s.json",
              "-CAfile", "root.pem", "-purpose", "any", "-out", os.devnull]
    env = {**os.environ, "OPENSSL_CONF": os.devnull}
    ok = subprocess.run(verify, cwd=tmp_path, capture_output=True, text=True, env=env, check=False)
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "s.json").write_bytes(payload.replace(b'"sent_to_police":5', b'"sent_to_police":6'))
    tampered = subprocess.run(verify, cwd=tmp_path, capture_output=True, text=True, env=env, check=False)
    assert tampered.returncode != 0


def test_a_wrong_passphrase_stores_nothing(built, provincial_user, register_file_key, client):
    certificate = register_file_key(provincial_user)
    client.force_login(provincial_user)
    response = client.post(reverse("reports:submit", args=[DAY.isoformat()]),
                           {"certificate": certificate.pk, "secret": "wrong"})
    assert response.status_code in (400, 403)
    assert ReportSubmission.objects.count() == 0


def test_another_province_cannot_read_a_submission(built, provincial_user, hanoi, client):
    submission = submission_create(day=DAY, province=hanoi, actor=provincial_user)
    other = make_user(Role.PROVINCIAL_OFFICER, username="province-hcm",
                      province=Province.objects.get(code=79))
    client.force_login(other)
    assert client.get(reverse("reports:submission_payload", args=[submission.pk])).status_code == 404
    clinic = make_user(Role.CLINIC_STAFF, username="clinic-x", facility=built["hcm"])
    client.force_login(clinic)
    assert client.get(reverse("reports:submission_payload", args=[submission.pk])).status_code == 403


def test_the_ministry_sees_who_submitted_late_or_not_at_all(built, provincial_user, hanoi, ministry_user,
                                                            client):
    submission_create(day=DAY, province=hanoi, actor=provincial_user)
    client.force_login(ministry_user)
    page = client.get(reverse("reports:daily"), {"day": DAY.isoformat()}).content.decode()
    assert 'data-province="1"' in page and 'data-testid="completeness"' in page
    day = completeness(start=DAY, end=DAY, deadline=submission_deadline)[0]
    assert [code for code, _name in day["late"]] == [1]
    assert len(day["missing"]) == Province.objects.count() - 1


def test_the_admin_lists_submissions_and_cannot_change_them(built, provincial_user, hanoi, admin_client):
    submission = submission_create(day=DAY, province=hanoi, actor=provincial_user)
    listing = admin_client.get(reverse("admin:reports_reportsubmission_changelist"))
    assert listing.status_code == 200 and submission.content_hash in listing.content.decode()
    assert admin_client.post(reverse("admin:reports_reportsubmission_delete", args=[submission.pk]),
                             {"post": "yes"}).status_code == 403
    assert ReportSubmission.objects.filter(pk=submission.pk).exists()
