"""Verdicts: valid, tampered (invalid signature), wrong kid and unknown issuer, expired, revoked;
the command's output and exit code; the published trust list checked against the CSCA."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import zlib

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pycose.keys import EC2Key
from pycose.messages import Sign1Message

from certificates import dsc as dscs
from certificates import hcert, publication, services
from certificates.base45 import b45decode, b45encode
from certificates.issuer import Issuer
from certificates.models import CountrySigningCA, DocumentSigner, VaccinationCertificate
from certificates.verify import Verdict, verify_hc1
from signing import pki
from tests.certificates.conftest import DSC_SECRET

pytestmark = pytest.mark.django_db


def rewrite(hc1: str, change) -> str:
    """The HC1 text with its COSE_Sign1 parts changed by ``change(parts)`` (signature kept)."""
    cose = cbor2.loads(zlib.decompress(b45decode(hc1[4:])))
    parts = list(cose.value)
    change(parts)
    return "HC1:" + b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, parts))))


def mark_revoked(certificate) -> None:
    """Revoked as the correction's reaction leaves it (that path: test_correction.py)."""
    VaccinationCertificate.objects.filter(pk=certificate.pk).update(status="revoked",
                                                                    revoked_at=dt.datetime.now(dt.UTC))


@pytest.fixture
def issued(dsc, signed_citizen):
    citizen, _records = signed_citizen()
    return services.certificate_issue(citizen=citizen).certificate


def test_an_issued_certificate_is_valid_and_shows_name_dob_and_doses(issued):
    result = verify_hc1(issued.hc1)
    assert result.verdict is Verdict.VALID and result.ok
    assert result.dcc["nam"]["fnt"] == "NGUYEN" and result.dcc["v"][0]["ci"] == issued.uvci


def test_a_tampered_payload_has_an_invalid_signature(issued):
    def change_name(parts):
        claims = cbor2.loads(parts[2])
        claims[-260][1]["nam"]["gnt"] = "VAN<HUNGG"
        parts[2] = cbor2.dumps(claims)

    assert verify_hc1(rewrite(issued.hc1, change_name)).verdict is Verdict.INVALID_SIGNATURE


def test_the_kid_of_another_trusted_dsc_fails_the_signature(issued, register_dsc):
    other = register_dsc("PS256")

    def other_kid(parts):
        header = cbor2.loads(parts[0])
        header[4] = bytes.fromhex(other.kid)
        parts[0] = cbor2.dumps(header)

    assert verify_hc1(rewrite(issued.hc1, other_kid)).verdict is Verdict.INVALID_SIGNATURE


def test_an_unknown_kid_or_a_foreign_issuer_is_an_unknown_issuer(issued, signed_citizen, settings):
    def random_kid(parts):
        header = cbor2.loads(parts[0])
        header[4] = b"\x01" * 8
        parts[0] = cbor2.dumps(header)

    assert verify_hc1(rewrite(issued.hc1, random_kid)).verdict is Verdict.UNKNOWN_ISSUER
    foreign_csca = dscs.create_csca()
    key = pki.generate_key("ec")
    foreign = pki.CertAndKey(dscs.issue_dsc(foreign_csca, key.public_key()), key)
    # A DSC of another country, signing outside our trust list: made in memory, never registered.
    stand_in = DocumentSigner(csca=CountrySigningCA(), kid=hcert.kid_of(foreign.certificate).hex(),
                              algorithm="ES256", key_store="file",
                              pkcs12=pki.export_pkcs12(foreign, DSC_SECRET),
                              not_after=foreign.certificate.not_valid_after_utc)
    citizen, _records = signed_citizen()
    with Issuer(dsc=stand_in, secret=DSC_SECRET) as issuer:
        sealed = issuer.seal({"ver": "1.3.0", "nam": {"fnt": "X"}, "dob": "1990", "v": [{"ci": "x"}]},
                             uvci="URN:UVCI:01:XX:1#A", issued_at=dt.datetime.now(dt.UTC))
    assert verify_hc1(sealed.hc1).verdict is Verdict.UNKNOWN_ISSUER


def test_an_expired_certificate_is_expired(issued):
    later = issued.expires_at + dt.timedelta(seconds=1)
    assert verify_hc1(issued.hc1, now=later).verdict is Verdict.EXPIRED
    assert verify_hc1(issued.hc1, now=issued.expires_at - dt.timedelta(days=1)).verdict is Verdict.VALID


