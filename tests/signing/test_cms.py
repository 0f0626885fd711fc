from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from signing import cms, pki
from signing.canonical import build_payload, canonical_json, payload_hash
from signing.errors import SignatureInvalid
from signing.keystores import Algorithm, FileKeySigner

STORES_AND_ALGORITHMS = [pytest.param(store, alg, id=f"{store}-{alg.value}")
                         for store in ("file", "token") for alg in Algorithm]
SIGNED_AT = dt.datetime(2026, 11, 20, 8, 15, 42, 123456, tzinfo=dt.UTC)


def _payload(lot: str = "FG3527") -> bytes:
    return canonical_json(build_payload(
        record={"id": 7, "version": 1, "vaccine": "vaxzevria", "dose_number": 1,
                "injection_date": dt.date(2021, 8, 2), "lot_number": lot, "facility": "DN-1"},
        identity={"full_name": "Lê Văn Tám", "sex": "M", "date_of_birth": None,
                  "birth_year": 1960, "cccd": "075060001234", "nationality": "VN"},
        police_verification={"reference": "CA-TP-17", "result": "match", "ward": 26041,
                             "verified_at": dt.datetime(2021, 10, 1, tzinfo=dt.UTC)}))


@pytest.fixture
def openssl(tmp_path: Path, root_ca, require_tool):
    """Return run(cms_der, payload, *extra_args) -> CompletedProcess of openssl cms -verify."""
    require_tool(shutil.which("openssl") is not None, "openssl")
    (tmp_path / "root.pem").write_bytes(pki.certificates_to_pem([root_ca.certificate]))

    def run(cms_der: bytes, payload: bytes, *extra: str,
            ca_file: str = "root.pem") -> subprocess.CompletedProcess[str]:
        (tmp_path / "signature.p7s").write_bytes(cms_der)
        (tmp_path / "payload.json").write_bytes(payload)
        return subprocess.run(
            ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "signature.p7s",
             "-content", "payload.json", "-CAfile", ca_file, "-out", os.devnull, *extra],
            cwd=tmp_path, capture_output=True, text=True, check=False,
            env={**os.environ, "OPENSSL_CONF": os.devnull})  # no host config surprises

    return run


def _export(signature: cms.RecordSignature, chain: list[x509.Certificate]) -> bytes:
    return cms.export_detached_cms(
        certificate=signature.certificate, algorithm=signature.algorithm,
        payload_hash=signature.payload_hash, signing_time=signature.signing_time,
        signature=signature.signature, chain=chain)


@pytest.mark.parametrize(("store", "algorithm"), STORES_AND_ALGORITHMS)
def test_openssl_accepts_the_detached_cms_export(make_signer, issuing_ca, openssl, store,
                                                  algorithm):
    signer = make_signer(store, algorithm)
    payload = _payload()
    signed = cms.sign_payload(signer, payload, signing_time=SIGNED_AT)
    result = openssl(_export(signed, [issuing_ca.certificate]), payload, "-purpose", "any")
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr


@pytest.mark.parametrize(("store", "algorithm"), STORES_AND_ALGORITHMS)
def test_openssl_rejects_the_export_for_a_tampered_payload(make_signer, issuing_ca, openssl,
                                                           store, algorithm):
    signer = make_signer(store, algorithm)
    signed = cms.sign_payload(signer, _payload(), signing_time=SIGNED_AT)
    result = openssl(_export(signed, [issuing_ca.certificate]), _payload(lot="FG3528"),
                     "-purpose", "any")
    assert result.returncode != 0
    assert "content verify error" in result.stderr


def test_openssl_also_accepts_the_export_under_the_default_smime_purpose_and_cades(
        make_signer, issuing_ca, openssl):
    # Our signer certificates carry emailProtection, so OpenSSL's default purpose passes;
    # -cades checks the ESS signing-certificate-v2 attribute against the certificate.
    signer = make_signer("file", Algorithm.ECDSA_P256_SHA256)
    signed = cms.sign_payload(signer, _payload(), signing_time=SIGNED_AT)
    result = openssl(_export(signed, [issuing_ca.certificate]), _payload(), "-cades")
    assert result.returncode == 0, result.stderr


def test_a_document_signing_only_certificate_needs_purpose_any(issuing_ca, subject, openssl):
    key = pki.generate_key("ec")
    cert = pki.issue_signer_certificate(issuing_ca, key.public_key(), **subject,
                                        extended_key_usage=[pki.DOCUMENT_SIGNING])
    signed = cms.sign_payload(FileKeySigner(key, cert), _payload(), signing_time=SIGNED_AT)
    exported = _export(signed, [issuing_ca.certificate])
    assert openssl(exported, _payload()).returncode != 0
    assert openssl(exported, _payload(), "-purpose", "any").returncode == 0


