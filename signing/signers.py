"""Opening a signer's key and checking that its certificate may sign, now and here."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import Role
from signing import pki
from signing.errors import KeyStoreError
from signing.keystores import Algorithm, FileKeySigner, Pkcs11Signer, Signer
from signing.models import SignerCertificate
from signing.selectors import TrustMaterial, trust_material
from signing.softhsm import find_softhsm_module
from vaxrecon.access import FACILITY, PROVINCE, WARD, Scope
from vaxrecon.errors import NotAllowed

SIGNER_ROLES = frozenset({Role.SIGNER, Role.PROVINCIAL_OFFICER})


def pkcs11_module() -> str:
    """The PKCS#11 module of the signers' tokens: ``SIGNING_PKCS11_MODULE``, else SoftHSM2."""
    module = settings.SIGNING_PKCS11_MODULE or find_softhsm_module()
    if not module:
        raise KeyStoreError(_("No PKCS#11 module is configured (SIGNING_PKCS11_MODULE)."))
    return module


def open_signer(*, certificate: SignerCertificate, secret: str) -> Signer:
    """Open the key of ``certificate`` with the passphrase (file) or PIN (token).

    Raises ``WrongPassphrase`` / ``WrongPin`` / ``KeyStoreError`` with a plain message.
    The caller closes the returned signer.
    """
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
