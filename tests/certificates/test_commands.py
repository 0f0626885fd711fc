"""``issue_certificates`` (--citizen CCCD | --all, --hc1 FILE) and ``hcert_init_dev``."""

from __future__ import annotations

import time

import pytest
from django.core.management import CommandError, call_command

from certificates import tasks
from certificates.models import DocumentSigner, VaccinationCertificate
from certificates.verify import Verdict, verify_hc1
from records.models import AuditEvent
from tests.certificates.conftest import DSC_SECRET

pytestmark = pytest.mark.django_db


def test_issue_for_one_citizen_by_cccd_writes_the_hc1_file(dsc, signed_citizen, tmp_path, capsys):
    citizen, _records = signed_citizen()
    out = tmp_path / "hc1.txt"

    call_command("issue_certificates", "--citizen", citizen.cccd, "--hc1", str(out))
    call_command("issue_certificates", "--citizen", citizen.cccd)

    cert = VaccinationCertificate.objects.get()
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"issued: {cert.uvci}", f"unchanged: {cert.uvci}"]
    assert out.read_text().splitlines() == [cert.hc1]


def test_issue_all_writes_one_line_per_current_certificate(dsc, signed_citizen, tmp_path, capsys):
    for _ in range(2):
        signed_citizen()
    out = tmp_path / "all.txt"

    call_command("issue_certificates", "--all", "--hc1", str(out))

    assert "issued 2, unchanged 0, not ready 0" in capsys.readouterr().out
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and all(verify_hc1(line).verdict is Verdict.VALID for line in lines)


def test_an_unknown_cccd_or_an_unsigned_citizen_is_a_clear_error(dsc, signed_citizen, hanoi_facility):
    with pytest.raises(CommandError, match="No citizen has the CCCD number 079000000000"):
        call_command("issue_certificates", "--citizen", "079000000000")
    with pytest.raises(CommandError):
        call_command("issue_certificates")  # neither --citizen nor --all
    assert not VaccinationCertificate.objects.exists()


def test_the_development_pki_command_makes_a_csca_and_a_dsc_that_issue(db, settings, tmp_path, signed_citizen,
                                                                        capsys):
    settings.CERTIFICATES_DSC_SECRET = "dev-secret"
    call_command("hcert_init_dev", "--dir", str(tmp_path))
    printed = capsys.readouterr().out
    settings.CERTIFICATES_CSCA_KEY_FILE = str(tmp_path / "csca.key.pem")
    assert f"CERTIFICATES_CSCA_KEY_FILE={tmp_path / 'csca.key.pem'}" in printed
    assert DocumentSigner.objects.get().key_store == "file"
    citizen, _records = signed_citizen()

    call_command("issue_certificates", "--citizen", citizen.cccd)

    assert verify_hc1(VaccinationCertificate.objects.get().hc1).verdict is Verdict.VALID


@pytest.mark.services
def test_a_real_worker_issues_everyone_ready(transactional_db, celery_worker_factory, dsc, signed_citizen):
    ready = [signed_citizen()[0] for _ in range(2)]
    celery_worker_factory(CERTIFICATES_DSC_SECRET=DSC_SECRET)

    tasks.issue_all_certificates.delay()  # no result backend: the database says when it is done

    deadline = time.monotonic() + 60
    while VaccinationCertificate.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert set(VaccinationCertificate.objects.values_list("citizen_id", flat=True)) == {c.pk for c in ready}
    assert AuditEvent.objects.filter(action="certificate.issue", actor_label="system").count() == 2


def test_without_a_document_signer_the_task_logs_and_issues_nothing(db, signed_citizen, caplog):
    signed_citizen()
    assert tasks.issue_all_certificates() is None
    assert "No document signer certificate is valid now" in caplog.text
    assert not VaccinationCertificate.objects.exists()
