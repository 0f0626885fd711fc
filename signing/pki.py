"""Certificates for signers: development CAs, signer certificates, PKCS#12, CRLs, chains.

The development root and issuing CA stand in for the national root and a licensed
public CA. In production the root and the issuing CA come from outside (a trust store
of imported roots, PKCS#12 files or tokens from a real CA); only ``verify_chain``,
``load_*`` and the CRL loader are used then.

Why ``verify_chain`` is written by hand rather than with
``cryptography.x509.verification``: that API only offers TLS client/server verifiers.
Its default client verifier refuses a document-signing certificate ("required EKU not
found": it wants clientAuth); ``ExtensionPolicy.permit_all()`` for the end entity gets
past that, but it still has no CRL support, applies the WebPKI CA profile (stricter
than some public document-signing CAs) and reports every failure as one
``VerificationError`` with a technical message. A document-signing chain is short
(signer -> issuing CA -> root), so a direct check of signatures, validity at the
signing time, CA constraints, key usage and CRLs is simple and gives the signer and
the auditor a plain reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from asn1crypto import pkcs12 as a_pkcs12
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.utils.translation import gettext as _

from .errors import CertificateRejected, KeyStoreError, WrongPassphrase

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

# id-kp-documentSigning (RFC 9336); not yet a named constant in cryptography.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
# Extended key usages under which a certificate may sign documents. Vietnamese
# public CAs commonly issue emailProtection (+clientAuth) on signer tokens.
ACCEPTED_EKUS = frozenset(
    {DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
)
MAX_CHAIN_LENGTH = 5


@dataclass(frozen=True)
class CertAndKey:
    """A certificate with its private key (a CA or a file-based signer)."""

    certificate: x509.Certificate
    key: PrivateKey


@dataclass(frozen=True)
class ChainResult:
    """What ``verify_chain`` established.

    ``chain`` runs from the signer certificate to the trusted root. ``warnings`` holds
    plain-language notes that do not invalidate the chain (e.g. a stale CRL).
    """

    chain: list[x509.Certificate]
    checked_at: dt.datetime
    revocation_checked: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def root(self) -> x509.Certificate:
        return self.chain[-1]


# --------------------------------------------------------------------------- keys


def generate_key(algorithm: str = "ec") -> PrivateKey:
    """Return a new private key: ``"ec"`` (P-256) or ``"rsa"`` (2048 bits)."""
    if algorithm == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unknown key algorithm {algorithm!r}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(*, organisation: str, common_name: str, unit: str | None = None,
          country: str = "VN") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, country),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)]
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _ca_builder(subject: x509.Name, issuer: x509.Name, public_key: PublicKey, *,
                issuer_key: PrivateKey, not_before: dt.datetime, not_after: dt.datetime,
                path_length: int | None) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                       critical=False)
    )


def create_root_ca(*, common_name: str = "VaxRecon Development Root CA",
                   organisation: str = "VaxRecon (development)", key_algorithm: str = "ec",
                   valid_days: int = 3650, not_before: dt.datetime | None = None) -> CertAndKey:
    """Return a new self-signed root CA certificate and its key (development only)."""
    key = generate_key(key_algorithm)
    start = not_before or _now() - dt.timedelta(minutes=5)
    name = _name(organisation=organisation, common_name=common_name)
    cert = _ca_builder(name, name, key.public_key(), issuer_key=key, not_before=start,
                       not_after=start + dt.timedelta(days=valid_days), path_length=1
                       ).sign(key, hashes.SHA256())
    return CertAndKey(cert, key)


def create_issuing_ca(root: CertAndKey, *, common_name: str = "VaxRecon Development Issuing CA",
                      organisation: str = "VaxRecon (development)", key_algorithm: str = "ec",
                      valid_days: int = 1825, not_before: dt.datetime | None = None) -> CertAndKey:
    """Return an intermediate CA certificate signed by ``root``, and its key."""
    key = generate_key(key_algorithm)
    start = not_before or _now() - dt.timedelta(minutes=5)
    cert = _ca_builder(_name(organisation=organisation, common_name=common_name),
                       root.certificate.subject, key.public_key(), issuer_key=root.key,
                       not_before=start, not_after=start + dt.timedelta(days=valid_days), path_length=0
                       ).sign(root.key, hashes.SHA256())
    return CertAndKey(cert, key)


def issue_signer_certificate(issuer: CertAndKey, public_key: PublicKey, *, organisation: str,
                             unit: str, person: str, email: str | None = None,
                             not_before: dt.datetime | None = None, valid_days: int = 730,
                             not_after: dt.datetime | None = None,
                             key_usage_ok: bool = True,
                             extended_key_usage: Sequence[x509.ObjectIdentifier] | None = None,
                             ) -> x509.Certificate:
    """Return a signer certificate for ``public_key``.

    Subject: O=organisation (e.g. the People's Committee or the facility operator),
    OU=unit (commune/ward or facility), CN=person. Key usage digitalSignature +
    nonRepudiation, critical; EKU documentSigning + emailProtection.
    ``extended_key_usage`` replaces that EKU list. ``key_usage_ok=False`` issues a
    keyEncipherment/serverAuth certificate, for tests of the key-usage check.
    """
    start = not_before or _now() - dt.timedelta(minutes=5)
    end = not_after or start + dt.timedelta(days=valid_days)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(organisation=organisation, unit=unit, common_name=person))
        .issuer_name(issuer.certificate.subject).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=key_usage_ok, content_commitment=key_usage_ok,
            key_encipherment=not key_usage_ok, data_encipherment=False, key_agreement=False,
            key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(x509.ExtendedKeyUsage(
            extended_key_usage if extended_key_usage is not None
            else [DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION] if key_usage_ok
            else [ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.key.public_key()), critical=False)
    )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    return builder.sign(issuer.key, hashes.SHA256())


# --------------------------------------------------------------------- loading/saving


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Return every certificate in ``data`` (one or more PEM blocks, or one DER)."""
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def certificates_to_pem(certs: Iterable[x509.Certificate]) -> bytes:
    """Return the certificates as concatenated PEM (what ``openssl -CAfile`` reads)."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def load_pkcs12(data: bytes, passphrase: str | bytes) -> tuple[PrivateKey, x509.Certificate,
                                                              list[x509.Certificate]]:
    """Return (key, signer certificate, additional certificates) from a PKCS#12 file.

    Raises ``WrongPassphrase`` when the passphrase does not open it and
    ``KeyStoreError`` when the file is not a usable PKCS#12 with one key and cert.
    """
    pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, pw or None)
    except ValueError as exc:
        # cryptography reports a bad MAC/decryption and a malformed file alike; tell them
        # apart by whether the file parses with no password at all.
        if _looks_like_pkcs12(data):
            raise WrongPassphrase(_("The passphrase does not open this key file.")) from exc
        raise KeyStoreError(_("The file is not a PKCS#12 (.p12/.pfx) key file.")) from exc
    if key is None or cert is None:
        raise KeyStoreError(_("The PKCS#12 file must hold one private key and its certificate."))
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise KeyStoreError(_("Only ECDSA and RSA keys are supported."))
    return key, cert, list(extra)


def _looks_like_pkcs12(data: bytes) -> bool:
    try:
        a_pkcs12.Pfx.load(data)["auth_safe"]["content_type"].native  # noqa: B018
        return True
    except Exception:  # any parse failure means "not PKCS#12"
        return False


def export_pkcs12(signer: CertAndKey, passphrase: str, chain: Sequence[x509.Certificate] = (),
                  friendly_name: str = "signer") -> bytes:
    """Return an AES-256-encrypted PKCS#12 holding the key, the certificate and ``chain``."""
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(50000)
                  .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
                  .hmac_hash(hashes.SHA256())
                  .build(passphrase.encode()))
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode(), signer.key, signer.certificate, list(chain) or None, encryption)


