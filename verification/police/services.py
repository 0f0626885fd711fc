"""Police identity verification: registry batches, officers' claims and outcomes.

Every state change goes through verification.services.transitions (the case locked once with
``case_lock``, then ``case_transition_locked`` for each transition); each outcome also
leaves a PoliceVerification row (who answered: the registry or an officer, and with which
values). Registry answers are applied one case per transaction and idempotently: a case
that has moved on, is being worked by an officer, changed since it was sent, or already has
an answer this round is skipped, so a batch re-run or a retry never applies anything twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from records import normalize
from records.audit import record_event
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidInput, InvalidTransition, NotFoundInScope
from verification import workflow
from verification.models import PoliceVerification, ReconciliationCase
from verification.police import selectors
from verification.police.client import RegistryAnswer, RegistryClient
from verification.selectors import case_scope_q
from verification.services.transitions import case_lock, case_transition_locked
from verification.timeline import line

log = logging.getLogger(__name__)

S = workflow.CaseStatus
FIELDS = ("full_name", "date_of_birth", "sex", "id_number")
V = PoliceVerification


def claimed_identity(case: ReconciliationCase) -> dict:
    """The four fields as the case claims them, in the registry's wire form."""
    return {
        "full_name": case.full_name,
        "date_of_birth": case.date_of_birth.isoformat() if case.date_of_birth else None,
        "birth_year": case.birth_year,
        "sex": case.sex,
        "id_number": case.id_number,
    }


# --- The registry batch ------------------------------------------------------------------

@dataclass
class BatchSummary:
    sent: int = 0
    batches: int = 0
    results: dict[str, int] = field(default_factory=dict)  # verified / for_officer / skipped / unanswered

    def count(self, key: str) -> None:
        self.results[key] = self.results.get(key, 0) + 1


def registry_verify_pending(*, client: RegistryClient | None = None, case_ids: list[int] | None = None,
                            batch_size: int | None = None, max_batches: int | None = None) -> BatchSummary:
    """Send the cases awaiting police (all of them, or `case_ids`) to the population registry
    in batches and apply each answer. Returns what happened. Raises RegistryUnavailable when
    the registry cannot be reached; batches applied before that stay applied, the rest stay
    queued for the next run. Each batch is claimed before it is sent (`_claimed`): two runs at
    once (the beat task and the command, two workers) share the queue, never both send a case."""
    client = client or RegistryClient.from_settings()
    batch_size = min(batch_size or settings.POPULATION_REGISTRY_BATCH_SIZE, 500)
    summary, after = BatchSummary(), 0
    while max_batches is None or summary.batches < max_batches:
        cases = selectors.pending_for_registry(after_pk=after, limit=batch_size, case_ids=case_ids)
        if not cases:
            break
        after = cases[-1].pk
        with _claimed(cases) as mine:
            if mine:
                _send_batch(client, mine, summary)
    log.info("population registry batch: %s", summary)
    return summary


_CLAIM_SPACE = 0x5652 << 40  # advisory lock keys of registry claims: this prefix + the case id


@contextmanager
def _claimed(cases: list[ReconciliationCase]) -> Iterator[list[ReconciliationCase]]:
    """The cases of `cases` this run may send, still pending once claimed. On PostgreSQL each is
    claimed with a session advisory lock, released after its answers are applied (or by the
    database when the run dies): no transaction stays open while the registry answers, and an
    officer's work on the case is not held up. Elsewhere (SQLite: one writer) all of them."""
    if connection.vendor != "postgresql":
        yield cases
        return
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_try_advisory_lock(%s + id)",
                    [[c.pk for c in cases], _CLAIM_SPACE])
        claimed = [pk for (pk,) in cur.fetchall()]
    try:
        # Another run may have applied some between our read and our claim.
        yield selectors.pending_for_registry(limit=len(claimed), case_ids=claimed) if claimed else []
    finally:
        if claimed:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s + id) FROM unnest(%s::bigint[]) AS id",
                            [_CLAIM_SPACE, claimed])


def _send_batch(client: RegistryClient, cases: list[ReconciliationCase], summary: BatchSummary) -> None:
    sent = {str(c.pk): claimed_identity(c) for c in cases}
    answer = client.verify([{"ref": ref, **identity} for ref, identity in sent.items()])
    summary.batches += 1
    summary.sent += len(cases)
    batch_id = answer.batch_id or uuid.uuid4().hex
    for ref, identity in sent.items():
        result = answer.answers.get(ref)
        if result is None:
            summary.count("unanswered")
            continue
        summary.count(registry_answer_apply(case_id=int(ref), answer=result, sent=identity,
                                            batch_id=batch_id))


