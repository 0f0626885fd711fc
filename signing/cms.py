"""Record signatures as CMS signatures, and their detached CMS/PKCS#7 export.

A record signature *is* a CMS (RFC 5652) signature: the signer signs the DER of the
signed attributes {content-type: data, message-digest: SHA-256(payload), signing-time,
ESS signing-certificate-v2}, not the payload itself. Those attributes are rebuilt
deterministically from what the database stores (payload hash, signing time,
certificate), so a detached ``SignedData`` that ``openssl cms -verify`` accepts can be
exported for any stored signature later, without the key. The signing time is kept to
the second because CMS encodes it as UTCTime.

Batch signing calls ``SignedAttributesTemplate`` (byte splicing, no ASN.1 work per
record); ``signed_attributes_der`` is the reference encoder the template is checked
against.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from asn1crypto import algos, cms, core, pem, tsp
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .keystores import PSS_SALT_LENGTH, Algorithm, Signer, verify_signature


@dataclass(frozen=True)
class RecordSignature:
    """What the caller stores for one signed payload."""

    payload_hash: str           # hex SHA-256 of the canonical payload
    signature: bytes            # over DER(signed attributes)
    signing_time: dt.datetime   # UTC, whole seconds: part of what was signed
    algorithm: Algorithm
    certificate: x509.Certificate


def _utc_seconds(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        raise ValueError("signing_time must be timezone-aware")
    return when.astimezone(dt.UTC).replace(microsecond=0)


def _a_cert(certificate: x509.Certificate) -> a_x509.Certificate:
    return a_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _cms_time(when: dt.datetime) -> cms.Time:
    # RFC 5652 11.3: UTCTime for 1950-2049, GeneralizedTime outside.
    if 1950 <= when.year <= 2049:
        return cms.Time({"utc_time": core.UTCTime(when)})
    return cms.Time({"generalized_time": core.GeneralizedTime(when)})


def signed_attributes(digest: bytes, signing_time: dt.datetime,
                      certificate: x509.Certificate) -> cms.CMSAttributes:
    """Return the CMS signed attributes for a SHA-256 ``digest`` of detached content."""
    cert = _a_cert(certificate)
    ess = tsp.SigningCertificateV2({"certs": [{
        # hash_algorithm omitted: its DEFAULT is sha256, and DER forbids encoding defaults.
        "cert_hash": hashlib.sha256(cert.dump()).digest(),
        "issuer_serial": {"issuer": [a_x509.GeneralName({"directory_name": cert.issuer})],
                          "serial_number": cert.serial_number},
    }]})
    return cms.CMSAttributes([
        {"type": "content_type", "values": ["data"]},
        {"type": "signing_time", "values": [_cms_time(_utc_seconds(signing_time))]},
        {"type": "message_digest", "values": [digest]},
        {"type": "signing_certificate_v2", "values": [ess]},
    ])


def signed_attributes_der(digest: bytes, signing_time: dt.datetime,
                          certificate: x509.Certificate) -> bytes:
    """Return the DER (as a SET OF, tag 0x31) that the signature covers."""
    return signed_attributes(digest, signing_time, certificate).dump(force=True)


class SignedAttributesTemplate:
    """Fast ``signed_attributes_der`` for one certificate: splices digest and time.

    Only the 32 digest bytes and the 13 UTCTime characters change between records, and
    neither changes the DER lengths or the SET OF order, so one encoding per
    certificate serves a whole batch.
    """

    _DIGEST_MARK = bytes(range(101, 133))
    _TIME_MARK = dt.datetime(2049, 12, 31, 23, 58, 57, tzinfo=dt.UTC)

    def __init__(self, certificate: x509.Certificate) -> None:
        template = signed_attributes_der(self._DIGEST_MARK, self._TIME_MARK, certificate)
        time_mark = b"491231235857Z"
        if template.count(self._DIGEST_MARK) != 1 or template.count(time_mark) != 1:
            raise RuntimeError("signed attributes template is ambiguous")
        self._template = template
        self._digest_at = template.index(self._DIGEST_MARK)
        self._time_at = template.index(time_mark)
        self.certificate = certificate

    def der(self, digest: bytes, signing_time: dt.datetime) -> bytes:
        """Return the same bytes as ``signed_attributes_der`` for this certificate."""
        when = _utc_seconds(signing_time)
        if not 1950 <= when.year <= 2049 or len(digest) != 32:
            # Outside UTCTime's range the encoding changes length; use the slow path.
            return signed_attributes_der(digest, when, self.certificate)
        out = bytearray(self._template)
        out[self._digest_at:self._digest_at + 32] = digest
        out[self._time_at:self._time_at + 13] = when.strftime("%y%m%d%H%M%SZ").encode()
        return bytes(out)

    def around_digest(self, signing_time: dt.datetime) -> tuple[bytes, bytes] | None:
        """Return (head, tail) with ``head + digest + tail == der(digest, signing_time)``.

        For a chunk signed at one time: one concatenation per record. None when the time
        is outside UTCTime's range (use ``der``).
        """
        when = _utc_seconds(signing_time)
        if not 1950 <= when.year <= 2049:
            return None
        full = self.der(self._DIGEST_MARK, when)
        return full[:self._digest_at], full[self._digest_at + 32:]


def sign_payload(signer: Signer, payload: bytes, *, signing_time: dt.datetime,
                 template: SignedAttributesTemplate | None = None) -> RecordSignature:
    """Return the signature of ``payload`` (canonical JSON bytes) made with ``signer``.

    Pass one ``template`` for the signer's certificate per batch to avoid rebuilding the
    attribute encoding for every record.
    """
    when = _utc_seconds(signing_time)
    digest = hashlib.sha256(payload).digest()
    if template is None or template.certificate != signer.certificate:
        template = SignedAttributesTemplate(signer.certificate)
    signature = signer.sign(template.der(digest, when))
    return RecordSignature(payload_hash=digest.hex(), signature=signature, signing_time=when,
                           algorithm=signer.algorithm, certificate=signer.certificate)


def verify_payload_signature(*, certificate: x509.Certificate, algorithm: Algorithm | str,
                             payload_hash: str, signing_time: dt.datetime,
                             signature: bytes) -> None:
    """Return None if ``signature`` is the record signature for ``payload_hash`` at
    ``signing_time``; raise ``SignatureInvalid`` otherwise.

    Tamper detection is the caller comparing ``payload_hash`` with the hash of the
    payload rebuilt from the database; this checks the stored hash was what was signed.
    """
    attrs = signed_attributes_der(bytes.fromhex(payload_hash), signing_time, certificate)
    verify_signature(certificate, algorithm, attrs, signature)


def _signature_algorithm(algorithm: Algorithm) -> algos.SignedDigestAlgorithm:
    if algorithm is Algorithm.ECDSA_P256_SHA256:
        return algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    if algorithm is Algorithm.RSA_PSS_SHA256:
        return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": {
            "hash_algorithm": {"algorithm": "sha256"},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
            "salt_length": PSS_SALT_LENGTH,
        }})
    # rsaEncryption, as OpenSSL itself writes for PKCS#1 v1.5 in CMS (RFC 3370 3.2).
    return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15", "parameters": None})


def export_detached_cms(*, certificate: x509.Certificate, algorithm: Algorithm | str,
                        payload_hash: str, signing_time: dt.datetime, signature: bytes,
                        chain: list[x509.Certificate] | tuple[x509.Certificate, ...] = ()) -> bytes:
    """Return a DER ``ContentInfo`` holding a detached ``SignedData`` for a stored signature.

    ``chain`` adds intermediate certificates so a verifier only needs the root.
    Check with: ``openssl cms -verify -binary -inform DER -in sig.p7s -content
    payload.json -CAfile root.pem -purpose any``.
    """
    cert = _a_cert(certificate)
    attrs = signed_attributes(bytes.fromhex(payload_hash), signing_time, certificate)
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": cert.issuer, "serial_number": cert.serial_number}}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": attrs,
        "signature_algorithm": _signature_algorithm(Algorithm(algorithm)),
        "signature": signature,
    })
    signed_data = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": "data"},  # no content: detached
        "certificates": [cert, *(_a_cert(c) for c in chain)],
        "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def cms_to_pem(der: bytes) -> bytes:
    """Return the CMS in PEM armour (``-----BEGIN CMS-----``), for ``-inform PEM``."""
    return pem.armor("CMS", der)