# ------------------------------------------------------------------------------ CRLs


def create_crl(issuer: CertAndKey, revoked: Iterable[tuple[int, dt.datetime, x509.ReasonFlags | None]] = (),
               *, this_update: dt.datetime | None = None,
               next_update: dt.datetime | None = None) -> x509.CertificateRevocationList:
    """Return a CRL signed by ``issuer`` listing (serial, revocation date, reason)."""
    start = this_update or _now() - dt.timedelta(minutes=1)
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(issuer.certificate.subject)
               .last_update(start).next_update(next_update or start + dt.timedelta(days=7)))
    for serial, when, reason in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(issuer.key, hashes.SHA256())


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """Return the CRL in ``data`` (PEM or DER)."""
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


# ---------------------------------------------------------------------- verification


def _describe(cert: x509.Certificate) -> str:
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return f"'{cn[0].value}'" if cn else cert.subject.rfc4514_string()


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def _check_validity(cert: x509.Certificate, at: dt.datetime) -> None:
    fmt = "%Y-%m-%d %H:%M UTC"
    if at < cert.not_valid_before_utc:
        raise CertificateRejected(CertificateRejected.NOT_YET_VALID, _(
            "Certificate %(cert)s was not yet valid at %(at)s (valid from %(start)s).")
            % {"cert": _describe(cert), "at": at.strftime(fmt),
               "start": cert.not_valid_before_utc.strftime(fmt)})
    if at > cert.not_valid_after_utc:
        raise CertificateRejected(CertificateRejected.EXPIRED, _(
            "Certificate %(cert)s had expired at %(at)s (valid until %(end)s).")
            % {"cert": _describe(cert), "at": at.strftime(fmt),
               "end": cert.not_valid_after_utc.strftime(fmt)})


def _check_is_ca(cert: x509.Certificate) -> None:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        bc, ku = None, None
    if bc is None or not bc.ca or (ku is not None and not ku.key_cert_sign):
        raise CertificateRejected(CertificateRejected.UNTRUSTED, _(
            "Certificate %(cert)s is not a certification authority and cannot issue certificates.")
            % {"cert": _describe(cert)})


