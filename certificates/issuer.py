"""The central issuer's key, opened once for a run: one DSC, one open signer, ``seal`` per certificate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import hcert
from certificates.models import DocumentSigner
from signing.keystores import Algorithm, FileKeySigner, Pkcs11Signer, Signer
from signing.signers import pkcs11_module
from vaxrecon.errors import ServiceUnavailable

KEY_ALGORITHM = {DocumentSigner.Algorithm.ES256: Algorithm.ECDSA_P256_SHA256,
                 DocumentSigner.Algorithm.PS256: Algorithm.RSA_PSS_SHA256}


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` plus whole calendar months (the 31st becomes the month's last day)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def current_signer(*, now: dt.datetime | None = None) -> DocumentSigner:
    """The active DSC valid now (the newest); raises ``ServiceUnavailable`` when there is none."""
    now = now or timezone.now()
    dsc = (DocumentSigner.objects.filter(active=True, not_before__lte=now, not_after__gt=now)
           .filter(Q(csca__not_after__gt=now)).select_related("csca").order_by("-not_before").first())
    if dsc is None:
        raise ServiceUnavailable(_("No document signer certificate is valid now: register one "
                                   "(docs/OPERATIONS.md, Vaccination certificates)."))
    return dsc


def open_key(dsc: DocumentSigner, secret: str) -> Signer:
    """Open ``dsc``'s key (file passphrase or token PIN); the caller closes it."""
    algorithm = KEY_ALGORITHM[DocumentSigner.Algorithm(dsc.algorithm)]
    if dsc.key_store == DocumentSigner.KeyStore.FILE:
        return FileKeySigner.from_pkcs12(bytes(dsc.pkcs12), secret, algorithm=algorithm)
    return Pkcs11Signer(module_path=pkcs11_module(), token_label=dsc.token_label, pin=secret,
                        key_label=dsc.key_label, certificate=dsc.certificate, algorithm=algorithm)


@dataclass
class Sealed:
    hc1: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    hashes: dict


class Issuer:
    """The DSC and its open key; use as a context manager (a token session is closed at the end)."""

    def __init__(self, *, dsc: DocumentSigner | None = None, secret: str | None = None) -> None:
        self.dsc = dsc or current_signer()
        self.kid = bytes.fromhex(self.dsc.kid)
        self._signer = open_key(self.dsc, settings.CERTIFICATES_DSC_SECRET if secret is None else secret)

    def __enter__(self) -> Issuer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._signer.close()

    def expiry(self, issued_at: dt.datetime) -> dt.datetime:
        """``CERTIFICATES_VALIDITY_MONTHS`` after issue, never past the DSC's own end."""
        return min(add_months(issued_at, settings.CERTIFICATES_VALIDITY_MONTHS), self.dsc.not_after)

    def seal(self, payload: dict, *, uvci: str, issued_at: dt.datetime) -> Sealed:
        """Sign ``payload`` into an ``HC1:`` text."""
        expires_at = self.expiry(issued_at)
        claims = hcert.claims(issuer=settings.CERTIFICATES_COUNTRY, issued_at=int(issued_at.timestamp()),
                              expires_at=int(expires_at.timestamp()), payload=payload)
        protected, body, to_sign = hcert.to_be_signed(algorithm=self.dsc.algorithm, kid=self.kid,
                                                      claims_map=claims)
        signature = hcert.cose_signature(self.dsc.algorithm, self._signer.sign(to_sign))
        return Sealed(hc1=hcert.pack(protected, body, signature), issued_at=issued_at,
                      expires_at=expires_at,
                      hashes=hcert.revocation_hashes(uvci, signature, algorithm=self.dsc.algorithm,
                                                     country=settings.CERTIFICATES_COUNTRY))
