"""``hcert_dsc_issue``: a document signer issued under the country signing CA with the PKI code
and registered, its key in an encrypted PKCS#12 file or on a PKCS#11 token (SoftHSM2); the
certificates it signs verify. Refusals write nothing."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from certificates import services
from certificates.models import DocumentSigner
from certificates.verify import Verdict, verify_hc1
from records.models import AuditEvent
from signing import pki
from signing.errors import WrongPassphrase
from tests.signing.conftest import TOKEN, USER_PIN

pytestmark = pytest.mark.django_db
CSCA_PASSPHRASE = "cụm mật khẩu CSCA 2026"
DSC_SECRET = "mật khẩu DSC mới"


@pytest.fixture
def csca_host(settings, tmp_path):
    """The CSCA host: its key made by hcert_csca_init (encrypted), the DSC secret set."""
    settings.CERTIFICATES_CSCA_KEY_FILE = str(tmp_path / "pki" / "csca.key.pem")
    settings.CERTIFICATES_CSCA_KEY_PASSPHRASE = CSCA_PASSPHRASE
    settings.CERTIFICATES_DSC_SECRET = DSC_SECRET
    call_command("hcert_csca_init")
    return settings


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
def test_a_file_dsc_is_issued_encrypted_registered_and_signs(csca_host, tmp_path, signed_citizen, capsys,
                                                              algorithm):
    out = tmp_path / "dsc.p12"

    call_command("hcert_dsc_issue", "--out", str(out), "--algorithm", algorithm)

    signer = DocumentSigner.objects.get()
    said = capsys.readouterr().out
    assert f"Document signer kid {signer.kid} registered" in said and f"PKCS#12 written to {out}" in said
    assert (signer.key_store, signer.algorithm) == ("file", algorithm)
    assert out.stat().st_mode & 0o777 == 0o600 and bytes(signer.pkcs12) == out.read_bytes()
    with pytest.raises(WrongPassphrase):
        pki.load_pkcs12(out.read_bytes(), "wrong")
    _key, cert, _chain = pki.load_pkcs12(out.read_bytes(), DSC_SECRET)
    assert cert.issuer == signer.csca.certificate.subject
    assert AuditEvent.objects.filter(action="certificates.dsc_register", object_id=str(signer.pk)).exists()
    citizen, _records = signed_citizen()
    issued = services.certificate_issue(citizen=citizen).certificate
    assert issued.signer == signer and verify_hc1(issued.hc1).verdict is Verdict.VALID


def test_without_the_dsc_secret_or_over_a_file_nothing_is_written(csca_host, tmp_path):
    out = tmp_path / "dsc.p12"
    csca_host.CERTIFICATES_DSC_SECRET = ""
    with pytest.raises(CommandError, match="Set CERTIFICATES_DSC_SECRET"):
        call_command("hcert_dsc_issue", "--out", str(out))
    assert not out.exists()

    csca_host.CERTIFICATES_DSC_SECRET = DSC_SECRET
    out.write_bytes(b"kept")
    with pytest.raises(CommandError, match="exists: nothing is overwritten"):
        call_command("hcert_dsc_issue", "--out", str(out))
    assert out.read_bytes() == b"kept" and not DocumentSigner.objects.exists()


def test_a_wrong_csca_passphrase_is_told(csca_host, tmp_path):
    csca_host.CERTIFICATES_CSCA_KEY_PASSPHRASE = "wrong"
    with pytest.raises(CommandError, match="cannot be read with CERTIFICATES_CSCA_KEY_PASSPHRASE"):
        call_command("hcert_dsc_issue", "--out", str(tmp_path / "dsc.p12"))
    assert not DocumentSigner.objects.exists()


def test_a_token_key_gets_its_dsc_and_signs_on_the_token(csca_host, tmp_path, softhsm, signed_citizen):
    hsm, _certs = softhsm
    public = hsm.generate_key(token_label=TOKEN, user_pin=USER_PIN, key_label="dsc-command", key_type="ec")
    pem = tmp_path / "dsc-public.pem"
    pem.write_bytes(public.public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo))

    call_command("hcert_dsc_issue", "--public-key", str(pem), "--token", TOKEN, "--key-label", "dsc-command",
                 "--cert-out", str(tmp_path / "dsc.pem"))

    signer = DocumentSigner.objects.get()
    assert (signer.key_store, signer.token_label, signer.key_label) == ("pkcs11", TOKEN, "dsc-command")
    assert pki.load_certificates((tmp_path / "dsc.pem").read_bytes())[0] == signer.certificate
    csca_host.CERTIFICATES_DSC_SECRET = USER_PIN
    citizen, _records = signed_citizen()
    issued = services.certificate_issue(citizen=citizen).certificate
    assert issued.signer == signer and verify_hc1(issued.hc1).verdict is Verdict.VALID


def test_a_public_key_of_the_wrong_kind_or_without_its_token_is_refused(csca_host, tmp_path):
    pem = tmp_path / "rsa.pem"
    pem.write_bytes(pki.generate_key("rsa").public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(CommandError, match="is not a key for ES256"):
        call_command("hcert_dsc_issue", "--public-key", str(pem), "--token", TOKEN, "--key-label", "k")
    with pytest.raises(CommandError, match="needs --token and --key-label"):
        call_command("hcert_dsc_issue", "--public-key", str(pem), "--algorithm", "PS256")
    assert not DocumentSigner.objects.exists()


def test_the_refusal_reads_in_vietnamese(csca_host, tmp_path):
    csca_host.CERTIFICATES_DSC_SECRET = ""
    with translation.override("vi"), pytest.raises(CommandError, match="Hãy đặt CERTIFICATES_DSC_SECRET"):
        call_command("hcert_dsc_issue", "--out", str(tmp_path / "dsc.p12"))
