"""Issuing and revoking vaccination certificates (the writes of this room).

* ``certificate_issue(citizen=, actor=)`` - one citizen's certificate from their signed, current
  record versions (all of them); the same records give the same certificate back.
* ``certificates_issue_all(actor=)`` - every citizen whose doses are all signed and who has no
  current certificate for exactly those doses (chunks, one key opening for the run).
* ``issue_run_start(actor=, province=)`` / ``issue_run_execute(run_id=)`` - the bulk issue of a
  province asked for from the issuer's page: a stored run, executed by a Celery worker, its counts
  saved after each chunk for the page's progress bar.
* ``certificates_revoke_for_record(record=, actor=)`` - the reaction to a correction of a signed
  record: the certificates built on it are revoked in the correction's transaction; the next
  issue (the citizen's doses signed again) makes a new certificate with a new UVCI, and the
  citizen is told by SMS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import valuesets
from certificates.issuer import Issuer, Sealed, current_signer
from certificates.models import CertificateRecord, IssueRun, VaccinationCertificate
from certificates.payload import dcc_payload
from certificates.uvci import new_uvci
from records.audit import record_event
from records.models import AuditEvent, Citizen, InjectionRecord, VaccineProduct
from records.rows import insert_columns
from signing.models import Signature
from vaxrecon.errors import DomainError, InvalidInput, ServiceUnavailable
from vaxrecon.middleware import current_request_id
from verification.services.outbox import outbox_enqueue
from verification.sms import send_sms

logger = logging.getLogger(__name__)
CHUNK = 2000
RUN_TASK = "certificates.tasks.run_issue"  # by name: the tasks module imports this one
Status = VaccinationCertificate.Status


def records_key(records: Iterable) -> str:
    """SHA-256 of the sorted record version ids: what makes two issues "the same records"."""
    return hashlib.sha256(",".join(str(pk) for pk in sorted(r.pk for r in records)).encode()).hexdigest()


@dataclass
class Outcome:
    """What one issue did for a citizen: the certificate and whether it is new."""

    certificate: VaccinationCertificate
    created: bool


# A chunk reads rows, not model instances: a bulk issue of 2,000 citizens would otherwise build
# about 10,000 instances (citizens, records, vaccines, certificates, audit events) only to read a
# few attributes of each, and Django's per-field preparation of every bulk_create value was a third
# of the issue's Python time (docs/BENCHMARKS.md, vaccination certificates).
@dataclass(slots=True)
class Holder:
    """What a certificate needs of a citizen (``certificates.payload`` reads these attributes)."""

    pk: int
    full_name: str
    date_of_birth: dt.date | None
    dob_precision: str
    birth_year: int
    phone: str


@dataclass(slots=True)
class Dose:
    """A current record version of a citizen; ``signed``: signed, with a valid signature."""

    pk: int
    vaccine: VaccineProduct
    dose_number: int
    injection_date: dt.date
    signed: bool


@dataclass(slots=True)
class Prior:
    """A citizen's latest certificate (valid first): what a new one replaces."""

    pk: int
    status: str
    records_key: str
    expires_at: dt.datetime
    uvci: str


@dataclass(slots=True)
class Issued:
    """A new certificate of the chunk, before its row is written."""

    holder: Holder
    doses: list[Dose]
    key: str
    uvci: str
    sealed: Sealed
    prior: Prior | None


def _lock_holders(citizen_ids: Sequence[int]) -> list[Holder]:
    """The citizens, locked (in id order, as every issuer locks them) and read as rows."""
    rows = (Citizen.objects.select_for_update().filter(pk__in=citizen_ids).order_by("pk")
            .values_list("pk", "full_name", "date_of_birth", "dob_precision", "birth_year", "phone"))
    return [Holder(*row) for row in rows]


def _signed_doses(citizen_ids: Sequence[int]) -> tuple[dict[int, list[Dose]], dict[int, str]]:
    """(citizen id -> current records, all signed with a valid signature; citizen id -> why not)."""
    valid = Signature.objects.filter(record_id=OuterRef("pk"), status=Signature.Status.VALID)
    rows = list(InjectionRecord.objects.filter(citizen_id__in=citizen_ids)
                .exclude(status=InjectionRecord.Status.SUPERSEDED).annotate(valid_signature=Exists(valid))
                .values_list("pk", "citizen_id", "vaccine_id", "dose_number", "injection_date", "status",
                             "valid_signature"))
    vaccines = VaccineProduct.objects.in_bulk({row[2] for row in rows})
    by_citizen: dict[int, list[Dose]] = defaultdict(list)
    signed = InjectionRecord.Status.SIGNED
    for pk, citizen_id, vaccine_id, number, day, status, valid_signature in rows:
        by_citizen[citizen_id].append(
            Dose(pk, vaccines[vaccine_id], number, day, status == signed and valid_signature))
    refused: dict[int, str] = {}
    for citizen_id in citizen_ids:
        doses = by_citizen.get(citizen_id, [])
        unsigned = sum(1 for dose in doses if not dose.signed)
        if not doses:
            refused[citizen_id] = _("This citizen has no recorded doses.")
        elif unsigned:
            refused[citizen_id] = _(
                "%(count)d of this citizen's doses are not signed yet: a certificate is issued only when "
                "every current dose is signed.") % {"count": unsigned}
    return {c: ds for c, ds in by_citizen.items() if c not in refused}, refused


