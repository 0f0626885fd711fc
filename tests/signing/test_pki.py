from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from signing import pki
from signing.errors import CertificateRejected, KeyStoreError, WrongPassphrase

DAY = dt.timedelta(days=1)


SUBJECT = {"organisation": "UBND xã Tân Phú", "unit": "Xã Tân Phú, Đồng Nai",
           "person": "Nguyễn Thị Hồng Nhung"}


def _signer_cert(issuing_ca: pki.CertAndKey, **options: object) -> x509.Certificate:
    key = pki.generate_key("ec")
    return pki.issue_signer_certificate(issuing_ca, key.public_key(), **SUBJECT, **options)


def _verify(cert: x509.Certificate, issuing_ca: pki.CertAndKey, root_ca: pki.CertAndKey,
            **options: object) -> pki.ChainResult:
    """`pki.verify_chain` of `cert` through the development chain: the issuing CA given as the
    intermediate, the root as the one trusted."""
    return pki.verify_chain(cert, [issuing_ca.certificate], [root_ca.certificate], **options)


def _reject_reason(excinfo: pytest.ExceptionInfo[CertificateRejected]) -> str:
    return excinfo.value.reason


def test_a_signer_certificate_chains_to_the_trusted_root(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca)
    result = _verify(cert, issuing_ca, root_ca, at=now,
                     crls=[pki.create_crl(issuing_ca), pki.create_crl(root_ca)])
    assert result.chain == [cert, issuing_ca.certificate, root_ca.certificate]
    assert result.revocation_checked is True
    assert result.warnings == []