def check_signer_key_usage(cert: x509.Certificate) -> None:
    """Raise ``CertificateRejected(BAD_KEY_USAGE)`` unless ``cert`` may sign documents."""
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        ku = None
    if ku is None or not (ku.digital_signature or ku.content_commitment):
        raise CertificateRejected(CertificateRejected.BAD_KEY_USAGE, _(
            "Certificate %(cert)s is not allowed to sign documents "
            "(key usage needs digitalSignature or nonRepudiation).") % {"cert": _describe(cert)})
    try:
        eku = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return  # no EKU means no restriction (RFC 5280 4.2.1.12)
    if not eku & ACCEPTED_EKUS:
        raise CertificateRejected(CertificateRejected.BAD_KEY_USAGE, _(
            "Certificate %(cert)s is restricted to other purposes "
            "(extended key usage lacks documentSigning/emailProtection).") % {"cert": _describe(cert)})


def _check_revocation(cert: x509.Certificate, issuer: x509.Certificate, at: dt.datetime,
                      crls: Sequence[x509.CertificateRevocationList],
                      warnings: list[str]) -> bool:
    """Return True when a CRL from ``issuer`` was found and consulted."""
    found = False
    for crl in crls:
        if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):
            continue
        found = True
        if crl.next_update_utc is not None and crl.next_update_utc < _now():
            warnings.append(f"The revocation list of {_describe(issuer)} is out of date "
                            f"(next update was due {crl.next_update_utc:%Y-%m-%d}).")
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is None:
            continue
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = None
        # A signature made before revocation stays valid, except after key compromise:
        # the compromise may have happened before it was reported.
        if entry.revocation_date_utc <= at or reason == x509.ReasonFlags.key_compromise:
            values = {"cert": _describe(cert), "when": f"{entry.revocation_date_utc:%Y-%m-%d %H:%M UTC}",
                      "reason": reason.value if reason else ""}
            raise CertificateRejected(CertificateRejected.REVOKED, (
                _("Certificate %(cert)s was revoked on %(when)s (%(reason)s).") if reason
                else _("Certificate %(cert)s was revoked on %(when)s.")) % values)
        warnings.append(f"Certificate {_describe(cert)} was revoked on "
                        f"{entry.revocation_date_utc:%Y-%m-%d}, after the signing time.")
    return found


def verify_chain(cert: x509.Certificate, intermediates: Sequence[x509.Certificate],
                 trust_roots: Sequence[x509.Certificate], *, at: dt.datetime,
                 crls: Sequence[x509.CertificateRevocationList] = (),
                 require_revocation_info: bool = False) -> ChainResult:
    """Check that ``cert`` could be relied on to sign documents at time ``at``.

    Builds the path signer -> intermediates -> one of ``trust_roots`` by issuer name and
    signature, then checks every certificate's validity at ``at``, CA constraints on
    issuers, the signer's key usage and, where a CRL of the issuer is given, revocation.
    Returns a ``ChainResult``; raises ``CertificateRejected`` with a plain message and a
    ``reason`` code otherwise. With ``require_revocation_info`` a missing CRL for any
    issuer is a rejection instead of ``revocation_checked=False``.
    """
    if at.tzinfo is None:
        raise ValueError("'at' must be timezone-aware")
    roots_by_der = {r.public_bytes(serialization.Encoding.DER) for r in trust_roots}
    chain = [cert]
    current = cert
    while current.public_bytes(serialization.Encoding.DER) not in roots_by_der:
        if len(chain) > MAX_CHAIN_LENGTH:
            raise CertificateRejected(CertificateRejected.UNTRUSTED,
                                      _("The chain of %(cert)s is too long.") % {"cert": _describe(cert)})
        candidates = [c for c in (*trust_roots, *intermediates)
                      if c.subject == current.issuer and c not in chain]
        issuer = next((c for c in candidates if _signed_by(current, c)), None)
        if issuer is None:
            if current.issuer == current.subject and _signed_by(current, current):
                msg = _("The root %(cert)s is not in the trust store.") % {"cert": _describe(current)}
            else:
                msg = (_("No trusted issuer found for %(cert)s (issued by %(issuer)s).")
                       % {"cert": _describe(current), "issuer": current.issuer.rfc4514_string()})
            raise CertificateRejected(CertificateRejected.UNTRUSTED, msg)
        chain.append(issuer)
        current = issuer

    for c in chain:
        _check_validity(c, at)
    for c in chain[1:]:
        _check_is_ca(c)
    check_signer_key_usage(cert)

    warnings: list[str] = []
    checked = True
    for subject_cert, issuer in zip(chain, chain[1:]):
        if not _check_revocation(subject_cert, issuer, at, crls, warnings):
            checked = False
            if require_revocation_info:
                raise CertificateRejected(CertificateRejected.REVOCATION_UNKNOWN, _(
                    "No revocation list from %(issuer)s is available to check %(cert)s.")
                    % {"issuer": _describe(issuer), "cert": _describe(subject_cert)})
    if len(chain) == 1:  # the signer certificate is itself a trusted root
        checked = False
    return ChainResult(chain=chain, checked_at=at, revocation_checked=checked, warnings=warnings)
