"""Checking stored signatures: the chain at signing time, the mathematics, and tampering
(the payload rebuilt from the database now), one report per signature."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

from cryptography import x509
from django.conf import settings
from django.utils.translation import gettext as _

from records.models import InjectionRecord
from signing import cms, pki
from signing.canonical import payload_hash
from signing.errors import CertificateRejected, SignatureInvalid, SigningError
from signing.models import Signature
from signing.payloads import payload_for_signature
from signing.selectors import TrustMaterial, trust_material
from verification.models import ReconciliationCase
from verification.workflow import CaseStatus


@dataclass
class Check:
    name: str        # chain | signature | payload
    ok: bool
    message: str


@dataclass
class SignatureReport:
    """The outcome of checking one stored signature; ``ok`` when every check passed."""

    signature_id: int
    record_id: int
    status: str
    signed_by: str
    signing_time: dt.datetime
    certificate: str
    checks: list[Check]
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        data["signing_time"] = self.signing_time.isoformat()
        return data


def signatures_verify(signatures: Iterable[Signature], *, material: TrustMaterial | None = None
                      ) -> Iterator[SignatureReport]:
    """Check each signature: chain to a trusted root valid at signing time and not revoked,
    the signature over the stored hash, and the payload rebuilt from the database now."""
    material = material or trust_material()
    chain_cache: dict[tuple[int, dt.datetime], Check] = {}
    certs: dict[int, x509.Certificate] = {}
    for signature in signatures:
        cert = certs.setdefault(signature.certificate_id, signature.certificate.certificate)
        key = (signature.certificate_id, signature.signing_time)
        if key not in chain_cache:
            try:
                result = pki.verify_chain(cert, material.intermediates, material.roots,
                                          at=signature.signing_time, crls=material.crls,
                                          require_revocation_info=settings.SIGNING_REQUIRE_REVOCATION_INFO)
                note = "" if result.revocation_checked else " " + _("No revocation list was available.")
                chain_cache[key] = Check("chain", True, _("Chains to the trusted root %(root)s; valid at "
                                                          "signing time.") % {
                    "root": result.root.subject.rfc4514_string()} + note)
            except CertificateRejected as exc:
                chain_cache[key] = Check("chain", False, str(exc))
        checks = [chain_cache[key]]
        try:
            cms.verify_payload_signature(certificate=cert, algorithm=signature.algorithm,
                                         payload_hash=signature.payload_hash,
                                         signing_time=signature.signing_time,
                                         signature=bytes(signature.signature))
            checks.append(Check("signature", True, _("The signature matches the certificate.")))
        except SignatureInvalid as exc:
            checks.append(Check("signature", False, str(exc)))
        try:
            current = payload_hash(payload_for_signature(signature))
            same = current == signature.payload_hash
            checks.append(Check("payload", same, _("The record is unchanged since it was signed.") if same
                                else _("The record in the database differs from what was signed.")))
        except SigningError as exc:
            checks.append(Check("payload", False, str(exc)))
        yield SignatureReport(
            signature_id=signature.pk, record_id=signature.record_id, status=signature.status,
            signed_by=signature.signed_by.get_username(), signing_time=signature.signing_time,
            certificate=signature.certificate.subject, checks=checks,
            warnings=[_("The revocation list of %(ca)s is out of date.") % {"ca": ca}
                      for ca in material.stale_crls])


def signature_verify(signature: Signature) -> SignatureReport:
    return next(signatures_verify([signature]))


def signature_export_cms(signature: Signature) -> bytes:
    """Return the detached CMS (DER) of a stored signature, with the intermediates."""
    material = trust_material()
    return cms.export_detached_cms(certificate=signature.certificate.certificate,
                                   algorithm=signature.algorithm, payload_hash=signature.payload_hash,
                                   signing_time=signature.signing_time,
                                   signature=bytes(signature.signature), chain=material.intermediates)


@dataclass(frozen=True)
class StateMismatch:
    """A record or case whose "signed" status and signatures disagree."""

    kind: str        # record | case
    object_id: int
    message: str


def signed_state_mismatches() -> Iterator[StateMismatch]:
    """The other direction of ``signatures_verify``: every record marked signed has a valid
    signature and every record with a valid signature is marked signed; every case marked
    signed was signed (a signature made in it) and holds no dose still unsigned. (A signed
    case whose dose was corrected since holds the superseded version and awaits the new
    version's signature: that is not a mismatch.)"""
    R = InjectionRecord.Status  # noqa: N806
    valid = Signature.objects.filter(status=Signature.Status.VALID)
    unsigned_signed = (InjectionRecord.objects.filter(status=R.SIGNED)
                       .exclude(pk__in=valid.values("record_id")).order_by("pk").values_list("pk", flat=True))
    for pk in unsigned_signed.iterator(chunk_size=2000):
        yield StateMismatch("record", pk, _("Record %(id)s is marked signed but has no valid signature.")
                            % {"id": pk})
    not_marked = (InjectionRecord.objects.filter(pk__in=valid.values("record_id")).exclude(status=R.SIGNED)
                  .order_by("pk").values_list("pk", "status"))
    for pk, status in not_marked.iterator(chunk_size=2000):
        yield StateMismatch("record", pk, _("Record %(id)s has a valid signature but is marked “%(status)s”.")
                            % {"id": pk, "status": R(status).label})
    signed_cases = ReconciliationCase.objects.filter(status=CaseStatus.SIGNED)
    made_in = Signature.objects.filter(case__isnull=False).values("case_id")
    never_signed = signed_cases.exclude(pk__in=made_in).order_by("pk").values_list("pk", flat=True)
    for pk in never_signed.iterator(chunk_size=2000):
        yield StateMismatch("case", pk, _("Case %(id)s is marked signed but no signature was made in it.")
                            % {"id": pk})
    open_doses = (ReconciliationCase.injections.through.objects
                  .filter(reconciliationcase__in=signed_cases.values("pk"))
                  .exclude(injectionrecord__status__in=(R.SIGNED, R.SUPERSEDED))
                  .order_by("reconciliationcase_id", "injectionrecord_id")
                  .values_list("reconciliationcase_id", "injectionrecord_id", "injectionrecord__status"))
    for case_id, record_id, status in open_doses.iterator(chunk_size=2000):
        yield StateMismatch("case", case_id, _("Case %(case)s is marked signed but its record %(record)s is "
                                               "“%(status)s”.") % {"case": case_id, "record": record_id,
                                                                   "status": R(status).label})
