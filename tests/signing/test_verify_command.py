"""`verify_signatures` and `export_cms`: tamper detection, revocation, openssl interoperability."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from io import StringIO

import pytest
from cryptography import x509
from django.core.management import call_command
from django.core.management.base import CommandError

from records.models import Citizen, InjectionRecord
from signing import pki, services
from signing.models import Signature
from tests.signing.conftest import PASSPHRASE, require_tool
from tests.tampering import around_the_guards, command_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(signer_user, register_file_key, make_awaiting_case, hanoi_facility):
    """Two records of one case signed by the Hà Nội signer; returns the records."""
    cert = register_file_key(signer_user)
    _case, records = make_awaiting_case(facility=hanoi_facility, doses=2)
    services.signing_start(user=signer_user, certificate_id=cert.pk, record_ids=[r.pk for r in records],
                           secret=PASSPHRASE)
    return records


def run(*args) -> tuple[str, int]:
    return command_result("verify_signatures", *args)


def test_untouched_signatures_verify_and_the_command_exits_zero(signed):
    out, code = run("--all")

    assert code == 0
    assert "2 signature(s) checked: 2 valid, 0 failed." in out
    assert "FAIL" not in out


def test_a_dose_changed_in_the_database_after_signing_is_detected(signed):
    InjectionRecord.objects.filter(pk=signed[0].pk).update(lot_number="TAMPERED1")

    out, code = run("--all")

    assert code == 1
    assert f"FAIL record {signed[0].pk}" in out
    assert "differs from what was signed" in out
    assert "1 valid, 1 failed" in out


def test_an_identity_changed_in_the_database_after_signing_is_detected(signed):
    Citizen.objects.filter(pk=signed[0].citizen_id).update(full_name="Nguyễn Văn Khác")

    out, code = run("--record", str(signed[1].pk))

    assert code == 1
    assert "payload: The record in the database differs" in out


def test_a_signature_value_changed_in_the_database_is_detected(signed):
    sig = Signature.objects.filter(record=signed[0]).get()
    with around_the_guards() as cursor:  # the database refuses it otherwise (records migration 0006)
        cursor.execute("UPDATE signing_signature SET payload_hash = %s WHERE id = %s", ["0" * 64, sig.pk])

    out, code = run("--record", str(signed[0].pk))

    assert code == 1
    assert "FAIL signature" in out


def test_a_certificate_revoked_before_signing_fails_the_chain_check(signed, issuing_ca):
    sig = Signature.objects.first()
    crl = pki.create_crl(issuing_ca, [(sig.certificate.certificate.serial_number,
                                       sig.signing_time - dt.timedelta(minutes=1),
                                       x509.ReasonFlags.superseded)])
    services.crl_import(data=crl.public_bytes(pki.serialization.Encoding.DER))

    out, code = run("--all")

    assert code == 1
    assert "FAIL chain" in out and "revoked" in out


def test_a_certificate_revoked_after_signing_keeps_its_signatures_valid(signed, issuing_ca):
    sig = Signature.objects.first()
    crl = pki.create_crl(issuing_ca, [(sig.certificate.certificate.serial_number,
                                       sig.signing_time + dt.timedelta(minutes=1),
                                       x509.ReasonFlags.superseded)],
                         this_update=sig.signing_time + dt.timedelta(minutes=2))
    services.crl_import(data=crl.public_bytes(pki.serialization.Encoding.DER))

    _out, code = run("--all")

    assert code == 0


def test_a_record_without_signature_is_an_error():
    with pytest.raises(CommandError, match="no signature"):
        call_command("verify_signatures", "--record", "999999")


def _openssl_verify_export(record, root_ca, tmp_path) -> subprocess.CompletedProcess:
    """`export_cms` of the record's signature, then `openssl cms -verify` of it against the root."""
    require_tool(shutil.which("openssl") is not None, "openssl")
    sig = Signature.objects.filter(record=record).get()
    base = tmp_path / "sig"
    call_command("export_cms", "--signature", str(sig.pk), "--out", str(base), stdout=StringIO())
    root = tmp_path / "root.pem"
    root.write_bytes(pki.certificates_to_pem([root_ca.certificate]))
    return subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(base) + ".p7s",
         "-content", str(base) + ".json", "-CAfile", str(root), "-purpose", "any", "-out", "/dev/null"],
        capture_output=True, text=True, check=False)


def test_the_exported_cms_verifies_with_openssl(signed, root_ca, tmp_path):
    result = _openssl_verify_export(signed[0], root_ca, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr


def test_openssl_rejects_the_cms_when_the_record_was_changed(signed, root_ca, tmp_path):
    InjectionRecord.objects.filter(pk=signed[0].pk).update(dose_number=3)

    result = _openssl_verify_export(signed[0], root_ca, tmp_path)

    assert result.returncode != 0


def test_pki_commands_set_up_a_dev_ca_issue_a_signer_and_refresh_crls(signer_user, tmp_path, settings):
    settings.SIGNING_CRL_DIR = tmp_path  # refreshes read CRL files from this folder only
    out = StringIO()
    call_command("pki_init_dev", "--dir", str(tmp_path), stdout=out)
    call_command("pki_issue_signer", signer_user.username, "--dir", str(tmp_path),
                 "--passphrase", "pp-123456", stdout=out)
    call_command("pki_import_crl", "--refresh", stdout=out)
    call_command("pki_init_dev", "--dir", str(tmp_path), stdout=out)  # idempotent

    p12 = (tmp_path / "signers" / f"{signer_user.username}.p12").read_bytes()
    assert "Registered certificate" in out.getvalue()
    assert signer_user.signer_certificates.get().key_store == "file"
    assert b"pp-123456" not in bytes(signer_user.signer_certificates.get().pkcs12 or b"")
    assert p12 == bytes(signer_user.signer_certificates.get().pkcs12)


def test_pki_import_p12_refuses_a_wrong_passphrase(signer_user, trust_store, file_identities, issuing_ca,
                                                   tmp_path):
    path = tmp_path / "key.p12"
    path.write_bytes(pki.export_pkcs12(file_identities["ec"], PASSPHRASE, [issuing_ca.certificate]))

    with pytest.raises(CommandError, match="passphrase does not open"):
        call_command("pki_import_p12", signer_user.username, str(path), "--passphrase", "wrong",
                     stdout=StringIO())
    call_command("pki_import_p12", signer_user.username, str(path), "--passphrase", PASSPHRASE,
                 stdout=StringIO())

    assert signer_user.signer_certificates.count() == 1
