"""The trust store (roots, intermediates, revocation lists) and the signers' certificates."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib import request as urlrequest
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from records.audit import record_event
from signing import pki
from signing.keystores import Algorithm, FileKeySigner, default_algorithm
from signing.models import AuthorityCertificate, RevocationList, SignerCertificate
from signing.selectors import trust_material
from signing.signers import SIGNER_ROLES
from vaxrecon.access import FACILITY, PROVINCE, WARD, scope_for
from vaxrecon.errors import InvalidInput, NotAllowed


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _cert_fields(cert: x509.Certificate) -> dict:
    return {"der": cert.public_bytes(serialization.Encoding.DER), "subject": cert.subject.rfc4514_string(),
            "issuer_name": cert.issuer.rfc4514_string(), "serial": format(cert.serial_number, "x"),
            "not_before": cert.not_valid_before_utc, "not_after": cert.not_valid_after_utc}


@transaction.atomic
def authority_register(*, certificate: x509.Certificate, trusted: bool = False, label: str = "",
                       actor=None) -> AuthorityCertificate:
    """Add a CA certificate (idempotent by fingerprint). ``trusted`` puts a root in the trust
    store; a self-signed certificate is a root, anything else an intermediate."""
    is_root = certificate.subject == certificate.issuer and pki._signed_by(certificate, certificate)
    kind = AuthorityCertificate.Kind.ROOT if is_root else AuthorityCertificate.Kind.INTERMEDIATE
    if trusted and not is_root:
        raise InvalidInput(_("Only a self-signed root certificate can be trusted."))
    authority, created = AuthorityCertificate.objects.get_or_create(
        fingerprint=_fingerprint(certificate),
        defaults={**_cert_fields(certificate), "kind": kind, "trusted": trusted, "label": label})
    newly_trusted = not created and trusted and not authority.trusted
    if newly_trusted:
        authority.trusted = True
        authority.save(update_fields=["trusted"])
    if created or newly_trusted:  # registering what is held already writes nothing
        record_event(actor=actor, action="pki.authority_register", obj=authority,
                     after={"subject": authority.subject, "kind": kind, "trusted": authority.trusted})
    return authority


@transaction.atomic
def crl_import(*, data: bytes, source: str = "", actor=None) -> RevocationList:
    """Store a CRL as the current one of its issuer (a registered CA that signed it).

    An older CRL than the one held is refused. Returns the stored list.
    """
    try:
        crl = pki.load_crl(data)
    except ValueError as exc:
        raise InvalidInput(_("The file is not a certificate revocation list.")) from exc
    issuer = next((a for a in AuthorityCertificate.objects.all()
                   if a.certificate.subject == crl.issuer
                   and crl.is_signature_valid(a.certificate.public_key())), None)
    if issuer is None:
        raise InvalidInput(_("The revocation list was not issued by a registered CA."))
    current = RevocationList.objects.select_for_update().filter(issuer=issuer).first()
    if current is not None and current.this_update > crl.last_update_utc:
        raise InvalidInput(_("This revocation list is older than the one already imported."))
    der = crl.public_bytes(serialization.Encoding.DER)
    if current is not None and bytes(current.der) == der and source in ("", current.source):
        return current  # the very list already held: nothing to write, nothing to audit
    values = {"der": der, "this_update": crl.last_update_utc,
              "next_update": crl.next_update_utc, "revoked_count": len(crl),
              "source": source or (current.source if current else ""), "imported_at": timezone.now()}
    stored, _created = RevocationList.objects.update_or_create(issuer=issuer, defaults=values)
    record_event(actor=actor, action="pki.crl_import", obj=stored,
                 after={"issuer": issuer.subject, "this_update": crl.last_update_utc,
                        "revoked": len(crl), "source": stored.source})
    return stored


def crl_refresh(*, actor=None, fetch=None) -> list[tuple[RevocationList, str]]:
    """Re-import every CRL from its recorded source (file path or http(s) URL).

    Returns (list, outcome message) pairs; a failing source does not stop the others.
    """
    fetch = fetch or read_crl_source
    results = []
    for crl in RevocationList.objects.exclude(source="").select_related("issuer"):
        try:
            results.append((crl_import(data=fetch(crl.source), source=crl.source, actor=actor), "ok"))
        except (InvalidInput, OSError) as exc:
            results.append((crl, getattr(exc, "message", str(exc))))
    return results


CRL_MAX_BYTES = 64 * 1024 * 1024  # a national CA's full CRL is a few MB; more is not a CRL


class _HttpOnlyRedirects(urlrequest.HTTPRedirectHandler):
    """Follows a redirect only to another http(s) address (urllib alone would follow to ftp:)."""

    def http_error_302(self, req, fp, code, msg, headers):
        target = urljoin(req.full_url, headers.get("location") or headers.get("uri") or "")
        if urlsplit(target).scheme.lower() not in ("http", "https"):
            raise InvalidInput(_("The revocation list address redirects to an address that is not "
                                 "http(s)."))
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


# http(s) only: no file:, ftp: or data: handler to reach through a URL or a redirect.
_OPENER = urlrequest.OpenerDirector()
for _handler in (urlrequest.ProxyHandler(), urlrequest.HTTPHandler(), urlrequest.HTTPSHandler(),
                 urlrequest.HTTPDefaultErrorHandler(), _HttpOnlyRedirects(), urlrequest.HTTPErrorProcessor()):
    _OPENER.add_handler(_handler)


def _bounded(stream) -> bytes:
    data = stream.read(CRL_MAX_BYTES + 1)
    if len(data) > CRL_MAX_BYTES:
        raise InvalidInput(_("The revocation list is larger than %(limit)s MB.")
                           % {"limit": CRL_MAX_BYTES // (1024 * 1024)})
    return data


def _crl_file(source: str) -> Path:
    """The file a non-URL source names, refused unless it lies inside SIGNING_CRL_DIR once
    every symlink and ``..`` is resolved. A relative path is taken inside that folder."""
    folder = Path(settings.SIGNING_CRL_DIR).resolve()
    parts = urlsplit(source)
    scheme = parts.scheme.lower()
    if scheme == "file" and parts.netloc in ("", "localhost"):
        source = url2pathname(parts.path)
    elif scheme:
        raise InvalidInput(_("Revocation lists are read only from http(s) addresses or from files in "
                             "the revocation list folder (%(folder)s).") % {"folder": folder})
    path = (folder / source).resolve()
    if not path.is_relative_to(folder) or path == folder:
        raise InvalidInput(_("This file is outside the revocation list folder (%(folder)s).")
                           % {"folder": folder})
    return path


def read_crl_source(source: str) -> bytes:
    """The bytes of a CRL from an http(s) URL, or from a file inside SIGNING_CRL_DIR.

    Anything else (another scheme, a path or symlink leading out of the folder) is refused
    with an InvalidInput saying so, before anything is read; OSError when the file or the
    server cannot be reached.
    """
    if urlsplit(source).scheme.lower() in ("http", "https"):
        with _OPENER.open(source, timeout=30) as response:
            return _bounded(response)
    path = _crl_file(source)
    # O_NOFOLLOW: the resolved name must not have become a symlink since it was checked.
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as handle:
        return _bounded(handle)


@transaction.atomic
def signer_certificate_register(*, user, certificate: x509.Certificate, key_store: str,
                                chain: Sequence[x509.Certificate] = (), pkcs12: bytes | None = None,
                                token_label: str = "", key_label: str = "",
                                algorithm: Algorithm | None = None, actor=None) -> SignerCertificate:
    """Bind a signer certificate (and where its key is) to ``user`` and their scope.

    Refuses users who do not sign, certificates that do not chain to a trusted root or
    are expired/revoked now, and certificates already registered. Intermediates in
    ``chain`` are added to the known CAs. Returns the registration.
    """
    scope = scope_for(user)
    if scope.role not in SIGNER_ROLES:
        raise NotAllowed(_("Only signers and provincial health officers can hold signing certificates."))
    for extra in chain:
        if extra.subject != extra.issuer:
            authority_register(certificate=extra, actor=actor)
    material = trust_material()
    result = pki.verify_chain(certificate, material.intermediates, material.roots, at=timezone.now(),
                              crls=material.crls)
    if SignerCertificate.objects.filter(fingerprint=_fingerprint(certificate)).exists():
        raise InvalidInput(_("This certificate is already registered."))
    issuer = AuthorityCertificate.objects.filter(fingerprint=_fingerprint(result.chain[1])).first() \
        if len(result.chain) > 1 else None
    registered = SignerCertificate.objects.create(
        **_cert_fields(certificate), fingerprint=_fingerprint(certificate), user=user, issuer=issuer,
        ward_id=scope.ward_id if scope.kind == WARD else None,
        facility_id=scope.facility_id if scope.kind == FACILITY else None,
        province_id=scope.province_id if scope.kind == PROVINCE else None,
        key_store=key_store, algorithm=(algorithm or default_algorithm(certificate)).value,
        pkcs12=pkcs12, token_label=token_label, key_label=key_label)
    record_event(actor=actor or user, action="pki.signer_certificate_register", obj=registered,
                 after={"user": user.get_username(), "subject": registered.subject,
                        "key_store": key_store, "not_after": registered.not_after})
    return registered


def signer_certificate_import_pkcs12(*, user, data: bytes, passphrase: str,
                                     algorithm: Algorithm | None = None, actor=None) -> SignerCertificate:
    """Register a PKCS#12 key file for ``user``, kept encrypted exactly as given.

    The passphrase is used once here to prove it opens the file and that key and
    certificate belong together, then forgotten. Raises ``WrongPassphrase`` /
    ``KeyStoreError`` / ``CertificateRejected`` / domain errors.
    """
    signer = FileKeySigner.from_pkcs12(data, passphrase, algorithm=algorithm)
    return signer_certificate_register(user=user, certificate=signer.certificate, chain=signer.chain,
                                       key_store=SignerCertificate.KeyStore.FILE, pkcs12=data,
                                       algorithm=signer.algorithm, actor=actor)
