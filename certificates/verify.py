"""Verdicts on an ``HC1:`` text: valid, invalid signature, expired, revoked, unknown issuer.

Checked in the order a border officer's app checks: the text is an HCERT; its kid is on our
trust list (else unknown issuer); the signature is the DSC's and the DSC was valid when the
certificate was issued (else invalid signature); its hashes are not on the revocation list
(else revoked); it has not expired (else expired).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certificates import hcert, selectors


class Verdict(StrEnum):
    VALID = "valid"
    INVALID_SIGNATURE = "invalid_signature"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN_ISSUER = "unknown_issuer"
    MALFORMED = "malformed"


LABELS = {
    Verdict.VALID: _("Valid"),
    Verdict.INVALID_SIGNATURE: _("Invalid signature"),
    Verdict.EXPIRED: _("Expired"),
    Verdict.REVOKED: _("Revoked"),
    Verdict.UNKNOWN_ISSUER: _("Unknown issuer"),
    Verdict.MALFORMED: _("Not a vaccination certificate"),
}


@dataclass
class Result:
    verdict: Verdict
    detail: str = ""
    dcc: dict = field(default_factory=dict)
    expires_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        return str(LABELS[self.verdict])

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.VALID


def _when(claims: dict, key: int) -> dt.datetime | None:
    value = claims.get(key)
    return dt.datetime.fromtimestamp(value, dt.UTC) if isinstance(value, int | float) else None


def _revoked(unsealed: hcert.Unsealed, country: str) -> bool:
    dcc_v = unsealed.dcc.get("v") or [{}]
    uvci = str(dcc_v[0].get("ci", ""))
    mine = hcert.revocation_hashes(uvci, unsealed.signature,
                                   algorithm=unsealed.algorithm, country=country)
    return selectors.is_revoked(mine)


def verify_hc1(text: str, *, now: dt.datetime | None = None) -> Result:
    """The verdict on ``text`` against the trust list and the revocation list in the database."""
    now = now or timezone.now()
    try:
        unsealed = hcert.unseal(text)
    except hcert.Malformed as exc:
        return Result(Verdict.MALFORMED, str(exc))
    dsc = selectors.trusted_signers().get(unsealed.kid)
    issued, expires = _when(unsealed.claims, hcert.CLAIM_IAT), _when(unsealed.claims, hcert.CLAIM_EXP)
    if dsc is None:
        return Result(Verdict.UNKNOWN_ISSUER, f"kid {unsealed.kid.hex()} is not on the trust list")
    if not hcert.signature_ok(unsealed, dsc.certificate):
        return Result(Verdict.INVALID_SIGNATURE, f"the signature is not that of DSC {dsc.kid}")
    if issued is None or expires is None or not dsc.not_before <= issued <= dsc.not_after:
        return Result(Verdict.INVALID_SIGNATURE, "issued outside the document signer's validity")
    result = Result(Verdict.VALID, dcc=unsealed.dcc, expires_at=expires)
    if _revoked(unsealed, unsealed.claims.get(hcert.CLAIM_ISS, "VN")):
        result.verdict, result.detail = Verdict.REVOKED, "on the revocation list"
    elif expires < now:
        result.verdict, result.detail = Verdict.EXPIRED, f"expired at {expires:%Y-%m-%d %H:%M} UTC"
    return result