def test_the_signer_certificate_names_organisation_unit_and_person(issuing_ca):
    cert = _signer_cert(issuing_ca)
    get = cert.subject.get_attributes_for_oid
    assert get(NameOID.ORGANIZATION_NAME)[0].value == "UBND xã Tân Phú"
    assert get(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "Xã Tân Phú, Đồng Nai"
    assert get(NameOID.COMMON_NAME)[0].value == "Nguyễn Thị Hồng Nhung"
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.content_commitment
    assert not ku.value.key_cert_sign


def test_a_certificate_from_an_unknown_root_is_refused_as_untrusted(root_ca, now):
    other_root = pki.create_root_ca(common_name="Some Other Root")
    other_issuing = pki.create_issuing_ca(other_root)
    cert = _signer_cert(other_issuing)
    with pytest.raises(CertificateRejected) as excinfo:
        pki.verify_chain(cert, [other_issuing.certificate], [root_ca.certificate], at=now)
    assert _reject_reason(excinfo) == CertificateRejected.UNTRUSTED
    assert "No trusted issuer" in str(excinfo.value)


def test_a_chain_ending_in_a_root_not_in_the_store_says_so(root_ca, now):
    other_root = pki.create_root_ca(common_name="Some Other Root")
    cert = _signer_cert(other_root)
    with pytest.raises(CertificateRejected, match="'Some Other Root' is not in the trust store"):
        pki.verify_chain(cert, [other_root.certificate], [root_ca.certificate], at=now)


def test_an_issuer_with_the_right_name_but_another_key_is_refused(root_ca, issuing_ca, now):
    # Same subject name as the real issuing CA, different key: a forgery attempt.
    impostor = pki.create_issuing_ca(root_ca)
    cert = _signer_cert(impostor)
    with pytest.raises(CertificateRejected) as excinfo:
        _verify(cert, issuing_ca, root_ca, at=now)
    assert _reject_reason(excinfo) == CertificateRejected.UNTRUSTED


def test_a_missing_intermediate_makes_the_signer_untrusted(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca)
    with pytest.raises(CertificateRejected) as excinfo:
        pki.verify_chain(cert, [], [root_ca.certificate], at=now)
    assert _reject_reason(excinfo) == CertificateRejected.UNTRUSTED


def test_a_certificate_expired_at_signing_time_is_refused(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca, not_before=now - 10 * DAY, valid_days=5)
    with pytest.raises(CertificateRejected, match="had expired") as excinfo:
        _verify(cert, issuing_ca, root_ca, at=now)
    assert _reject_reason(excinfo) == CertificateRejected.EXPIRED


def test_a_signature_made_while_the_certificate_was_valid_stays_valid_after_expiry(
        root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca, not_before=now - 10 * DAY, valid_days=5)
    result = _verify(cert, issuing_ca, root_ca, at=now - 7 * DAY)
    assert result.chain[0] == cert


def test_a_certificate_not_yet_valid_at_signing_time_is_refused(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca, not_before=now + DAY)
    with pytest.raises(CertificateRejected, match="not yet valid") as excinfo:
        _verify(cert, issuing_ca, root_ca, at=now)
    assert _reject_reason(excinfo) == CertificateRejected.NOT_YET_VALID


def test_a_certificate_revoked_before_signing_is_refused(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca)
    crl = pki.create_crl(issuing_ca, [(cert.serial_number, now - DAY,
                                       x509.ReasonFlags.cessation_of_operation)])
    with pytest.raises(CertificateRejected, match="revoked") as excinfo:
        _verify(cert, issuing_ca, root_ca, at=now, crls=[crl])
    assert _reject_reason(excinfo) == CertificateRejected.REVOKED


def test_a_revocation_after_signing_keeps_the_signature_valid_with_a_warning(
        root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca)
    crl = pki.create_crl(issuing_ca, [(cert.serial_number, now + DAY, None)])
    result = _verify(cert, issuing_ca, root_ca, at=now, crls=[crl])
    assert any("after the signing time" in w for w in result.warnings)


def test_a_key_compromise_refuses_signatures_made_before_it_was_reported(
        root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca)
    crl = pki.create_crl(issuing_ca, [(cert.serial_number, now + DAY,
                                       x509.ReasonFlags.key_compromise)])
    with pytest.raises(CertificateRejected, match="keyCompromise"):
        _verify(cert, issuing_ca, root_ca, at=now, crls=[crl])


def test_a_revoked_issuing_ca_refuses_its_signers(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca)
    root_crl = pki.create_crl(root_ca, [(issuing_ca.certificate.serial_number, now - DAY,
                                         x509.ReasonFlags.ca_compromise)])
    with pytest.raises(CertificateRejected, match="Development Issuing CA' was revoked"):
        _verify(cert, issuing_ca, root_ca, at=now, crls=[root_crl])


def test_a_crl_not_signed_by_the_issuer_is_ignored(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca)
    forger = pki.create_issuing_ca(root_ca)  # same issuer name, other key
    forged = pki.create_crl(forger, [(cert.serial_number, now - DAY, None)])
    result = _verify(cert, issuing_ca, root_ca, at=now, crls=[forged])
    assert result.revocation_checked is False


def test_a_missing_crl_is_refused_when_revocation_info_is_required(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca)
    with pytest.raises(CertificateRejected) as excinfo:
        _verify(cert, issuing_ca, root_ca, at=now, crls=[pki.create_crl(root_ca)],
                require_revocation_info=True)
    assert _reject_reason(excinfo) == CertificateRejected.REVOCATION_UNKNOWN


def test_an_out_of_date_crl_is_used_but_reported(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca)
    stale = pki.create_crl(issuing_ca, this_update=now - 10 * DAY, next_update=now - 3 * DAY)
    result = _verify(cert, issuing_ca, root_ca, at=now, crls=[stale, pki.create_crl(root_ca)])
    assert result.revocation_checked is True
    assert any("out of date" in w for w in result.warnings)


def test_a_certificate_without_signing_key_usage_is_refused(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca, key_usage_ok=False)
    with pytest.raises(CertificateRejected, match="not allowed to sign") as excinfo:
        _verify(cert, issuing_ca, root_ca, at=now)
    assert _reject_reason(excinfo) == CertificateRejected.BAD_KEY_USAGE


def test_a_certificate_restricted_to_tls_is_refused(root_ca, issuing_ca, now):
    cert = _signer_cert(issuing_ca, extended_key_usage=[x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH])
    with pytest.raises(CertificateRejected, match="extended key usage") as excinfo:
        _verify(cert, issuing_ca, root_ca, at=now)
    assert _reject_reason(excinfo) == CertificateRejected.BAD_KEY_USAGE


def test_a_signer_certificate_cannot_issue_certificates(root_ca, issuing_ca, now):
    key = pki.generate_key("ec")
    signer_cert = pki.issue_signer_certificate(issuing_ca, key.public_key(), **SUBJECT)
    as_issuer = pki.CertAndKey(signer_cert, key)
    child = _signer_cert(as_issuer)
    with pytest.raises(CertificateRejected, match="not a certification authority"):
        pki.verify_chain(child, [signer_cert, issuing_ca.certificate], [root_ca.certificate],
                         at=now)


def test_a_naive_signing_time_is_a_programming_error(root_ca, issuing_ca):
    with pytest.raises(ValueError):
        pki.verify_chain(_signer_cert(issuing_ca), [], [root_ca.certificate],
                         at=dt.datetime(2021, 11, 1))


def test_a_pkcs12_exported_by_openssl_is_imported_with_its_chain(tmp_path, issuing_ca,
                                                               require_tool):
    # Stands in for a .p12 from a public CA: written by openssl with legacy-style 3DES.
    require_tool(shutil.which("openssl") is not None, "openssl")
    key = pki.generate_key("rsa")
    cert = pki.issue_signer_certificate(issuing_ca, key.public_key(), **SUBJECT)
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tmp_path / "cert.pem").write_bytes(pki.certificates_to_pem([cert]))
    (tmp_path / "chain.pem").write_bytes(pki.certificates_to_pem([issuing_ca.certificate]))
    subprocess.run(["openssl", "pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem",
                    "-certfile", "chain.pem", "-keypbe", "PBE-SHA1-3DES", "-certpbe",
                    "PBE-SHA1-3DES", "-macalg", "sha1", "-passout", "pass:ca-secret",
                    "-out", "signer.p12"], cwd=tmp_path, check=True, capture_output=True)
    loaded_key, loaded_cert, extra = pki.load_pkcs12((tmp_path / "signer.p12").read_bytes(),
                                                      "ca-secret")
    assert loaded_cert == cert
    assert loaded_key.public_key() == key.public_key()
    assert extra == [issuing_ca.certificate]