def registry_ask_now(*, officer, case_id: int) -> str:
    """Send one case of the officer's ward to the registry now instead of waiting for the
    periodic batch. Returns "answered" (the answer is stored, and applied as the batch would),
    "answered_before" (the registry had already answered this round) or "unanswered" (the
    registry sent no answer for it). Raises NotFoundInScope outside the ward,
    InvalidTransition when the case no longer awaits police, RegistryUnavailable when the
    registry cannot be reached (the case stays in the batch)."""
    case = selectors.case_for_police(scope=scope_for(officer), pk=case_id)
    if case.status != S.AWAITING_POLICE:
        raise InvalidTransition(_("This case is no longer awaiting police verification."))
    if selectors.registry_answer(case=case) is not None:
        return "answered_before"
    summary = registry_verify_pending(case_ids=[case.pk], max_batches=1)
    if summary.results.get("unanswered"):
        return "unanswered"
    return "answered" if selectors.registry_answer(case=case) is not None else "unanswered"


def registry_answer_apply(*, case_id: int, answer: RegistryAnswer, sent: dict, batch_id: str) -> str:
    """Store one registry answer and act on it, in one transaction. Returns "verified" (an
    exact match moved on to signature), "for_officer" (stored for the commune police), or
    "skipped" (the case moved, changed, is claimed, or was already answered this round)."""
    with transaction.atomic():
        try:
            case = case_lock(case=case_id, actor=workflow.SYSTEM)
        except NotFoundInScope:
            return "skipped"
        if case.status != S.AWAITING_POLICE:
            return "skipped"
        if claimed_identity(case) != sent or selectors.registry_answer(case=case) is not None:
            return "skipped"
        now = timezone.now()
        claimed = case.claimed_by_id is not None and case.claim_expires_at and case.claim_expires_at > now
        verification = PoliceVerification.objects.create(
            case=case, source=V.Source.REGISTRY, outcome=answer.outcome,
            registry_values=answer.registry_values, differing_fields=answer.differing_fields,
            batch_id=batch_id[:40],
        )
        if answer.outcome != V.Outcome.MATCH or claimed or not settings.POPULATION_REGISTRY_AUTO_VERIFY:
            return "for_officer"
        data = {"verification": verification.reference, "source": V.Source.REGISTRY, "batch_id": batch_id}
        case_transition_locked(case=case, name="verify_identity", actor=workflow.SYSTEM,
                               data={**data, **line("verified_by_registry")})
        case_transition_locked(case=case, name="queue_for_signature", actor=workflow.SYSTEM, data=data)
        return "verified"


# --- Claims ("next case") ----------------------------------------------------------------

def case_claim_next(*, officer) -> ReconciliationCase | None:
    """Claim the next case of the officer's ward for CLAIM_MINUTES and return it; the case
    the officer already holds, if any; None when the queue is empty.

    SELECT ... FOR UPDATE SKIP LOCKED: concurrent officers pass over each other's rows
    instead of waiting, and the conditional UPDATE makes a claim stick only if the case is
    still free (which also keeps databases without row locks correct)."""
    scope = scope_for(officer)
    now = timezone.now()
    mine = (ReconciliationCase.objects.filter(case_scope_q(scope), status=S.AWAITING_POLICE,
                                              claimed_by=officer, claim_expires_at__gt=now)
            .order_by("claim_expires_at").first())
    if mine is not None:
        return mine
    tried: list[int] = []
    with transaction.atomic():
        for _attempt in range(5):
            # One row at a time: locking more would hide them from other officers until we commit.
            pk = (selectors.police_queue(scope=scope).filter(selectors.free_for(None, now))
                  .exclude(pk__in=tried).prefetch_related(None)
                  .select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True).first())
            if pk is None:
                return None
            tried.append(pk)
            until = now + timedelta(minutes=selectors.CLAIM_MINUTES)
            taken = ReconciliationCase.objects.filter(pk=pk, status=S.AWAITING_POLICE).filter(
                selectors.free_for(None, now)).update(claimed_by=officer, claim_expires_at=until)
            if taken:
                case = ReconciliationCase.objects.get(pk=pk)
                record_event(actor=officer, action="case.claim", obj=case,
                             after={"claimed_by": officer.pk, "claim_expires_at": until.isoformat()})
                return case
    return None


def case_release(*, officer, case_id: int) -> None:
    """Give back the officer's claim on a case (nothing happens if they do not hold it)."""
    released = ReconciliationCase.objects.filter(
        case_scope_q(scope_for(officer)), pk=case_id, claimed_by=officer,
    ).update(claimed_by=None, claim_expires_at=None)
    if released:
        record_event(actor=officer, action="case.release", object_type="verification.reconciliationcase",
                     object_id=case_id, after={"claimed_by": None})


