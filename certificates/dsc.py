"""The country signing CA (CSCA) and its document signers (DSCs), made with signing's PKI code.

A DSC is an end-entity certificate under the CSCA (no intermediate, as the HCERT spec has it),
key usage digitalSignature, extended key usage documentSigning plus the HCERT vaccination OID
(a DSC with HCERT EKUs may sign only those certificate types). ``dsc_register_*`` check the
chain with ``signing.pki.verify_chain`` and store the certificate; a file key is kept as its
encrypted PKCS#12, a token key as its labels (the key never leaves the token).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction
from django.utils.translation import gettext as _

from certificates.hcert import kid_of
from certificates.models import CountrySigningCA, DocumentSigner
from records.audit import record_event
from signing import pki
from signing.errors import CertificateRejected
from vaxrecon.errors import InvalidInput

HCERT_VACCINATION = x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.2")
DSC_EKUS = (pki.DOCUMENT_SIGNING, HCERT_VACCINATION)
DSC_SUBJECT = {"organisation": "Bộ Y tế (Ministry of Health)", "unit": "Cục Y tế dự phòng",
               "person": "DCC Document Signer VN"}


def create_csca(*, valid_days: int = 3650, not_before: dt.datetime | None = None,
                common_name: str = "VaxRecon CSCA Viet Nam") -> pki.CertAndKey:
    """A new CSCA (self-signed, EC P-256): for tests and ``hcert_init_dev``, and for ``hcert_csca_init``
    on the offline host where the production CSCA is kept."""
    return pki.create_root_ca(common_name=common_name, organisation="Bộ Y tế",
                              valid_days=valid_days, not_before=not_before)


def issue_dsc(csca: pki.CertAndKey, public_key: pki.PublicKey, *, valid_days: int = 730,
              not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
              ) -> x509.Certificate:
    """A DSC for ``public_key`` signed by ``csca``."""
    return pki.issue_signer_certificate(csca, public_key, **DSC_SUBJECT, valid_days=valid_days,
                                        not_before=not_before, not_after=not_after,
                                        extended_key_usage=DSC_EKUS)


def csca_load(key_path: Path, cert_path: Path, passphrase: str) -> pki.CertAndKey:
    """The CSCA's key (encrypted PEM, opened with ``passphrase``) and its certificate; raises
    ``InvalidInput`` naming the files when they cannot be read or do not belong together."""
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), passphrase.encode())
        cert = pki.load_certificates(cert_path.read_bytes())[0]
    except (ValueError, TypeError, OSError) as exc:
        raise InvalidInput(_("%(key)s or %(cert)s cannot be read with CERTIFICATES_CSCA_KEY_PASSPHRASE: "
                             "%(error)s") % {"key": key_path, "cert": cert_path, "error": exc}) from None
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise InvalidInput(_("The key %(key)s does not belong to the certificate %(cert)s.")
                           % {"key": key_path, "cert": cert_path})
    return pki.CertAndKey(cert, key)


def _fields(cert: x509.Certificate) -> dict:
    return {"der": cert.public_bytes(serialization.Encoding.DER),
            "fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
            "subject": cert.subject.rfc4514_string(), "issuer_name": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "x"), "not_before": cert.not_valid_before_utc,
            "not_after": cert.not_valid_after_utc}


@transaction.atomic
def csca_register(*, certificate: x509.Certificate, label: str = "", actor=None) -> CountrySigningCA:
    """Store a CSCA certificate (idempotent by fingerprint); returns it."""
    fields = _fields(certificate)
    csca, created = CountrySigningCA.objects.get_or_create(
        fingerprint=fields.pop("fingerprint"), defaults={**fields, "label": label})
    if created:
        record_event(actor=actor, action="certificates.csca_register", obj=csca,
                     after={"subject": csca.subject, "not_after": csca.not_after})
    return csca


def _chain_to_csca(certificate: x509.Certificate) -> CountrySigningCA:
    now = dt.datetime.now(dt.UTC)
    for csca in CountrySigningCA.objects.all():
        try:
            pki.verify_chain(certificate, [], [csca.certificate], at=now)
        except CertificateRejected:
            continue
        return csca
    raise InvalidInput(_("This document signer certificate is not issued by a registered country "
                         "signing CA, or is not valid now."))


def _algorithm_of(certificate: x509.Certificate) -> str:
    return (DocumentSigner.Algorithm.PS256 if isinstance(certificate.public_key(), rsa.RSAPublicKey)
            else DocumentSigner.Algorithm.ES256)


@transaction.atomic
def _store(certificate: x509.Certificate, *, actor, **key_fields) -> DocumentSigner:
    csca = _chain_to_csca(certificate)
    fields = _fields(certificate)
    dsc, created = DocumentSigner.objects.get_or_create(
        fingerprint=fields.pop("fingerprint"),
        defaults={**fields, **key_fields, "csca": csca, "kid": kid_of(certificate).hex(),
                  "algorithm": _algorithm_of(certificate)})
    if created:
        record_event(actor=actor, action="certificates.dsc_register", obj=dsc,
                     after={"kid": dsc.kid, "key_store": dsc.key_store, "algorithm": dsc.algorithm,
                            "not_after": dsc.not_after})
    return dsc


def dsc_register_pkcs12(*, data: bytes, passphrase: str, actor=None) -> DocumentSigner:
    """Register a DSC from its encrypted PKCS#12 (opened once here to check it)."""
    _key, cert, _extra = pki.load_pkcs12(data, passphrase)
    return _store(cert, actor=actor, key_store=DocumentSigner.KeyStore.FILE, pkcs12=data)


def dsc_register_token(*, certificate: x509.Certificate, token_label: str, key_label: str,
                       actor=None) -> DocumentSigner:
    """Register a DSC whose key is on a PKCS#11 token under ``token_label``/``key_label``."""
    return _store(certificate, actor=actor, key_store=DocumentSigner.KeyStore.PKCS11,
                  token_label=token_label, key_label=key_label)
