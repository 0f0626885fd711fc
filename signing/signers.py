"""Opening a signer's key and checking that its certificate may sign, now and here."""

from __future__ import annotations

import datetime as dt
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from accounts.models import Role
from records.audit import record_event
from signing import pki
from signing.errors import CertificateLocked, KeyStoreError, WrongPassphrase, WrongPin
from signing.keystores import Algorithm, FileKeySigner, Pkcs11Signer, Signer
from signing.models import SignerCertificate
from signing.selectors import TrustMaterial, trust_material
from signing.softhsm import find_softhsm_module
from vaxrecon.access import FACILITY, PROVINCE, WARD, Scope, attempt_count, attempts_forget
from vaxrecon.cache import cache_reachable
from vaxrecon.errors import NotAllowed

SIGNER_ROLES = frozenset({Role.SIGNER, Role.PROVINCIAL_OFFICER})


def pkcs11_module() -> str:
    """The PKCS#11 module of the signers' tokens: ``SIGNING_PKCS11_MODULE``, else SoftHSM2."""
    module = settings.SIGNING_PKCS11_MODULE or find_softhsm_module()
    if not module:
        raise KeyStoreError(_("No PKCS#11 module is configured (SIGNING_PKCS11_MODULE)."))
    return module


# --- Wrong passphrases and PINs, counted per certificate ------------------------------------
# SIGNING_SECRET_ATTEMPTS wrong ones within SIGNING_SECRET_WINDOW seconds lock the certificate for
# SIGNING_SECRET_LOCKOUT seconds: no key is opened with it, right secret or not, until then.
WRONG_SECRET_BUCKET = "signing-secret"


def _lock_key(certificate: SignerCertificate) -> str:
    return f"signing-locked:{certificate.pk}"


def _refuse_while_locked(certificate: SignerCertificate) -> None:
    # Fail closed: while the shared cache is down a lock cannot be seen nor a wrong secret counted,
    # so no secret is tried (the pages still answer; signing waits for the cache).
    if not cache_reachable():
        raise CertificateLocked(_("Signing is paused: wrong passphrases and PINs cannot be counted right "
                                  "now. Try again in a minute."), retry_after=60)
    until = cache.get(_lock_key(certificate))
    wait = math.ceil(until - time.time()) if until else 0
    if wait > 0:
        raise CertificateLocked(
            _("Too many wrong passphrases or PINs for this certificate: it is locked for %(minutes)s "
              "min. Try again later.") % {"minutes": math.ceil(wait / 60)}, retry_after=wait)


def _count_wrong_secret(certificate: SignerCertificate) -> None:
    """Audit one wrong passphrase/PIN (never the secret); lock the certificate at the limit."""
    window = settings.SIGNING_SECRET_WINDOW
    failures, _left = attempt_count(WRONG_SECRET_BUCKET, str(certificate.pk), seconds=window)
    record_event(actor=certificate.user, action="signing.wrong_secret", obj=certificate,
                 after={"failures": failures, "key_store": certificate.key_store})
    if failures >= settings.SIGNING_SECRET_ATTEMPTS:
        lockout = settings.SIGNING_SECRET_LOCKOUT
        cache.set(_lock_key(certificate), time.time() + lockout, timeout=lockout)
        attempts_forget(WRONG_SECRET_BUCKET, str(certificate.pk), seconds=window)
        record_event(actor=certificate.user, action="signing.certificate_locked", obj=certificate,
                     after={"failures": failures, "seconds": lockout})


def open_signer(*, certificate: SignerCertificate, secret: str) -> Signer:
    """Open the key of ``certificate`` with the passphrase (file) or PIN (token).

    Raises ``WrongPassphrase`` / ``WrongPin`` / ``KeyStoreError`` with a plain message, and
    ``CertificateLocked`` (without trying the secret) after too many wrong ones lately.
    The caller closes the returned signer.
    """
    _refuse_while_locked(certificate)
    try:
        signer = _open_key(certificate, secret)
    except (WrongPassphrase, WrongPin):
        _count_wrong_secret(certificate)
        raise
    attempts_forget(WRONG_SECRET_BUCKET, str(certificate.pk), seconds=settings.SIGNING_SECRET_WINDOW)
    return signer


def _open_key(certificate: SignerCertificate, secret: str) -> Signer:
    algorithm = Algorithm(certificate.algorithm)
    if certificate.key_store == SignerCertificate.KeyStore.FILE:
        signer: Signer = FileKeySigner.from_pkcs12(bytes(certificate.pkcs12), secret, algorithm=algorithm)
    else:
        signer = Pkcs11Signer(module_path=pkcs11_module(), token_label=certificate.token_label,
                              pin=secret, key_label=certificate.key_label,
                              certificate=certificate.certificate, algorithm=algorithm)
    if signer.certificate != certificate.certificate:
        signer.close()
        raise KeyStoreError(_("The key opened belongs to a different certificate."))
    return signer


def check_certificate(certificate: SignerCertificate, *, at: dt.datetime,
                      material: TrustMaterial | None = None) -> pki.ChainResult:
    """Raise ``CertificateRejected`` unless ``certificate`` could sign at ``at``."""
    material = material or trust_material()
    return pki.verify_chain(certificate.certificate, material.intermediates, material.roots, at=at,
                            crls=material.crls,
                            require_revocation_info=settings.SIGNING_REQUIRE_REVOCATION_INFO)


def check_fits_scope(certificate: SignerCertificate, scope: Scope) -> None:
    """Raise ``NotAllowed`` unless ``certificate`` was registered for ``scope``'s unit."""
    fits = {
        WARD: certificate.ward_id is not None and certificate.ward_id == scope.ward_id
        and certificate.facility_id is None,
        FACILITY: certificate.facility_id is not None and certificate.facility_id == scope.facility_id,
        PROVINCE: certificate.province_id is not None and certificate.province_id == scope.province_id,
    }.get(scope.kind, False)
    if not fits:
        raise NotAllowed(_("This certificate was registered for another commune, facility or province."))