# --- Officers' outcomes ------------------------------------------------------------------

OUTCOME_TRANSITION = {
    V.Outcome.MATCH: "verify_identity",
    V.Outcome.MISMATCH: "report_mismatch",
    V.Outcome.NOT_FOUND: "report_not_found",
    V.Outcome.FOREIGN: "mark_foreign",
}


def correct_values_for(case: ReconciliationCase, values: dict) -> dict:
    """The officer's correct values that differ from the claim, cleaned: field -> value."""
    cleaned = {}
    name = normalize.normalize_name(values.get("full_name") or "")
    if name and name != case.full_name:
        cleaned["full_name"] = name
    dob = values.get("date_of_birth")
    if isinstance(dob, str):
        dob = normalize.parse_date(dob) if dob.strip() else None
    if dob and dob != case.date_of_birth:
        cleaned["date_of_birth"] = dob.isoformat()
    sex = (values.get("sex") or "").upper()
    if sex in ("M", "F") and sex != case.sex:
        cleaned["sex"] = sex
    id_number = normalize.digits_only(values.get("id_number") or "")
    if id_number and id_number != case.id_number:
        if len(id_number) not in (9, 12):
            raise InvalidInput(_("A CCCD has 12 digits, a CMND 9."), field="id_number")
        cleaned["id_number"] = id_number
    return cleaned


def police_decide(*, officer, case_id: int, outcome: str, note: str = "",
                  correct_values: dict | None = None) -> PoliceVerification:
    """An officer's answer on one case of their ward: identity confirmed (the case goes on to
    signature), mismatch with the correct values (back to the clinic, which receives them in
    `police_values`), not found, or foreign national. Returns the verification row.
    Raises NotFoundInScope outside the ward, InvalidTransition when the case is no longer
    awaiting police or another officer holds it, InvalidInput for a mismatch without values."""
    if outcome not in OUTCOME_TRANSITION:
        raise InvalidInput(_("Choose an outcome."), field="outcome")
    now = timezone.now()
    with transaction.atomic():
        case = case_lock(case=case_id, actor=officer)  # the one lock of both transitions below
        if (case.claimed_by_id not in (None, officer.pk) and case.claim_expires_at
                and case.claim_expires_at > now):
            raise InvalidTransition(_("Another officer is working on this case until %(time)s.")
                                    % {"time": timezone.localtime(case.claim_expires_at).strftime("%H:%M")})
        if case.status != S.AWAITING_POLICE:
            raise InvalidTransition(_("This case is no longer awaiting police verification."))
        updates, values = {}, {}
        if outcome == V.Outcome.MISMATCH:
            try:
                values = correct_values_for(case, correct_values or {})
            except ValueError:
                raise InvalidInput(_("Enter the date of birth as dd/mm/yyyy."), field="date_of_birth")
            if not values:
                raise InvalidInput(_("Enter the correct value of at least one field that differs."))
            updates["police_values"] = values
        verification = PoliceVerification.objects.create(
            case=case, source=V.Source.OFFICER, outcome=outcome, registry_values=values,
            differing_fields=[f for f in FIELDS if f in values], officer=officer, note=note.strip(),
        )
        data = {"verification": verification.reference, "source": V.Source.OFFICER}
        if values:
            data["police_values"] = values
        case_transition_locked(case=case, name=OUTCOME_TRANSITION[outcome], actor=officer,
                               message=note.strip(), data=data, updates=updates)
        if outcome == V.Outcome.MATCH:
            case_transition_locked(case=case, name="queue_for_signature", actor=officer, data=data)
    return verification


@dataclass
class BulkResult:
    confirmed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def police_bulk_confirm(*, officer, case_ids: list[int], note: str = "") -> BulkResult:
    """Confirm several cases the registry matched exactly, each in its own transaction; a case
    without an exact registry match this round, moved on, or held by another officer is
    skipped (and reported back)."""
    result = BulkResult()
    confirmable = {c.pk for c in selectors.bulk_confirmable(scope=scope_for(officer), officer_id=officer.pk,
                                                              limit=500)}
    for case_id in dict.fromkeys(case_ids):
        if case_id not in confirmable:
            result.skipped.append(case_id)
            continue
        try:
            police_decide(officer=officer, case_id=case_id, outcome=V.Outcome.MATCH,
                          note=note or _("Confirmed in bulk: exact match in the population database."))
        except (InvalidTransition, NotFoundInScope):
            result.skipped.append(case_id)
        else:
            result.confirmed.append(case_id)
    return result


def parse_day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        raise InvalidInput(_("Dates are written yyyy-mm-dd."))