def _previous(citizen_ids: Sequence[int]) -> dict[int, Prior]:
    """The latest certificate of each citizen (valid first): what a new one replaces."""
    latest: dict[int, Prior] = {}
    for citizen_id, *fields in (VaccinationCertificate.objects.filter(citizen_id__in=citizen_ids)
                                .order_by("citizen_id", "-issued_at", "-id")
                                .values_list("citizen_id", "pk", "status", "records_key", "expires_at",
                                             "uvci")):
        kept = latest.get(citizen_id)
        if kept is None or (fields[1] == Status.VALID and kept.status != Status.VALID):
            latest[citizen_id] = Prior(*fields)
    return latest


def _seal(issuer: Issuer, holder: Holder, doses: list[Dose], *, now, checked: set[int]) -> tuple[str, Sealed]:
    """(UVCI, sealed HCERT) of ``holder``'s doses; a vaccine's EU codes are checked once a chunk."""
    for dose in doses:
        if dose.vaccine.pk not in checked:
            valuesets.check_product(dose.vaccine)
            checked.add(dose.vaccine.pk)
    uvci = new_uvci(settings.CERTIFICATES_UVCI_ISSUER)
    payload = dcc_payload(citizen=holder, records=doses, uvci=uvci,
                          issuer_name=settings.CERTIFICATES_ISSUER_NAME)
    return uvci, issuer.seal(payload, uvci=uvci, issued_at=now)


@dataclass
class ChunkResult:
    """A chunk's outcome: citizen id -> (certificate id, created) of those who have one."""

    certificates: dict[int, tuple[int, bool]]
    issued: int = 0
    unchanged: int = 0
    problems: set[str] = field(default_factory=set)  # the catalogue's, which staff must correct


def _issue_chunk(issuer: Issuer, citizen_ids: Sequence[int], *, actor,
                 refuse: Callable[[int, str], None]) -> ChunkResult:
    """Issue for ``citizen_ids`` set-wise (locked here; the caller holds the transaction);
    ``refuse`` hears who could not have one and why."""
    holders = _lock_holders(citizen_ids)
    ids = [h.pk for h in holders]
    doses, refused = _signed_doses(ids)
    previous = _previous(ids)
    now, checked = timezone.now(), set()
    result, new = ChunkResult({}), []
    for holder in holders:
        if holder.pk in refused:
            refuse(holder.pk, refused[holder.pk])
            continue
        records, prior = doses[holder.pk], previous.get(holder.pk)
        key = records_key(records)
        if prior and prior.status == Status.VALID and prior.records_key == key and prior.expires_at > now:
            result.certificates[holder.pk] = (prior.pk, False)
            result.unchanged += 1
            continue
        try:
            uvci, sealed = _seal(issuer, holder, records, now=now, checked=checked)
        except InvalidInput as exc:  # a vaccine without EU codes: this citizen waits, the others go on
            result.problems.add(exc.message)
            refuse(holder.pk, exc.message)
            continue
        new.append(Issued(holder, records, key, uvci, sealed, prior))
    for issued, pk in zip(new, _write(issuer, new, actor=actor, now=now), strict=True):
        result.certificates[issued.holder.pk] = (pk, True)
    result.issued = len(new)
    return result


def _audit(actor, action: str, certificate: VaccinationCertificate, after: dict) -> AuditEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(actor=user, actor_label=user.get_username() if user else "system", action=action,
                      object_type=VaccinationCertificate._meta.label_lower, object_id=str(certificate.pk),
                      after=after, request_id=current_request_id())