def test_a_pkcs12_with_the_wrong_passphrase_says_so(file_identities):
    p12 = pki.export_pkcs12(file_identities["ec"], "right")
    with pytest.raises(WrongPassphrase, match="passphrase does not open"):
        pki.load_pkcs12(p12, "wrong")


def test_a_file_that_is_not_pkcs12_is_refused_plainly():
    with pytest.raises(KeyStoreError, match="not a PKCS#12") as excinfo:
        pki.load_pkcs12(b"definitely not a key file", "anything")
    assert not isinstance(excinfo.value, WrongPassphrase)


def test_a_crl_reads_back_from_pem_and_der(issuing_ca, now):
    crl = pki.create_crl(issuing_ca, [(1234, now - DAY, None)])
    for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
        loaded = pki.load_crl(crl.public_bytes(encoding))
        assert loaded.get_revoked_certificate_by_serial_number(1234) is not None
        assert loaded.is_signature_valid(issuing_ca.certificate.public_key())


def test_certificates_read_back_from_a_pem_bundle(root_ca, issuing_ca):
    bundle = pki.certificates_to_pem([issuing_ca.certificate, root_ca.certificate])
    assert pki.load_certificates(bundle) == [issuing_ca.certificate, root_ca.certificate]
    der = root_ca.certificate.public_bytes(serialization.Encoding.DER)
    assert pki.load_certificates(der) == [root_ca.certificate]