def test_a_revoked_certificate_is_revoked(issued):
    mark_revoked(issued)
    assert verify_hc1(issued.hc1).verdict is Verdict.REVOKED


@pytest.mark.parametrize(("text", "says"), [("hello", "does not start with HC1:"), ("HC1:ab", "not Base45"),
                                            ("HC1:" + b45encode(b"\x78\x9c\x00"), "zlib")])
def test_text_that_is_no_certificate_says_what_is_wrong(db, text, says):
    result = verify_hc1(text)
    assert result.verdict is Verdict.MALFORMED and says in result.detail


def test_the_command_prints_the_verdict_and_exits_non_zero_unless_valid(issued, capsys):
    call_command("verify_certificate", issued.hc1)
    out = capsys.readouterr().out
    assert out.startswith("valid: Valid") and "NGUYEN" in out
    mark_revoked(issued)
    with pytest.raises(SystemExit) as exited:
        call_command("verify_certificate", issued.hc1)
    assert exited.value.code == 1 and capsys.readouterr().out.startswith("revoked: Revoked")


def test_the_trust_list_lists_the_dscs_and_is_signed_by_the_csca(issued, dsc, csca):
    document = Client().get(reverse("certificates:trust_list")).json()

    assert publication.verify_published(document, csca.certificate)
    [entry] = document["content"]["certificates"]
    assert base64.b64decode(entry["kid"]) == bytes.fromhex(dsc.kid)
    assert x509.load_der_x509_certificate(base64.b64decode(entry["certificate"])) == dsc.certificate
    assert entry["not_after"] == dsc.not_after.isoformat()
    document["content"]["certificates"][0]["not_after"] = "2099-01-01T00:00:00+00:00"
    assert not publication.verify_published(document, csca.certificate)
    assert not publication.verify_published(document, dscs.create_csca().certificate)


def test_the_revocation_list_names_a_revoked_certificate_by_its_three_hashes(issued, csca):
    client = Client()
    assert client.get(reverse("certificates:revocations")).json()["content"]["entries"]["UVCI"] == []
    mark_revoked(issued)

    document = client.get(reverse("certificates:revocations")).json()

    assert publication.verify_published(document, csca.certificate)
    entries = document["content"]["entries"]
    assert entries["UVCI"] == [base64.b64encode(hashlib.sha256(issued.uvci.encode()).digest()[:16]).decode()]
    assert entries["COUNTRYCODEUVCI"] == [
        base64.b64encode(hashlib.sha256(("VN" + issued.uvci).encode()).digest()[:16]).decode()]
    signature = cbor2.loads(zlib.decompress(b45decode(issued.hc1[4:]))).value[3]
    assert entries["SIGNATURE"] == [base64.b64encode(hashlib.sha256(signature[:32]).digest()[:16]).decode()]


def test_without_a_csca_key_no_list_is_published(db, settings):
    settings.CERTIFICATES_CSCA_KEY_FILE = ""
    assert Client().get(reverse("certificates:trust_list")).status_code == 404


def test_the_published_json_is_plain_json(issued):
    body = Client().get(reverse("certificates:trust_list")).content
    assert json.loads(body)["content"]["country"] == "VN"


def test_an_outside_verifier_checks_a_certificate_against_the_published_trust_list_only(issued, csca):
    """pycose (not our code) with nothing but the trust list: the list's CSCA signature, then the
    kid's DSC from it, then the COSE signature."""
    document = Client().get(reverse("certificates:trust_list")).json()
    assert publication.verify_published(document, csca.certificate)
    message = Sign1Message.decode(zlib.decompress(b45decode(issued.hc1[4:])))
    kid = base64.b64encode(cbor2.loads(message.phdr_encoded)[4]).decode()
    [entry] = [e for e in document["content"]["certificates"] if e["kid"] == kid]
    dsc = x509.load_der_x509_certificate(base64.b64decode(entry["certificate"]))
    message.key = EC2Key.from_pem_public_key(dsc.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
    assert message.verify_signature()
    assert cbor2.loads(message.payload)[-260][1]["v"][0]["ci"] == issued.uvci
