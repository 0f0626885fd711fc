"""Reading cases, always within the acting user's scope."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from records import normalize
from records.any_of import AnyOf
from records.models import Citizen, Facility, InjectionRecord
from vaxrecon.access import FACILITY, NATION, PROVINCE, WARD, Scope
from vaxrecon.errors import NotFoundInScope
from verification import workflow
from verification.imports.linking import calibrated_index, linkage_config
from verification.linkage import Engine
from verification.models import TRACKING_ALPHABET, TRACKING_LENGTH, ReconciliationCase


def case_scope_q(scope: Scope) -> Q:
    """Which cases a scope answers for.

    A facility sees its own cases; a commune health station also sees the cases of its
    commune that name no facility. A ward (police, commune signer) sees the cases of the
    people living there; a province, those of its communes and facilities.
    """
    if scope.kind == NATION:
        return Q()
    if scope.kind == PROVINCE:
        return Q(ward__province=scope.province_id) | Q(facility__ward__province=scope.province_id)
    if scope.kind == WARD:
        return Q(ward=scope.ward_id)
    if scope.kind == FACILITY:
        q = Q(facility=scope.facility_id)
        if Facility.objects.filter(pk=scope.facility_id, is_health_station=True).exists():
            q |= Q(facility__isnull=True, ward=scope.ward_id)
        return q
    return Q(pk__in=[])


def cases_in_scope(*, scope: Scope) -> QuerySet[ReconciliationCase]:
    return ReconciliationCase.objects.filter(case_scope_q(scope)).select_related(
        "ward", "ward__province", "facility", "citizen"
    )


# --- The clinic's queue -----------------------------------------------------------------

_TRACKING_RE = re.compile(rf"^[{TRACKING_ALPHABET}]{{{TRACKING_LENGTH}}}$")


def shown_to_staff_q() -> Q:
    """Citizen reports reach staff only once confirmed with the code; other origins at once."""
    return Q(confirmed=True) | ~Q(origin=ReconciliationCase.Origin.CITIZEN_REPORT)


def staff_case(*, scope: Scope, pk, for_update: bool = False) -> ReconciliationCase:
    """A case page's case: in scope and shown to staff; NotFoundInScope otherwise. `for_update`:
    its row locked until the transaction ends (a caller comparing it with what a client read)."""
    cases = cases_in_scope(scope=scope)
    if for_update:
        cases = cases.select_for_update(of=("self",))
    case = cases.filter(shown_to_staff_q(), pk=pk).first()
    if case is None:
        raise NotFoundInScope(_("No such case."))
    return case


QUEUE_OLDEST_FIRST, QUEUE_OVERDUE_FIRST = "", "overdue"
# What a number typed into the search may carry besides digits: "+84 912.345-678", "(024)".
_NUMBER_RE = re.compile(r"^[\d\s.\-+()]+$")


def _search_q(text: str) -> Q:
    """A tracking code (exact), a CCCD/CMND or phone (exact on the normalised digits, each
    served by its partial index), or else part of a name, ignoring diacritics and case."""
    code = text.upper().replace(" ", "").replace("-", "")
    if _TRACKING_RE.match(code):
        return Q(tracking_code=code)
    if _NUMBER_RE.match(text) and (digits := normalize.digits_only(text)):
        # 12 digits: a CCCD; 9: a CMND or a mobile number typed without its 0, so both.
        phone = normalize.normalize_phone(text)
        by_id, by_phone = Q(id_number=digits), Q(phone=phone)
        if not normalize.is_valid_phone(phone):
            return by_id
        return by_id | by_phone if len(digits) in (9, 12) else by_phone
    return Q(name_key__contains=normalize.fold_name(text))


def case_queue(*, scope: Scope, status: str = "", submitted_from: date | None = None,
               submitted_to: date | None = None, search: str = "",
               sort: str = QUEUE_OLDEST_FIRST) -> QuerySet[ReconciliationCase]:
    """Cases in progress the scope answers for, oldest first (or, sorted overdue first, those
    past the clinic's 48-hour deadline before the rest); citizen reports only once confirmed.

    With no `status`, open cases someone still has to act on (signed ones are done).
    `search`: see `_search_q`.
    """
    qs = cases_in_scope(scope=scope).filter(shown_to_staff_q())
    qs = qs.filter(status=status) if status else qs.filter(status__in=workflow.IN_PROGRESS_STATES)
    tz = timezone.get_current_timezone()
    if submitted_from:
        qs = qs.filter(submitted_at__gte=timezone.make_aware(
            timezone.datetime.combine(submitted_from, timezone.datetime.min.time()), tz))
    if submitted_to:
        qs = qs.filter(submitted_at__lt=timezone.make_aware(
            timezone.datetime.combine(submitted_to + timedelta(days=1), timezone.datetime.min.time()), tz))
    text = (search or "").strip()
    if text:
        qs = qs.filter(_search_q(text))
    if sort == QUEUE_OVERDUE_FIRST:
        # Overdue exactly as the queue shows it: the clock runs and the deadline has passed.
        overdue = Case(When(status__in=workflow.CLOCK_STATES, deadline_at__lt=timezone.now(), then=Value(0)),
                       default=Value(1), output_field=IntegerField())
        return qs.annotate(overdue_rank=overdue).order_by("overdue_rank", "submitted_at", "id")
    return qs.order_by("submitted_at", "id")


def case_by_tracking_code(code: str) -> ReconciliationCase | None:
    """A citizen's confirmed report by its public tracking code (spaces, dashes, case ignored)."""
    code = (code or "").upper().replace(" ", "").replace("-", "")
    if not _TRACKING_RE.match(code):
        return None
    return (ReconciliationCase.objects.select_related("ward", "ward__province", "facility")
            .filter(tracking_code=code, confirmed=True).first())


def facilities_matching(*, text: str, province_id: int | None = None, limit: int = 15) -> list[Facility]:
    """Active facilities whose name or commune contains every word typed, accents ignored."""
    words = normalize.fold_name(text).split()
    if not words:
        return []
    qs = Facility.objects.filter(active=True).select_related("ward", "ward__province")
    if province_id:
        qs = qs.filter(ward__province_id=province_id)
    # No folded-name column on Facility yet: fold in Python over (id, name, commune, code)
    # rows, which stays fast for the few tens of thousands of sites in the country.
    ids = []
    for pk, name, ward_name, code in qs.values_list("pk", "name", "ward__name", "code").iterator():
        haystack = normalize.fold_name(f"{name} {ward_name} {code}")
        if all(word in haystack for word in words):
            ids.append(pk)
            if len(ids) >= limit:
                break
    return list(qs.filter(pk__in=ids).order_by("name"))


# --- Doses ------------------------------------------------------------------------------

DUPLICATE_WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class DoseSeen:
    """What the duplicate-dose rule reads of a person's current dose (`same_dose_of` takes these as
    it takes records): a bulk request's thousands of doses without a model instance each."""

    pk: int
    citizen_id: int
    vaccine: object  # the VaccineProduct (or its FamilyOnly)
    injection_date: date
    dose_number: int
    is_current: bool = True


@dataclass(frozen=True)
class FamilyOnly:
    """A dose's vaccine as far as `same_dose_of` reads it: its family."""

    family: str


def current_doses_seen(*, citizen_ids: Iterable[int], catalogue: dict | None = None) -> list[DoseSeen]:
    """The current doses (every version but the superseded) of these people: what `same_dose_of`
    looks through, for one person or for a bulk request's people. As DoseSeen (the vaccine from
    `catalogue`, by id; without a catalogue, its family only, read with the doses): one statement,
    plain rows."""
    doses = (InjectionRecord.objects.filter(AnyOf("citizen_id", citizen_ids))
             .exclude(status=InjectionRecord.Status.SUPERSEDED))
    if catalogue is None:
        rows = doses.values_list("pk", "citizen_id", "vaccine__family", "injection_date", "dose_number")
        return [DoseSeen(pk, citizen, FamilyOnly(family), day, number)
                for pk, citizen, family, day, number in rows]
    rows = doses.values_list("pk", "citizen_id", "vaccine_id", "injection_date", "dose_number")
    return [DoseSeen(pk, citizen, catalogue[vaccine], day, number)
            for pk, citizen, vaccine, day, number in rows]


def same_dose_of(doses: Iterable[InjectionRecord], *, citizen_id: int, vaccine, injection_date: date,
                 exclude_ids=()) -> InjectionRecord | None:
    """The dose of `doses` that is this one (the one duplicate-dose rule): a current dose of the same
    person, of the same vaccine family, given within 3 days; the earliest (date, dose number, id)
    when several are; None when none is."""
    twins = [d for d in doses
             if d.citizen_id == citizen_id and d.is_current and d.pk not in exclude_ids
             and d.vaccine.family == vaccine.family
             and abs(d.injection_date - injection_date) <= DUPLICATE_WINDOW]
    return min(twins, key=lambda d: (d.injection_date, d.dose_number, d.pk or 0), default=None)


# --- The clinic's case page (the case itself comes from `staff_case`) ----------------------

def citizen_doses(*, citizen) -> QuerySet[InjectionRecord]:
    """Every version of the citizen's doses on the platform, in the order they were given."""
    return (InjectionRecord.objects.filter(citizen=citizen).select_related("vaccine", "facility")
            .order_by("injection_date", "dose_number", "version"))


def case_citizen_dose(*, case: ReconciliationCase, injection_id: int) -> InjectionRecord:
    """One dose (any version) of the citizen a staff case is linked to; NotFoundInScope otherwise."""
    record = InjectionRecord.objects.filter(pk=injection_id, citizen_id=case.citizen_id).first()
    if record is None:
        raise NotFoundInScope(_("No such dose for the linked citizen."))
    return record


def case_facilities(*, case: ReconciliationCase, scope: Scope) -> list[Facility]:
    """Where a case's doses may have been given: the user's facility, the case's, the claimed ones'."""
    ids = {scope.facility_id, case.facility_id, *case.claimed_doses.values_list("facility_id", flat=True)}
    return list(Facility.objects.filter(pk__in=[i for i in ids if i]))


# --- Candidate citizens for a case -------------------------------------------------------


logger = logging.getLogger(__name__)
MAX_BLOCK = 50


# The engine's verdict in words, by its log2 odds: 10 is about 1000:1 for the same person; at 0
# or below the evidence is even or against, and the citizen is not offered as the person (the
# case page, the match review and their services alike).
VERY_LIKELY_FROM = 10.0
STRENGTHS = {"very_likely": gettext_lazy("Very likely the same person"),
             "likely": gettext_lazy("Possibly the same person"),
             "unlikely": gettext_lazy("Unlikely to be the same person")}


def strength_of(score: float | None) -> str:
    """very_likely / likely / unlikely; '' when the engine did not score the citizen."""
    if score is None:
        return ""
    if score >= VERY_LIKELY_FROM:
        return "very_likely"
    return "likely" if score > 0 else "unlikely"


class Verdict:
    """A proposed citizen's `strength` in words, and whether it may be chosen as the person."""

    strength: str

    @property
    def strength_text(self) -> str:
        return str(STRENGTHS.get(self.strength, ""))

    @property
    def selectable(self) -> bool:
        return self.strength != "unlikely"


@dataclass
class CaseCandidate(Verdict):
    citizen: object
    reasons: list[Reason] = field(default_factory=list)
    score: float | None = None  # the engine's log2 odds, when the engine scored it
    probability: float | None = None
    against: bool = False  # the engine ran and did not list this citizen (below its review threshold)

    @property
    def strength(self) -> str:
        return "unlikely" if self.against else strength_of(self.score)


class Reason(str):
    """A reason in words, and how the field compares (`kind`): "agree", "near" (nearly: a typo,
    accents, swapped day and month, the same province) or "differ"; the page marks each."""

    kind: str

    def __new__(cls, text: str, kind: str = "agree") -> Reason:
        made = super().__new__(cls, text)
        made.kind = kind
        return made


def _kind(field_name: str, level: str) -> str:
    if level == "disagree":
        return "differ"
    if level in ("exact", "agree", "ward") or (field_name == "birth_year" and level == "year"):
        return "agree"
    return "near"


def _engine_reason(field_name: str, level: str) -> Reason:
    """The engine's (field, level) in a sentence staff can check against the papers."""
    sentences = {
        ("name", "exact"): _("Same name"), ("name", "folded"): _("Same name apart from accents"),
        ("name", "reordered"): _("Same name, words in another order"),
        ("name", "merged"): _("Same name, words run together or split differently"),
        ("name", "partial"): _("Same family and given name"),
        ("name", "typo"): _("Name differs by one letter"), ("name", "fuzzy"): _("Similar name"),
        ("name", "disagree"): _("Different name"),
        ("date_of_birth", "exact"): _("Same date of birth"),
        ("date_of_birth", "swap"): _("Date of birth with day and month swapped"),
        ("date_of_birth", "close"): _("Date of birth differs slightly"),
        ("date_of_birth", "year"): _("Same year of birth only"),
        ("date_of_birth", "disagree"): _("Different date of birth"),
        ("birth_year", "year"): _("Same year of birth"),
        ("birth_year", "disagree"): _("Different year of birth"),
        ("sex", "agree"): _("Same sex"), ("sex", "disagree"): _("Different sex"),
        ("cccd", "exact"): _("Same CCCD number"), ("cccd", "typo"): _("CCCD number differs by one digit"),
        ("cccd", "disagree"): _("Different CCCD number"),
        ("cmnd", "exact"): _("Same CMND number"), ("cmnd", "typo"): _("CMND number differs by one digit"),
        ("cmnd", "disagree"): _("Different CMND number"),
        ("phone", "exact"): _("Same phone number"), ("phone", "typo"): _("Phone number differs by one digit"),
        ("phone", "disagree"): _("Different phone number"),
        ("ward", "ward"): _("Lives in the same commune"),
        ("ward", "province"): _("Lives in the same province"),
        ("ward", "disagree"): _("Lives elsewhere"),
    }
    return Reason(str(sentences.get((field_name, level), f"{field_name}: {level}")), _kind(field_name, level))


def _blocking_reasons(case: ReconciliationCase, citizen) -> list[Reason]:
    reasons = []
    if case.id_number and case.id_number in (citizen.cccd, citizen.cmnd):
        reasons.append(_("Same CCCD/CMND number"))
    if case.phone and case.phone == citizen.phone:
        reasons.append(_("Same phone number"))
    if case.name_key == citizen.name_key:
        reasons.append(_("Same name (ignoring accents)"))
    if case.date_of_birth and case.date_of_birth == citizen.date_of_birth:
        reasons.append(_("Same date of birth"))
    elif case.birth_year == citizen.birth_year:
        reasons.append(_("Same year of birth"))
    if case.sex != citizen.sex:
        reasons.append(Reason(_("Different sex"), "differ"))
    if case.ward_id and case.ward_id == citizen.ward_id:
        reasons.append(_("Lives in the same commune"))
    return reasons


def case_candidates(case: ReconciliationCase, *, extra: Iterable[Citizen] = ()) -> list[CaseCandidate]:
    """Citizens who may be the person of this case, most likely first, with reasons.

    Blocks in the database (CCCD/CMND exact, phone exact, folded name + year of birth), with
    `extra` (the citizens a registry search found) beside them; the record-linkage engine
    (`verification.linkage`) scores them and explains each candidate field by field. The one
    place candidates come from.
    """
    keys = Q(name_key=case.name_key, birth_year=case.birth_year)
    if case.id_number:
        keys |= Q(cccd=case.id_number) | Q(cmnd=case.id_number)
    if case.phone:
        keys |= Q(phone=case.phone)
    block = list(Citizen.objects.filter(keys).select_related("ward")[:MAX_BLOCK])
    if case.citizen_id and all(c.pk != case.citizen_id for c in block):
        block.insert(0, case.citizen)
    block += [c for c in extra if all(c.pk != b.pk for b in block)]
    by_id = {c.pk: c for c in block}
    candidates = {c.pk: CaseCandidate(citizen=c, reasons=_blocking_reasons(case, c)) for c in block}
    scored, complete = _engine_scores(case, block)
    for pk, (score, probability, reasons) in scored.items():
        if pk in candidates:
            candidates[pk].score, candidates[pk].probability = score, probability
            candidates[pk].reasons = reasons or candidates[pk].reasons
    if complete:  # the engine listed everyone above its review threshold: the rest it is against
        for pk, candidate in candidates.items():
            candidate.against = pk not in scored
    ranked = sorted(candidates.values(), key=lambda c: (not c.selectable, c.score is None, -(c.score or 0),
                                                        -len(c.reasons)))
    return [c for c in ranked if c.citizen.pk in by_id]


def _engine_scores(case: ReconciliationCase, block) -> tuple[dict, bool]:
    """(pk -> (score, probability, reasons) of the citizens the linkage engine lists, whether
    that list is everyone above its review threshold: fewer than its most candidates);
    ({}, False) when it fails."""
    if not block:
        return {}, False
    try:
        # The block scored as against the whole registry (its N and frequencies): the verdict
        # the import's engine and the match review give the same pair.
        config = linkage_config()
        engine = Engine(calibrated_index([c.pk for c in block], full_name=case.full_name), config)
        result = engine.match({
            "full_name": case.full_name, "date_of_birth": case.date_of_birth or case.birth_year,
            "sex": case.sex, "id_number": case.id_number, "phone": case.phone,
            "province_code": case.ward.province_id if case.ward_id else None, "ward_code": case.ward_id})
    except Exception:  # noqa: BLE001 - candidates must not take the case page down
        logger.exception("linkage engine failed for case %s; showing blocking matches", case.pk)
        return {}, False
    out = {}
    for candidate in result.candidates:
        reasons = [_engine_reason(r["field"], r["level"]) for r in candidate.reason_dicts()]
        out[candidate.citizen_id] = (candidate.score, candidate.probability, reasons)
    return out, len(result.candidates) < config.max_candidates
