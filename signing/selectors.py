"""Reading signatures, certificates and the records waiting for them, within a scope."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from records.models import InjectionRecord
from signing.models import AuthorityCertificate, RevocationList, Signature, SignerCertificate, SigningBatch
from vaxrecon.access import Scope
from vaxrecon.errors import NotFoundInScope
from verification.models import ReconciliationCase
from verification.selectors import case_scope_q, cases_in_scope
from verification.workflow import CaseStatus, reachable_states

UNSIGNED = (InjectionRecord.Status.RECORDED, InjectionRecord.Status.VERIFIED)
CAN_HOLD_SIGNATURES = reachable_states(CaseStatus.AWAITING_SIGNATURE)


def records_awaiting_signature(*, scope: Scope) -> QuerySet[InjectionRecord]:
    """Current, unsigned injection records in the scope that are ready to sign.

    Two ways in: a record of a case waiting for signature, or a correction (new version)
    of a record whose earlier version was signed in a case of this scope: the identity
    check still holds, the corrected facts need a new signature.
    """
    # Two id sets joined by UNION, each found from the scope's cases by index: an OR of the
    # two LEFT JOIN paths made PostgreSQL join every record before filtering.
    in_scope = ReconciliationCase.objects.filter(case_scope_q(scope)).order_by()
    of_awaiting_cases = ReconciliationCase.injections.through.objects.filter(
        reconciliationcase__in=in_scope.filter(status=CaseStatus.AWAITING_SIGNATURE).values("pk"),
    ).values("injectionrecord_id").order_by()
    # Only a case awaiting signature is signed, and from there it can only be signed and
    # closed: the cases that can hold a signature, read from the transition table. A
    # correction of a signed version supersedes its signature in the same transaction
    # (records.services -> signing.services.signatures_supersede): the corrected versions
    # are those of the superseded signatures, not of every signature the scope ever made.
    signed_in = Signature.objects.filter(
        case__in=in_scope.filter(status__in=CAN_HOLD_SIGNATURES).values("pk"),
        status=Signature.Status.SUPERSEDED)
    corrections = (InjectionRecord.objects.filter(previous__in=signed_in.values("record_id"))
                   .values("pk").order_by())
    return (InjectionRecord.objects.filter(pk__in=of_awaiting_cases.union(corrections), status__in=UNSIGNED)
            .select_related("citizen", "vaccine", "facility")
            .order_by("injection_date", "id"))


def awaiting_signature_page(*, scope: Scope, number, per_page: int) -> Page:
    """One page of ``records_awaiting_signature`` (``page.paginator.count`` is the total),
    finding the records once: their ids in order, then the page's rows."""
    ids = list(records_awaiting_signature(scope=scope).values_list("pk", flat=True))
    page = Paginator(ids, per_page).get_page(number)
    rows = (InjectionRecord.objects.select_related("citizen", "vaccine", "facility")
            .in_bulk(list(page.object_list)))
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return page


def records_with_signatures_in_scope(*, scope: Scope) -> QuerySet[InjectionRecord]:
    """Records (any version) that carry a signature made in a case of the scope."""
    ids = Signature.objects.filter(case__in=cases_in_scope(scope=scope).values("pk")).values("record_id")
    return InjectionRecord.objects.filter(pk__in=ids)


def signatures_in_scope(*, scope: Scope) -> QuerySet[Signature]:
    return Signature.objects.filter(case__in=cases_in_scope(scope=scope).values("pk")).select_related(
        "certificate", "record", "signed_by")


SIGNED_PAGE = 50


def signed_page(*, scope: Scope, before: int | None = None) -> tuple[list[Signature], int | None]:
    """The scope's signatures, newest first, SIGNED_PAGE at a time from below the id `before`,
    each with its record, citizen, vaccine, signer and certificate (and `words` for the
    certificate); and the id to pass as `before` for the next page (None on the last).
    Paged by id, not counted: a count of a nation's signatures would read them all."""
    qs = signatures_in_scope(scope=scope).select_related("record__citizen", "record__vaccine")
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[:SIGNED_PAGE + 1])
    more = len(rows) > SIGNED_PAGE
    rows = rows[:SIGNED_PAGE]
    for signature in rows:
        signature.words = certificate_words(signature.certificate)
    return rows, (rows[-1].pk if more else None)


def signature_in_scope(*, scope: Scope, pk) -> Signature:
    signature = signatures_in_scope(scope=scope).filter(pk=pk).first()
    if signature is None:
        raise NotFoundInScope("No such signature.")
    return signature


def record_for_check(*, scope: Scope, pk) -> InjectionRecord:
    """A record the scope may check: signed in its cases, or awaiting its signature."""
    record = (records_with_signatures_in_scope(scope=scope).filter(pk=pk).first()
              or records_awaiting_signature(scope=scope).filter(pk=pk).first())
    if record is None:
        raise NotFoundInScope("No such record.")
    return record


def _name_part(name: x509.Name, oid) -> str:
    return ", ".join(str(a.value) for a in name.get_attributes_for_oid(oid))


@dataclass(frozen=True)
class CertificateWords:
    """A certificate as a person reads it: who holds it, who issued it, its serial number and
    its validity, instead of a raw distinguished name."""

    holder: str
    organisation: str
    issuer: str
    serial: str


def certificate_words(cert) -> CertificateWords:
    """The holder's and issuer's names (common name, else the whole name), the organisation,
    and the serial number in hex groups, read from the stored certificate."""
    c = cert.certificate
    issuer = _name_part(c.issuer, NameOID.COMMON_NAME) or _name_part(c.issuer, NameOID.ORGANIZATION_NAME)
    serial = cert.serial.upper()
    return CertificateWords(
        holder=_name_part(c.subject, NameOID.COMMON_NAME) or cert.subject,
        organisation=_name_part(c.subject, NameOID.ORGANIZATION_NAME),
        issuer=issuer or cert.issuer_name,
        serial=" ".join(serial[i:i + 4] for i in range(0, len(serial), 4)))


def certificates_of(*, user, usable_only: bool = False) -> QuerySet[SignerCertificate]:
    qs = SignerCertificate.objects.filter(user=user, active=True)
    if usable_only:
        qs = qs.filter(not_after__gt=timezone.now(), not_before__lte=timezone.now())
    return qs


def batches_of(*, user) -> QuerySet:
    return SigningBatch.objects.filter(signed_by=user).select_related("certificate")


@dataclass(frozen=True)
class TrustMaterial:
    """What a chain check needs: trusted roots, known intermediates, current CRLs."""

    roots: list[x509.Certificate]
    intermediates: list[x509.Certificate]
    crls: list[x509.CertificateRevocationList]
    stale_crls: list[str]


def trust_material() -> TrustMaterial:
    """The trust store as it is now (load once per batch or per verification run)."""
    authorities = list(AuthorityCertificate.objects.all())
    crls = list(RevocationList.objects.select_related("issuer"))
    return TrustMaterial(
        roots=[a.certificate for a in authorities if a.kind == AuthorityCertificate.Kind.ROOT and a.trusted],
        intermediates=[a.certificate for a in authorities
                       if a.kind == AuthorityCertificate.Kind.INTERMEDIATE],
        crls=[c.crl for c in crls],
        stale_crls=[str(c.issuer) for c in crls if c.is_stale],
    )