def test_openssl_rejects_the_export_against_another_root(make_signer, issuing_ca, openssl,
                                                         tmp_path):
    other = pki.create_root_ca(common_name="Not Our Root")
    (tmp_path / "other.pem").write_bytes(pki.certificates_to_pem([other.certificate]))
    signed = cms.sign_payload(make_signer("file", Algorithm.ECDSA_P256_SHA256), _payload(),
                              signing_time=SIGNED_AT)
    result = openssl(_export(signed, [issuing_ca.certificate]), _payload(), "-purpose", "any",
                     ca_file="other.pem")
    assert result.returncode != 0
    assert "certificate verify error" in result.stderr


@pytest.mark.parametrize(("store", "algorithm"), STORES_AND_ALGORITHMS)
def test_a_stored_signature_verifies_from_hash_time_and_certificate(make_signer, store,
                                                                    algorithm):
    signed = cms.sign_payload(make_signer(store, algorithm), _payload(), signing_time=SIGNED_AT)
    assert signed.signing_time == SIGNED_AT.replace(microsecond=0)
    assert signed.payload_hash == payload_hash(_payload())
    cms.verify_payload_signature(certificate=signed.certificate, algorithm=signed.algorithm,
                                 payload_hash=signed.payload_hash,
                                 signing_time=signed.signing_time, signature=signed.signature)


def test_a_record_changed_after_signing_is_detected(make_signer):
    signed = cms.sign_payload(make_signer("file", Algorithm.ECDSA_P256_SHA256), _payload(),
                              signing_time=SIGNED_AT)
    rebuilt_hash = payload_hash(_payload(lot="FG3528"))  # the row as it reads now
    assert rebuilt_hash != signed.payload_hash
    with pytest.raises(SignatureInvalid):
        cms.verify_payload_signature(certificate=signed.certificate, algorithm=signed.algorithm,
                                     payload_hash=rebuilt_hash,
                                     signing_time=signed.signing_time,
                                     signature=signed.signature)


def test_a_changed_signing_time_breaks_the_signature(make_signer):
    signed = cms.sign_payload(make_signer("file", Algorithm.RSA_PSS_SHA256), _payload(),
                              signing_time=SIGNED_AT)
    with pytest.raises(SignatureInvalid):
        cms.verify_payload_signature(certificate=signed.certificate, algorithm=signed.algorithm,
                                     payload_hash=signed.payload_hash,
                                     signing_time=signed.signing_time + dt.timedelta(seconds=1),
                                     signature=signed.signature)


def test_the_fast_attribute_template_encodes_exactly_like_the_reference(file_identities):
    cert = file_identities["ec"].certificate
    template = cms.SignedAttributesTemplate(cert)
    times = [SIGNED_AT, dt.datetime(1999, 1, 1, tzinfo=dt.UTC),
             dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
             dt.datetime(2050, 1, 1, tzinfo=dt.UTC)]  # GeneralizedTime: slow path
    for i, when in enumerate(times):
        digest = bytes([i]) * 32
        assert template.der(digest, when) == cms.signed_attributes_der(digest, when, cert)
    assert template.der(bytes(32), SIGNED_AT) != template.der(bytes(31) + b"\1", SIGNED_AT)


def test_the_template_split_around_the_digest_gives_the_same_bytes(file_identities):
    cert = file_identities["ec"].certificate
    template = cms.SignedAttributesTemplate(cert)
    for when in (SIGNED_AT, dt.datetime(1999, 1, 1, tzinfo=dt.UTC)):
        head, tail = template.around_digest(when)
        for i in range(5):
            digest = bytes([i * 7]) * 31 + bytes([i])
            assert head + digest + tail == cms.signed_attributes_der(digest, when, cert)
    assert template.around_digest(dt.datetime(2050, 1, 1, tzinfo=dt.UTC)) is None


def test_a_naive_signing_time_is_refused(make_signer):
    with pytest.raises(ValueError, match="timezone-aware"):
        cms.sign_payload(make_signer("file", Algorithm.ECDSA_P256_SHA256), _payload(),
                         signing_time=dt.datetime(2026, 11, 20, 8, 0))


def test_the_pem_export_is_armoured_as_cms(make_signer, issuing_ca):
    signed = cms.sign_payload(make_signer("file", Algorithm.ECDSA_P256_SHA256), _payload(),
                              signing_time=SIGNED_AT)
    pem = cms.cms_to_pem(_export(signed, [issuing_ca.certificate]))
    assert pem.startswith(b"-----BEGIN CMS-----")
