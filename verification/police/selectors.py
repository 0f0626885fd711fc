"""Reading the police side of cases: the ward's queue, registry answers, the daily report.

A case's "round" with the police starts when it (last) entered awaiting_police; a registry
answer counts only for the round it was given in, so a case corrected by the clinic and
sent again is checked again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vaxrecon.access import Scope
from vaxrecon.errors import NotFoundInScope
from verification.models import CaseEvent, PoliceVerification, ReconciliationCase, RegistryCircuit
from verification.selectors import case_scope_q, cases_in_scope
from verification.workflow import CaseStatus

S = CaseStatus
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CLAIM_MINUTES = 15
QUEUE_PAGE = 50
# The states a ward's police see counted on their queue page.
WARD_STATES = [S.AWAITING_POLICE, S.IDENTITY_VERIFIED, S.AWAITING_SIGNATURE, S.IDENTITY_MISMATCH,
               S.NOT_FOUND, S.FOREIGN_NATIONAL]


def _round_start():
    entered = (CaseEvent.objects.filter(case=OuterRef("pk"), to_status=S.AWAITING_POLICE)
               .order_by("-at", "-id"))
    return Coalesce(Subquery(entered.values("at")[:1]), Value(EPOCH))


def _registry_answers():
    return PoliceVerification.objects.filter(
        case=OuterRef("pk"), source=PoliceVerification.Source.REGISTRY, at__gte=OuterRef("round_start"),
    ).order_by("-at", "-id")


def with_registry_answer(qs: QuerySet[ReconciliationCase]) -> QuerySet[ReconciliationCase]:
    """Annotate round_start, registry_outcome and registry_verification_id (this round's answer)."""
    return qs.annotate(round_start=_round_start()).annotate(
        registry_outcome=Subquery(_registry_answers().values("outcome")[:1]),
        registry_verification_id=Subquery(_registry_answers().values("pk")[:1]),
    )


def with_waiting_since(cases) -> list[ReconciliationCase]:
    """Set `waiting_since` (when the case reached the police) on annotated cases."""
    cases = list(cases)
    for case in cases:
        case.waiting_since = case.round_start if case.round_start != EPOCH else case.submitted_at
    return cases


def sent_to_police_q() -> Q:
    """Cases that are, or were, with the police: awaiting them now, or once entered that state.
    An unconfirmed draft, or a case the clinic never sent, is none of the police's business."""
    entered = CaseEvent.objects.filter(case=OuterRef("pk"), to_status=S.AWAITING_POLICE)
    return Q(status=S.AWAITING_POLICE) | Q(Exists(entered))


def case_for_police(*, scope: Scope, pk) -> ReconciliationCase:
    """One case of the ward that is, or was, with its police; NotFoundInScope otherwise (the
    same answer for a case elsewhere, a draft and a case never sent)."""
    case = cases_in_scope(scope=scope).filter(sent_to_police_q(), pk=pk).first()
    if case is None:
        raise NotFoundInScope(_("No such case."))
    return case


def free_for(officer_id: int | None, now: datetime) -> Q:
    """Cases nobody else is working on: unclaimed, claim expired, or claimed by this officer."""
    q = Q(claimed_by__isnull=True) | Q(claim_expires_at__lte=now)
    if officer_id is not None:
        q |= Q(claimed_by=officer_id)
    return q


def _priority():
    """0 for a registry mismatch or not found this round, 1 for a match, 2 for no answer yet:
    one look-up per case (ordering on `registry_outcome` looked the answer up twice, each
    time with the round's start)."""
    rank = Case(When(outcome__in=["mismatch", "not_found"], then=Value(0)),
                When(outcome="match", then=Value(1)), default=Value(2), output_field=IntegerField())
    return Coalesce(Subquery(_registry_answers().annotate(rank=rank).values("rank")[:1]), Value(2))


def police_queue(*, scope: Scope) -> QuerySet[ReconciliationCase]:
    """The ward's cases awaiting police, registry answers that need an officer first
    (mismatch, not found), then those the registry has not answered yet, oldest first.
    PostgreSQL computes the ordering for every waiting case and the other annotations
    (registry answer, round start) only for the rows a slice returns."""
    # Only the officer holding a case is shown with it (queue and bulk pages), read for the rows
    # a slice returns (one query by id, none if no row is claimed): joined here, PostgreSQL hashed
    # every user of the platform for every waiting case before the slice (16,641: half the query).
    qs = with_registry_answer(
        ReconciliationCase.objects.filter(case_scope_q(scope), status=S.AWAITING_POLICE))
    return (qs.annotate(priority=_priority()).prefetch_related("claimed_by")
            .order_by("priority", "submitted_at", "id"))


def _other_states(scope: Scope):
    """The ward's cases in the other states it sees, counted from the (ward, status) index alone."""
    return (ReconciliationCase.objects.filter(case_scope_q(scope), status__in=WARD_STATES)
            .exclude(status=S.AWAITING_POLICE).values("status").order_by()
            .annotate(answer=Value(None, output_field=CharField()), n=Count("id"), claimed=Value(0)))


def _counts_of(rows) -> dict:
    """The queue's counters from rows of (status, answer, n, claimed)."""
    by_answer, states, claimed = defaultdict(int), defaultdict(int), 0
    for row in rows:
        states[row["status"]] += row["n"]
        claimed += row["claimed"]
        if row["status"] == S.AWAITING_POLICE:
            by_answer[row["answer"] or "pending"] += row["n"]
    return {
        "awaiting_registry": by_answer["pending"],
        "registry_mismatch": by_answer["mismatch"],
        "registry_not_found": by_answer["not_found"],
        "registry_match": by_answer["match"],
        "claimed": claimed,
        "states": [(S(value).label, value, states.get(value, 0)) for value in WARD_STATES],
    }


def queue_counts(*, scope: Scope, now: datetime | None = None) -> dict:
    """What the ward's queue holds: the registry's answers this round, active claims, and
    the ward's cases by state. One query: the other states counted from the (ward, status)
    index alone, the cases awaiting police grouped by this round's answer."""
    now = now or timezone.now()
    waiting = (with_registry_answer(
                   ReconciliationCase.objects.filter(case_scope_q(scope), status=S.AWAITING_POLICE))
               .values("status", "registry_outcome").order_by()
               .annotate(n=Count("id"), claimed=Count("id", filter=Q(claimed_by__isnull=False,
                                                                     claim_expires_at__gt=now)))
               .values("status", "registry_outcome", "n", "claimed"))
    others = _other_states(scope).values("status", "answer", "n", "claimed")
    return _counts_of(others.union(waiting, all=True))


ANSWER_RANK = {"mismatch": 0, "not_found": 0, "match": 1}  # as _priority: no answer yet is 2


def queue_page(*, scope: Scope, now: datetime | None = None,
               limit: int = QUEUE_PAGE) -> tuple[dict, list[ReconciliationCase]]:
    """The queue page: its counters (`queue_counts`) and its first `limit` cases in the order of
    `police_queue`, from one reading of the ward's waiting cases, each case's answer this round
    looked up once (the counters and the page's ordering each looked it up for every waiting
    case: 572 on the busiest ward). The page's rows are then read by id, with their annotations."""
    now = now or timezone.now()
    nothing = {"pk": Value(None, output_field=IntegerField()),
               "submitted": Value(None, output_field=DateTimeField())}
    others = _other_states(scope).annotate(**nothing).values("status", "answer", "n", "claimed", "pk",
                                                             "submitted")
    held = Q(claimed_by__isnull=False, claim_expires_at__gt=now)
    waiting = (with_registry_answer(
                   ReconciliationCase.objects.filter(case_scope_q(scope), status=S.AWAITING_POLICE))
               .order_by().annotate(n=Value(1), claimed=Case(When(held, then=Value(1)), default=Value(0)),
                                    submitted=F("submitted_at"))
               .values("status", "registry_outcome", "n", "claimed", "pk", "submitted"))
    rows = list(others.union(waiting, all=True))
    order = sorted((ANSWER_RANK.get(row["answer"], 2), row["submitted"] is None, row["submitted"] or EPOCH,
                    row["pk"]) for row in rows if row["pk"] is not None)
    ids = [pk for *_key, pk in order[:limit]]
    by_id = {case.pk: case for case in with_registry_answer(ReconciliationCase.objects.filter(pk__in=ids))
             .prefetch_related("claimed_by").order_by()} if ids else {}
    return _counts_of(rows), with_waiting_since(by_id[pk] for pk in ids if pk in by_id)


def registry_answer(*, case: ReconciliationCase) -> PoliceVerification | None:
    """The registry's answer in the case's current police round, if any."""
    start = (CaseEvent.objects.filter(case=case, to_status=S.AWAITING_POLICE).order_by("-at", "-id")
             .values_list("at", flat=True).first()) or EPOCH
    return (PoliceVerification.objects.filter(case=case, source=PoliceVerification.Source.REGISTRY,
                                              at__gte=start).order_by("-at", "-id").first())


def pending_for_registry(*, after_pk: int = 0, limit: int,
                         case_ids: list[int] | None = None) -> list[ReconciliationCase]:
    """Cases (all wards: this is the system's batch) awaiting police with no registry answer
    this round, by id from `after_pk`. A case an officer has opened stays in: the answer is
    stored for the officer (never applied over their head, see registry_answer_apply), and
    opening a case early must not leave it without one."""
    qs = with_registry_answer(
        ReconciliationCase.objects.filter(status=S.AWAITING_POLICE, pk__gt=after_pk)
    ).filter(registry_outcome__isnull=True)
    if case_ids is not None:
        qs = qs.filter(pk__in=case_ids)
    return list(qs.order_by("pk")[:limit])


def bulk_confirmable(*, scope: Scope, officer_id: int, now: datetime | None = None, limit: int = QUEUE_PAGE):
    """A page of the ward's cases the registry matched exactly that still wait for an officer."""
    now = now or timezone.now()
    return list(police_queue(scope=scope).filter(registry_outcome="match").filter(free_for(officer_id, now))
                [:limit])


@dataclass(frozen=True)
class RegistryDelay:
    since: datetime | None
    retry_at: datetime | None


def registry_delay() -> RegistryDelay | None:
    """Whether verification against the registry is delayed (the last call failed or the
    breaker is open); None when it works."""
    row = RegistryCircuit.objects.filter(service="population_registry").first()
    if row is None:
        return None
    failing = row.last_failure_at and (row.last_success_at is None
                                       or row.last_failure_at > row.last_success_at)
    if row.state == RegistryCircuit.State.CLOSED and not failing:
        return None
    return RegistryDelay(since=row.last_failure_at, retry_at=row.opened_until)


# --- Daily police verification report ---------------------------------------------------

REPORT_COLUMNS = ["received", "verified_by_registry", "confirmed_by_officer", "mismatches", "not_found",
                  "foreign", "still_open"]
AGE_BUCKETS = [(0, 1), (1, 2), (2, 7), (7, None)]  # days waiting
# The report's spreadsheet header (the page's CSV, the reports room's CSV and XLSX), translated
# when the file is written: date, ward code, ward, REPORT_COLUMNS, age in days.
REPORT_HEADER = [gettext_lazy("Day"), gettext_lazy("Ward code"), gettext_lazy("Ward"),
                 gettext_lazy("Received"), gettext_lazy("Verified by the registry"),
                 gettext_lazy("Confirmed by an officer"),
                 gettext_lazy("Mismatches"), gettext_lazy("Not found"), gettext_lazy("Foreign nationals"),
                 gettext_lazy("Still open"), gettext_lazy("Age (days)")]


@dataclass
class ReportRow:
    ward_id: int
    ward_name: str
    ward_code: int
    day: date
    received: int = 0
    verified_by_registry: int = 0
    confirmed_by_officer: int = 0
    mismatches: int = 0
    not_found: int = 0
    foreign: int = 0
    still_open: int = 0  # received that day and still awaiting police now

    @property
    def age_days(self) -> int:
        return (timezone.localdate() - self.day).days


@dataclass
class PoliceReport:
    start: date
    end: date
    rows: list[ReportRow]
    # (ward, code, total, buckets)
    open_by_age: list[tuple[str, int, int, list[int]]] = field(default_factory=list)

    @property
    def totals(self) -> dict:
        return {c: sum(getattr(r, c) for r in self.rows) for c in REPORT_COLUMNS}


# The police transitions the report counts, by the column of the day's row they count in.
_TRANSITION_COLUMNS = {"report_mismatch": "mismatches", "report_not_found": "not_found",
                       "mark_foreign": "foreign"}


def _event_column(e: dict) -> str | None:
    """The column of its day's row a (grouped) case event counts in; None if it counts in none."""
    if e["to_status"] == S.AWAITING_POLICE and e["from_status"] != S.AWAITING_POLICE:
        return "received"
    if e["transition"] == "verify_identity":
        return "verified_by_registry" if e["actor"] is None else "confirmed_by_officer"
    return _TRANSITION_COLUMNS.get(e["transition"])


def _report_row(rows: dict, *, ward_id, ward_name: str, ward_code: str, day: date) -> ReportRow:
    """The (ward, day) row of the report, made on first use."""
    key = (ward_id, day)
    if key not in rows:
        rows[key] = ReportRow(ward_id=ward_id, ward_name=ward_name, ward_code=ward_code, day=day)
    return rows[key]


def _count_events(rows: dict, *, scope: Scope, lo: datetime, hi: datetime, tz) -> None:
    """Add the police's case events between `lo` and `hi` to their (ward, day) rows."""
    in_scope = scope.q(ward="case__ward", province="case__ward__province")
    events = (CaseEvent.objects.filter(in_scope, at__gte=lo, at__lt=hi)
              .filter(Q(to_status=S.AWAITING_POLICE) | Q(from_status=S.AWAITING_POLICE))
              .annotate(day=TruncDate("at", tzinfo=tz))
              .values("case__ward", "case__ward__name", "case__ward__code", "day", "transition", "to_status",
                      "from_status", "actor")
              .annotate(n=Count("id")))
    for e in events:
        column = _event_column(e)
        if column is not None:
            row = _report_row(rows, ward_id=e["case__ward"], ward_name=e["case__ward__name"],
                              ward_code=e["case__ward__code"], day=e["day"])
            setattr(row, column, getattr(row, column) + e["n"])


def _count_open(rows: dict, *, scope: Scope, start: date, end: date, tz) -> list:
    """Count the cases open now as still open on the day they reached the police (when that
    day is in the report), and by age per ward: the sorted (ward, code, total, buckets)."""
    now = timezone.now()
    open_cases = with_registry_answer(
        ReconciliationCase.objects.filter(scope.q(ward="ward", province="ward__province"),
                                          status=S.AWAITING_POLICE)
    ).values("pk", "ward", "ward__name", "ward__code", "round_start", "submitted_at")
    by_ward: dict[int, list] = {}
    for c in open_cases:
        entered = c["round_start"] if c["round_start"] != EPOCH else c["submitted_at"]
        day = timezone.localtime(entered, tz).date()
        if start <= day <= end:
            _report_row(rows, ward_id=c["ward"], ward_name=c["ward__name"], ward_code=c["ward__code"],
                        day=day).still_open += 1
        age = (now - entered).total_seconds() / 86400
        entry = by_ward.setdefault(c["ward"], [c["ward__name"], c["ward__code"], 0, [0] * len(AGE_BUCKETS)])
        entry[2] += 1
        for i, (low, high) in enumerate(AGE_BUCKETS):
            if age >= low and (high is None or age < high):
                entry[3][i] += 1
    return sorted((tuple(v) for v in by_ward.values()), key=lambda v: v[0])


def daily_police_report(*, scope: Scope, start: date, end: date) -> PoliceReport:
    """Per ward (of residence) and per local day from `start` to `end` inclusive: cases
    received by the police, verified by the registry, confirmed by an officer, mismatches,
    not found, foreign nationals, and how many of that day's cases are still open; plus the
    cases open now by age. Only wards inside `scope`."""
    tz = timezone.get_current_timezone()
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows: dict[tuple[int, date], ReportRow] = {}
    _count_events(rows, scope=scope, lo=lo, hi=hi, tz=tz)
    open_by_age = _count_open(rows, scope=scope, start=start, end=end, tz=tz)
    ordered = sorted(rows.values(), key=lambda r: (-r.day.toordinal(), r.ward_name))
    return PoliceReport(start=start, end=end, rows=ordered, open_by_age=open_by_age)
