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

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import valuesets
from certificates.issuer import Issuer, current_signer
from certificates.models import CertificateRecord, IssueRun, VaccinationCertificate
from certificates.payload import dcc_payload
from certificates.uvci import new_uvci
from records.audit import record_event
from records.models import AuditEvent, Citizen, InjectionRecord
from signing.models import Signature
from vaxrecon.errors import DomainError, InvalidInput, ServiceUnavailable
from vaxrecon.middleware import current_request_id
from verification.services.outbox import outbox_enqueue
from verification.sms import send_sms

logger = logging.getLogger(__name__)
CHUNK = 2000
RUN_TASK = "certificates.tasks.run_issue"  # by name: the tasks module imports this one
Status = VaccinationCertificate.Status


def records_key(records: Iterable[InjectionRecord]) -> str:
    """SHA-256 of the sorted record version ids: what makes two issues "the same records"."""
    return hashlib.sha256(",".join(str(pk) for pk in sorted(r.pk for r in records)).encode()).hexdigest()


@dataclass
class Outcome:
    """What one issue did for a citizen: the certificate and whether it is new."""

    certificate: VaccinationCertificate
    created: bool


def _signed_doses(citizen_ids: Sequence[int]) -> tuple[dict[int, list[InjectionRecord]], dict[int, str]]:
    """(citizen id -> current records, all signed with a valid signature; citizen id -> why not)."""
    current = (InjectionRecord.objects.filter(citizen_id__in=citizen_ids)
               .exclude(status=InjectionRecord.Status.SUPERSEDED).select_related("vaccine"))
    by_citizen: dict[int, list[InjectionRecord]] = defaultdict(list)
    for record in current:
        by_citizen[record.citizen_id].append(record)
    signed = set(Signature.objects.filter(record__in=[r for rs in by_citizen.values() for r in rs],
                                          status=Signature.Status.VALID).values_list("record_id", flat=True))
    refused: dict[int, str] = {}
    for citizen_id in citizen_ids:
        records = by_citizen.get(citizen_id, [])
        unsigned = [r for r in records if r.status != InjectionRecord.Status.SIGNED or r.pk not in signed]
        if not records:
            refused[citizen_id] = _("This citizen has no recorded doses.")
        elif unsigned:
            refused[citizen_id] = _(
                "%(count)d of this citizen's doses are not signed yet: a certificate is issued only when "
                "every current dose is signed.") % {"count": len(unsigned)}
    return {c: rs for c, rs in by_citizen.items() if c not in refused}, refused


def _audit(actor, action: str, certificate: VaccinationCertificate, after: dict) -> AuditEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(actor=user, actor_label=user.get_username() if user else "system", action=action,
                      object_type=VaccinationCertificate._meta.label_lower, object_id=str(certificate.pk),
                      after=after, request_id=current_request_id())


def _build(issuer: Issuer, citizen: Citizen, records: list[InjectionRecord], key: str, *,
           replaces: VaccinationCertificate | None, now) -> VaccinationCertificate:
    for vaccine in {record.vaccine_id: record.vaccine for record in records}.values():
        valuesets.check_product(vaccine)
    uvci = new_uvci(settings.CERTIFICATES_UVCI_ISSUER)
    payload = dcc_payload(citizen=citizen, records=records, uvci=uvci,
                          issuer_name=settings.CERTIFICATES_ISSUER_NAME)
    sealed = issuer.seal(payload, uvci=uvci, issued_at=now)
    return VaccinationCertificate(citizen=citizen, uvci=uvci, signer=issuer.dsc, records_key=key,
                                  hc1=sealed.hc1, issued_at=sealed.issued_at, expires_at=sealed.expires_at,
                                  replaces=replaces, **sealed.hashes)


def _previous(citizen_ids: Sequence[int]) -> dict[int, VaccinationCertificate]:
    """The latest certificate of each citizen (valid first): what a new one replaces."""
    latest: dict[int, VaccinationCertificate] = {}
    for cert in (VaccinationCertificate.objects.filter(citizen_id__in=citizen_ids)
                 .order_by("citizen_id", "-issued_at", "-id")):
        kept = latest.get(cert.citizen_id)
        if kept is None or (cert.status == Status.VALID and kept.status != Status.VALID):
            latest[cert.citizen_id] = cert
    return latest


