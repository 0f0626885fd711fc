from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa, utils

from signing import pki
from signing.errors import KeyStoreError, SignatureInvalid, WrongPassphrase, WrongPin
from signing.keystores import (
    Algorithm,
    FileKeySigner,
    Pkcs11Signer,
    RemoteHashSigner,
    verify_digest_signature,
    verify_signature,
)
from tests.signing.conftest import TOKEN, USER_PIN

STORES_AND_ALGORITHMS = [pytest.param(store, alg, id=f"{store}-{alg.value}")
                         for store in ("file", "token") for alg in Algorithm]
PAYLOAD = '{"identity":{"full_name":"Trần Văn Bình"},"record":{"dose_number":2}}'.encode()


@pytest.mark.parametrize(("store", "algorithm"), STORES_AND_ALGORITHMS)
def test_a_signature_from_each_key_store_verifies_with_its_certificate(
        make_signer, store, algorithm):
    signer = make_signer(store, algorithm)
    signature = signer.sign(PAYLOAD)
    assert signer.algorithm is algorithm
    verify_signature(signer.certificate, algorithm, PAYLOAD, signature)  # raises if wrong


@pytest.mark.parametrize(("store", "algorithm"), STORES_AND_ALGORITHMS)
def test_a_changed_payload_does_not_verify(make_signer, store, algorithm):
    signer = make_signer(store, algorithm)
    signature = signer.sign(PAYLOAD)
    with pytest.raises(SignatureInvalid, match="does not match"):
        verify_signature(signer.certificate, algorithm, PAYLOAD.replace(b"2}", b"3}"), signature)


@pytest.mark.parametrize(("store", "algorithm"), STORES_AND_ALGORITHMS)
def test_signing_a_digest_equals_signing_the_payload(make_signer, store, algorithm):
    signer = make_signer(store, algorithm)
    digest = hashlib.sha256(PAYLOAD).digest()
    signature = signer.sign_digest(digest)
    verify_signature(signer.certificate, algorithm, PAYLOAD, signature)
    verify_digest_signature(signer.certificate, algorithm, digest, signature)


def test_a_token_ecdsa_signature_comes_out_der_encoded(make_signer):
    signer = make_signer("token", Algorithm.ECDSA_P256_SHA256)
    signature = signer.sign(PAYLOAD)
    assert signature[0] == 0x30  # DER SEQUENCE, not the token's raw r || s
    r, s = utils.decode_dss_signature(signature)
    assert r > 0 and s > 0


def test_pss_and_pkcs1_signatures_are_not_interchangeable(make_signer):
    pss = make_signer("file", Algorithm.RSA_PSS_SHA256).sign(PAYLOAD)
    pkcs1_signer = make_signer("file", Algorithm.RSA_PKCS1V15_SHA256)
    with pytest.raises(SignatureInvalid):
        verify_signature(pkcs1_signer.certificate, Algorithm.RSA_PKCS1V15_SHA256, PAYLOAD, pss)


def test_an_ecdsa_certificate_cannot_be_used_for_rsa(file_identities, make_signer):
    ident = file_identities["ec"]
    with pytest.raises(KeyStoreError, match="RSA signing needs an RSA key"):
        FileKeySigner(ident.key, ident.certificate, algorithm=Algorithm.RSA_PSS_SHA256)
    signature = make_signer("file", Algorithm.ECDSA_P256_SHA256).sign(PAYLOAD)
    with pytest.raises(SignatureInvalid):
        verify_signature(ident.certificate, Algorithm.RSA_PSS_SHA256, PAYLOAD, signature)


def test_rsa_keys_shorter_than_2048_bits_are_refused(issuing_ca, subject):
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    cert = pki.issue_signer_certificate(issuing_ca, key.public_key(), **subject)
    with pytest.raises(KeyStoreError, match="at least 2048 bits"):
        FileKeySigner(key, cert)


def test_a_wrong_passphrase_for_a_pkcs12_file_is_a_clear_error(file_identities):
    p12 = pki.export_pkcs12(file_identities["ec"], "đúng")
    with pytest.raises(WrongPassphrase, match="passphrase does not open this key file"):
        FileKeySigner.from_pkcs12(p12, "sai")


def test_an_encrypted_pem_key_opens_with_its_passphrase_only(file_identities, issuing_ca):
    ident = file_identities["rsa"]
    key_pem = ident.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"per-batch secret"))
    cert_pem = pki.certificates_to_pem([ident.certificate, issuing_ca.certificate])
    signer = FileKeySigner.from_pem(key_pem, cert_pem, "per-batch secret")
    assert signer.chain == [issuing_ca.certificate]
    verify_signature(signer.certificate, signer.algorithm, PAYLOAD, signer.sign(PAYLOAD))
    with pytest.raises(WrongPassphrase):
        FileKeySigner.from_pem(key_pem, cert_pem, "wrong")
    with pytest.raises(WrongPassphrase, match="needs its passphrase"):
        FileKeySigner.from_pem(key_pem, cert_pem, "")


def test_an_unencrypted_pem_key_is_refused(file_identities):
    ident = file_identities["ec"]
    key_pem = ident.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    with pytest.raises(KeyStoreError, match="unencrypted keys are refused"):
        FileKeySigner.from_pem(key_pem, pki.certificates_to_pem([ident.certificate]), "x")


def test_a_key_that_does_not_belong_to_the_certificate_is_refused(file_identities):
    other_key = pki.generate_key("ec")
    with pytest.raises(KeyStoreError, match="does not belong"):
        FileKeySigner(other_key, file_identities["ec"].certificate)


def test_the_passphrase_is_not_kept_on_the_signer(file_identities):
    p12 = pki.export_pkcs12(file_identities["ec"], "kept-nowhere-123")
    signer = FileKeySigner.from_pkcs12(p12, "kept-nowhere-123")
    assert "kept-nowhere-123" not in repr(vars(signer))


def _token_signer(softhsm, **changed: object) -> Pkcs11Signer:
    """The test token's EC key opened with the right PIN, but for the `changed` arguments."""
    hsm, _ = softhsm
    arguments = {"module_path": hsm.module_path, "token_label": TOKEN, "pin": USER_PIN,
                 "key_label": "signer-ec"}
    return Pkcs11Signer(**{**arguments, **changed})


def test_a_wrong_pin_is_a_clear_error(softhsm):
    with pytest.raises(WrongPin, match="refused the PIN"):
        _token_signer(softhsm, pin="000000")


def test_an_unknown_token_is_a_clear_error(softhsm):
    with pytest.raises(KeyStoreError, match="No token labelled 'usb-token-42'"):
        _token_signer(softhsm, token_label="usb-token-42")


def test_an_unknown_key_label_is_a_clear_error(softhsm):
    with pytest.raises(KeyStoreError, match="No single private key labelled 'nobody'"):
        _token_signer(softhsm, key_label="nobody")


def test_the_token_certificate_is_read_from_the_token(softhsm):
    _, certs = softhsm
    with _token_signer(softhsm) as signer:
        assert signer.certificate == certs["ec"]


def test_a_token_key_that_does_not_match_the_given_certificate_is_refused(
        softhsm, file_identities):
    with pytest.raises(KeyStoreError, match="does not match the certificate"):
        _token_signer(softhsm, certificate=file_identities["ec"].certificate)


def test_the_remote_signer_says_it_is_not_available(file_identities):
    signer = RemoteHashSigner(base_url="https://rs.example.vn", credential_id="c-1",
                              certificate=file_identities["ec"].certificate)
    with pytest.raises(KeyStoreError, match="Remote signing is not available"):
        signer.sign(PAYLOAD)
