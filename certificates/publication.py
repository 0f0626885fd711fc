"""The trust list and the revocation list as published: the content signed by the CSCA.

A published list is ``{"content": {...}, "signature": {"alg", "csca", "value"}}``: ``value`` is
the base64 ECDSA (DER) or RSA-PSS signature over the content's RFC 8785 canonical JSON, made with
the CSCA's key (``CERTIFICATES_CSCA_KEY_FILE``), ``csca`` the base64 DER of the CSCA certificate so
a verifier can check it is the CSCA it already trusts. ``verify_published`` is the check.
"""

from __future__ import annotations

import base64
from pathlib import Path

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.conf import settings
from django.utils.translation import gettext as _

from certificates import selectors
from certificates.models import CountrySigningCA
from vaxrecon.errors import NotFoundInScope, ServiceUnavailable

PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _csca_key():
    path = settings.CERTIFICATES_CSCA_KEY_FILE
    if not path or not Path(path).is_file():
        # No CSCA key here: this deployment publishes no list (404, as for any page it lacks).
        raise NotFoundInScope(_("No trust list is published here: CERTIFICATES_CSCA_KEY_FILE is not set."))
    secret = settings.CERTIFICATES_CSCA_KEY_PASSPHRASE.encode() or None
    return serialization.load_pem_private_key(Path(path).read_bytes(), secret)


def _csca_for(key) -> CountrySigningCA:
    wanted = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    for csca in CountrySigningCA.objects.all():
        spki = csca.certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo)
        if spki == wanted:
            return csca
    raise ServiceUnavailable(_("The CSCA key does not belong to a registered country signing CA."))


def sign_content(content: dict) -> dict:
    """``content`` with the CSCA's signature over its canonical JSON."""
    key = _csca_key()
    data = rfc8785.dumps(content)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg, signature = "ES256", key.sign(data, ec.ECDSA(hashes.SHA256()))
    else:
        alg, signature = "PS256", key.sign(data, PSS, hashes.SHA256())
    csca = _csca_for(key)
    return {"content": content, "signature": {
        "alg": alg, "csca": base64.b64encode(bytes(csca.der)).decode(),
        "value": base64.b64encode(signature).decode()}}


def published_trust_list() -> dict:
    return sign_content(selectors.trust_list())


def published_revocations() -> dict:
    return sign_content(selectors.revocation_list())


def verify_published(document: dict, csca: x509.Certificate) -> bool:
    """True when ``document`` is signed by ``csca`` (the CSCA a verifier trusts)."""
    try:
        signature = document["signature"]
        if base64.b64decode(signature["csca"]) != csca.public_bytes(serialization.Encoding.DER):
            return False
        data, value = rfc8785.dumps(document["content"]), base64.b64decode(signature["value"])
        key = csca.public_key()
        if signature["alg"] == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(value, data, ec.ECDSA(hashes.SHA256()))
        elif signature["alg"] == "PS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(value, data, PSS, hashes.SHA256())
        else:
            return False
    except (KeyError, TypeError, ValueError, InvalidSignature):
        return False
    return True
