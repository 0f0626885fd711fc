"""``hcert_csca_init``: the production CSCA is created once when missing (key encrypted, 0600),
reused and registered again afterwards, and never overwritten."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import CommandError

from certificates import publication
from certificates.models import CountrySigningCA
from records.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSPHRASE = "cụm mật khẩu CSCA 2026"


@pytest.fixture
def csca_settings(settings, tmp_path):
    settings.CERTIFICATES_CSCA_KEY_FILE = str(tmp_path / "pki" / "csca.key.pem")
    settings.CERTIFICATES_CSCA_KEY_PASSPHRASE = PASSPHRASE
    return settings


def test_a_missing_csca_is_created_encrypted_and_registered_then_reused(csca_settings, tmp_path, capsys):
    call_command("hcert_csca_init")
    first = capsys.readouterr().out
    key_file = tmp_path / "pki" / "csca.key.pem"
    assert "CSCA created: CN=CSCA Viet Nam" in first and f"CERTIFICATES_CSCA_KEY_FILE={key_file}" in first
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    with pytest.raises(TypeError):  # no passphrase, no key
        serialization.load_pem_private_key(key_file.read_bytes(), None)
    csca = CountrySigningCA.objects.get()
    assert AuditEvent.objects.filter(action="certificates.csca_register").count() == 1
    key_before = key_file.read_bytes()

    call_command("hcert_csca_init")

    assert "CSCA already present" in capsys.readouterr().out
    assert key_file.read_bytes() == key_before and CountrySigningCA.objects.get() == csca
    published = publication.published_trust_list()  # the lists are signed with that key
    assert publication.verify_published(published, csca.certificate)
    assert published["content"]["certificates"] == []


def test_without_a_passphrase_nothing_is_written(csca_settings, tmp_path):
    csca_settings.CERTIFICATES_CSCA_KEY_PASSPHRASE = ""
    with pytest.raises(CommandError, match="Set CERTIFICATES_CSCA_KEY_PASSPHRASE"):
        call_command("hcert_csca_init")
    assert not (tmp_path / "pki").exists() and not CountrySigningCA.objects.exists()


def test_a_key_without_its_certificate_is_refused_and_kept(csca_settings, tmp_path):
    call_command("hcert_csca_init")
    (tmp_path / "pki" / "csca.pem").unlink()
    key_before = (tmp_path / "pki" / "csca.key.pem").read_bytes()
    with pytest.raises(CommandError, match="exists but .*csca.pem does not: nothing is overwritten"):
        call_command("hcert_csca_init")
    assert (tmp_path / "pki" / "csca.key.pem").read_bytes() == key_before


def test_a_wrong_passphrase_is_told_and_registers_nothing_new(csca_settings):
    call_command("hcert_csca_init")
    CountrySigningCA.objects.all().delete()
    csca_settings.CERTIFICATES_CSCA_KEY_PASSPHRASE = "wrong"
    with pytest.raises(CommandError, match="cannot be read with CERTIFICATES_CSCA_KEY_PASSPHRASE"):
        call_command("hcert_csca_init")
    assert not CountrySigningCA.objects.exists()