def _insert(model, columns: dict[str, list], *, returning: bool = True) -> list[int]:
    """One INSERT of the rows given column by column (records.rows); elsewhere than on PostgreSQL
    bulk_create. Returns the new ids in the rows' order when ``returning``."""
    if connection.vendor == "postgresql":
        return insert_columns(model, columns, returning=returning)
    count = len(next(iter(columns.values())))
    objs = model.objects.bulk_create([model(**{name: values[i] for name, values in columns.items()})
                                      for i in range(count)])
    return [obj.pk for obj in objs]


def _write(issuer: Issuer, new: list[Issued], *, actor, now) -> list[int]:
    """Write the chunk's new certificates, their record links and one ``certificate.issue`` audit
    event each (one INSERT per table); the valid ones they replace become replaced first (one valid
    certificate per citizen). Returns the new certificates' ids in ``new``'s order."""
    if not new:
        return []
    replaced = [i.prior.pk for i in new if i.prior and i.prior.status == Status.VALID]
    if replaced:
        VaccinationCertificate.objects.filter(pk__in=replaced).update(status=Status.REPLACED)
    n = len(new)
    ids = _insert(VaccinationCertificate, {
        "citizen_id": [i.holder.pk for i in new], "uvci": [i.uvci for i in new],
        "signer_id": [issuer.dsc.pk] * n, "records_key": [i.key for i in new],
        "hc1": [i.sealed.hc1 for i in new], "issued_at": [i.sealed.issued_at for i in new],
        "expires_at": [i.sealed.expires_at for i in new], "status": [Status.VALID.value] * n,
        **{name: [i.sealed.hashes[name] for i in new]
           for name in ("uvci_hash", "country_uvci_hash", "signature_hash")},
        "replaces_id": [i.prior.pk if i.prior else None for i in new], "created_at": [now] * n})
    links = [(pk, dose.pk) for pk, i in zip(ids, new, strict=True) for dose in i.doses]
    _insert(CertificateRecord, {"certificate_id": [c for c, _r in links],
                                "record_id": [r for _c, r in links]}, returning=False)
    user = actor if getattr(actor, "is_authenticated", False) else None
    _insert(AuditEvent, {
        "actor_id": [user.pk if user else None] * n,
        "actor_label": [user.get_username() if user else "system"] * n, "action": ["certificate.issue"] * n,
        "object_type": [VaccinationCertificate._meta.label_lower] * n, "object_id": [str(pk) for pk in ids],
        "before": [None] * n, "after": [{
            "uvci": i.uvci, "citizen_id": i.holder.pk, "records": sorted(d.pk for d in i.doses),
            "kid": issuer.dsc.kid, "expires_at": i.sealed.expires_at.isoformat(),
            "replaces": i.prior.uvci if i.prior else None} for i in new],
        "at": [now] * n, "request_id": [current_request_id()] * n}, returning=False)
    reissued = [(i.holder.phone, i.uvci, pk) for i, pk in zip(new, ids, strict=True)
                if i.prior and i.prior.status == Status.REVOKED]
    if reissued:
        transaction.on_commit(lambda: _tell_citizens(reissued))
    return ids


def _tell_citizens(reissued: list[tuple[str, str, int]]) -> None:
    """SMS to (phone, new UVCI, certificate id): a correction replaced the certificate (a failing
    provider does not undo the issue)."""
    for phone, uvci, pk in reissued:
        if not phone:
            continue
        try:
            send_sms(phone, _(
                "VaxRecon: your vaccination record was corrected; your EU vaccination certificate was "
                "reissued (new code %(uvci)s). The old QR code is no longer valid.") % {"uvci": uvci})
        except ServiceUnavailable:
            logger.warning("certificate SMS not sent for certificate %s", pk)


def _raise(_citizen_id: int, message: str) -> None:
    raise InvalidInput(message)


@transaction.atomic
def certificate_issue(*, citizen: Citizen, actor=None, issuer: Issuer | None = None) -> Outcome:
    """The citizen's current certificate: the one already issued for these records, or a new one.

    Raises ``InvalidInput`` when a current dose is not signed (or has none), or a vaccine has no
    valid EU code; ``ServiceUnavailable`` when no DSC is valid now. Writes nothing then.
    """
    if issuer is not None:
        result = _issue_chunk(issuer, [citizen.pk], actor=actor, refuse=_raise)
    else:
        with Issuer() as opened:
            result = _issue_chunk(opened, [citizen.pk], actor=actor, refuse=_raise)
    if citizen.pk not in result.certificates:
        raise Citizen.DoesNotExist(f"citizen {citizen.pk}")
    pk, created = result.certificates[citizen.pk]
    return Outcome(VaccinationCertificate.objects.select_related("signer").get(pk=pk), created)