def _issue_chunk(issuer: Issuer, citizens: Sequence[Citizen], *, actor,
                 refuse: Callable[[Citizen, str], None]) -> list[Outcome]:
    """Issue for ``citizens`` set-wise (one transaction); ``refuse`` hears who could not have one."""
    ids = [c.pk for c in citizens]
    doses, refused = _signed_doses(ids)
    previous = _previous(ids)
    now = timezone.now()
    outcomes, new, replaced = [], [], []
    for citizen in citizens:
        if citizen.pk in refused:
            refuse(citizen, refused[citizen.pk])
            continue
        records, prior = doses[citizen.pk], previous.get(citizen.pk)
        key = records_key(records)
        if prior and prior.status == Status.VALID and prior.records_key == key and prior.expires_at > now:
            outcomes.append(Outcome(prior, created=False))
            continue
        cert = _build(issuer, citizen, records, key, replaces=prior, now=now)
        cert.records_for_link = records
        new.append(cert)
        outcomes.append(Outcome(cert, created=True))
        if prior and prior.status == Status.VALID:
            replaced.append(prior.pk)
    _write(new, replaced, actor=actor)
    return outcomes


def _write(new: list[VaccinationCertificate], replaced: list[int], *, actor) -> None:
    if not new:
        return
    VaccinationCertificate.objects.filter(pk__in=replaced).update(status=Status.REPLACED)
    VaccinationCertificate.objects.bulk_create(new, batch_size=CHUNK)
    CertificateRecord.objects.bulk_create(
        [CertificateRecord(certificate_id=c.pk, record_id=r.pk) for c in new for r in c.records_for_link],
        batch_size=CHUNK)
    AuditEvent.objects.bulk_create([_audit(actor, "certificate.issue", c, {
        "uvci": c.uvci, "citizen_id": c.citizen_id, "records": sorted(r.pk for r in c.records_for_link),
        "kid": c.signer.kid, "expires_at": c.expires_at.isoformat(),
        "replaces": c.replaces.uvci if c.replaces else None}) for c in new], batch_size=CHUNK)
    reissued = [c for c in new if c.replaces and c.replaces.status == Status.REVOKED]
    if reissued:
        transaction.on_commit(lambda: _tell_citizens(reissued))


def _tell_citizens(certificates: list[VaccinationCertificate]) -> None:
    """SMS: a correction replaced the certificate (a failing provider does not undo the issue)."""
    for cert in certificates:
        if not cert.citizen.phone:
            continue
        try:
            send_sms(cert.citizen.phone, _(
                "VaxRecon: your vaccination record was corrected; your EU vaccination certificate was "
                "reissued (new code %(uvci)s). The old QR code is no longer valid.") % {"uvci": cert.uvci})
        except ServiceUnavailable:
            logger.warning("certificate SMS not sent for certificate %s", cert.pk)


def _raise(citizen: Citizen, message: str) -> None:
    raise InvalidInput(message)


@transaction.atomic
def certificate_issue(*, citizen: Citizen, actor=None, issuer: Issuer | None = None) -> Outcome:
    """The citizen's current certificate: the one already issued for these records, or a new one.

    Raises ``InvalidInput`` when a current dose is not signed (or has none), or a vaccine has no
    valid EU code; ``ServiceUnavailable`` when no DSC is valid now. Writes nothing then.
    """
    citizen = Citizen.objects.select_for_update().get(pk=citizen.pk)
    if issuer is not None:
        return _issue_chunk(issuer, [citizen], actor=actor, refuse=_raise)[0]
    with Issuer() as opened:
        return _issue_chunk(opened, [citizen], actor=actor, refuse=_raise)[0]


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


def certificates_issue_all(*, actor=None, province_id: int | None = None,
                           on_progress: Callable[[BulkResult], None] | None = None) -> BulkResult:
    """Issue for every citizen (of ``province_id``, else the nation) whose current doses are all
    signed; one transaction per chunk, ``on_progress`` told after each."""
    result = BulkResult()

    def refuse(_citizen, _why):
        result.refused += 1

    ids = list(_candidates(province_id))
    result.total = len(ids)
    with Issuer() as issuer:
        for start in range(0, len(ids), CHUNK):
            with transaction.atomic():
                citizens = list(Citizen.objects.select_for_update().filter(pk__in=ids[start:start + CHUNK])
                                .order_by("pk"))
                for outcome in _issue_chunk(issuer, citizens, actor=actor, refuse=refuse):
                    if outcome.created:
                        result.issued += 1
                    else:
                        result.unchanged += 1
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
        IssueRun.objects.filter(pk=run_id).update(status=IssueRun.Status.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    return run