def _candidates(province_id: int | None) -> Iterable[int]:
    """Citizens (living in the province, when one is given) with a signed current dose (the chunk
    decides whether all are signed)."""
    signed = InjectionRecord.objects.filter(status=InjectionRecord.Status.SIGNED)
    if province_id is not None:
        signed = signed.filter(citizen__ward__province_id=province_id)
    return signed.values_list("citizen_id", flat=True).distinct().order_by("citizen_id").iterator()


@dataclass
class BulkResult:
    issued: int = 0
    unchanged: int = 0
    refused: int = 0
    total: int = 0  # the citizens looked at (with a signed dose)
    problems: set[str] = field(default_factory=set)  # why some were refused that staff must correct


def certificates_issue_all(*, actor=None, province_id: int | None = None,
                           on_progress: Callable[[BulkResult], None] | None = None) -> BulkResult:
    """Issue for every citizen (of ``province_id``, else the nation) whose current doses are all
    signed; one transaction per chunk, ``on_progress`` told after each."""
    result = BulkResult()

    def refuse(_citizen_id, _why):
        result.refused += 1

    ids = list(_candidates(province_id))
    result.total = len(ids)
    with Issuer() as issuer:
        for start in range(0, len(ids), CHUNK):
            with transaction.atomic():
                chunk = _issue_chunk(issuer, ids[start:start + CHUNK], actor=actor, refuse=refuse)
            result.issued += chunk.issued
            result.unchanged += chunk.unchanged
            result.problems |= chunk.problems
            if on_progress:
                on_progress(result)
    return result


def certificates_revoke_for_record(*, record: InjectionRecord, actor=None) -> int:
    """Revoke every certificate built on ``record`` (being corrected); returns how many."""
    ids = list(CertificateRecord.objects.filter(record=record).values_list("certificate_id", flat=True))
    certs = list(VaccinationCertificate.objects.select_for_update()
                 .filter(pk__in=ids).exclude(status=Status.REVOKED))
    if not certs:
        return 0
    now = timezone.now()
    VaccinationCertificate.objects.filter(pk__in=[c.pk for c in certs]).update(
        status=Status.REVOKED, revoked_at=now)
    AuditEvent.objects.bulk_create([_audit(actor, "certificate.revoke", c, {
        "uvci": c.uvci, "before_status": c.status, "record_id": record.pk, "reason": "record corrected",
        "revoked_at": now.isoformat()}) for c in certs])
    return len(certs)


@transaction.atomic
def issue_run_start(*, actor, province) -> IssueRun:
    """Queue the bulk issue of ``province`` (a Celery worker runs it after commit); returns the
    run. Refuses (``InvalidInput``) while one is queued or running there, and
    (``ServiceUnavailable``) when no DSC is valid now, so the officer hears it at once."""
    current_signer()
    busy = IssueRun.objects.select_for_update().filter(
        province=province, status__in=[IssueRun.Status.QUEUED, IssueRun.Status.RUNNING])
    if busy.exists():
        raise InvalidInput(_("A bulk issue is already under way for this province: wait for it to finish."))
    run = IssueRun.objects.create(requested_by=actor, province=province)
    record_event(actor=actor, action="certificates.issue_run", obj=run,
                 after={"province_id": province.pk if province else None, "status": run.status})
    outbox_enqueue(RUN_TASK, run.pk)  # sent once this commits; kept while the broker is down
    return run


def issue_run_execute(*, run_id: int) -> IssueRun | None:
    """Run a queued bulk issue (claimed by one worker: a second delivery finds it taken and does
    nothing, returning None); its counts are saved after each chunk; a failure is stored on it."""
    claimed = IssueRun.objects.filter(pk=run_id, status=IssueRun.Status.QUEUED).update(
        status=IssueRun.Status.RUNNING, started_at=timezone.now())
    if claimed != 1:
        return None
    run = IssueRun.objects.select_related("requested_by").get(pk=run_id)

    def save_progress(result: BulkResult) -> None:
        IssueRun.objects.filter(pk=run_id).update(total=result.total, issued=result.issued,
                                                  unchanged=result.unchanged, refused=result.refused)

    try:
        result = certificates_issue_all(actor=run.requested_by, province_id=run.province_id,
                                        on_progress=save_progress)
    except DomainError as exc:
        IssueRun.objects.filter(pk=run_id).update(status=IssueRun.Status.FAILED, message=exc.message,
                                                  finished_at=timezone.now())
    else:
        save_progress(result)
        IssueRun.objects.filter(pk=run_id).update(status=IssueRun.Status.DONE, finished_at=timezone.now(),
                                                  message=" ".join(sorted(result.problems)))
    run.refresh_from_db()
    return run
