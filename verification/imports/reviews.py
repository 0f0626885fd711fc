"""Deciding a `MatchReview`: accept a candidate, create a new citizen, or reject.

Each decision locks the review (`select_for_update`), checks it is still open and in the
acting clinic's facility, writes what it decides and an audit event, in one transaction.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from records import normalize, rules
from records.audit import record_event, snapshot
from records.models import Citizen, InjectionRecord, VaccineProduct, Ward
from records.services import citizen_create, injection_record_create
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidInput, InvalidTransition, NotFoundInScope
from verification.imports.review_selectors import (
    differing_fields,
    field_names,
    registry_search,
)
from verification.imports.selectors import reviews_in_scope
from verification.models import MatchReview
from verification.selectors import strength_of

AUDITED = ["status", "citizen", "injection", "decided_by", "decided_at", "note"]


def _open_review(review: MatchReview | int, actor) -> MatchReview:
    pk = review.pk if isinstance(review, MatchReview) else review
    locked = reviews_in_scope(scope=scope_for(actor)).select_for_update(of=("self",)).filter(pk=pk).first()
    if locked is None:
        raise NotFoundInScope(_("No such review."))
    if locked.status != MatchReview.Status.OPEN:
        raise InvalidTransition(_("This review has already been decided."))
    return locked


def _dose(review: MatchReview, citizen: Citizen, actor) -> InjectionRecord:
    r = review.record
    vaccine = VaccineProduct.objects.get(pk=r["vaccine_id"])
    return injection_record_create(
        citizen=citizen, vaccine=vaccine, dose_number=r["dose_number"],
        injection_date=date.fromisoformat(r["injection_date"]), lot_number=r.get("lot_number", ""),
        facility=review.facility, source=InjectionRecord.Source.IMPORTED,
        source_record_id=review.source_record_id, actor=actor)


def _decide(review: MatchReview, *, actor, status: str, action: str, citizen=None, injection=None,
            note: str = "", extra: dict | None = None) -> MatchReview:
    before = snapshot(review, AUDITED)
    review.status = status
    review.citizen = citizen
    review.injection = injection
    review.note = note
    review.decided_by = actor
    review.decided_at = timezone.now()
    review.save(update_fields=["status", "citizen", "injection", "note", "decided_by", "decided_at"])
    record_event(actor=actor, action=action, obj=review, before=before,
                 after={**snapshot(review, AUDITED), **(extra or {})})
    return review


def _chosen_citizen(review: MatchReview, citizen_id: int, search: dict | None) -> Citizen:
    """A citizen the engine listed (and not against the evidence), or one the reviewer's registry
    search finds again now with the same terms."""
    listed = {c["citizen_id"]: c["score"] for c in review.candidates}
    if citizen_id in listed:
        if strength_of(listed[citizen_id]) == "unlikely":
            raise InvalidInput(_("The evidence is against this candidate being the person: search the "
                                 "registry or create a new citizen."), field="citizen_id")
        return Citizen.objects.get(pk=citizen_id)
    found = {c.pk: c for c in registry_search(**search)} if search else {}
    if citizen_id not in found:
        raise InvalidInput(_("Choose one of the candidates listed for this record."), field="citizen_id")
    return found[citizen_id]


def confirmed_reason(differs: list[str], *, confirmed: bool, reason: str, refusal: str) -> str:
    """The reason given for taking a citizen who differs in `differs` (confirmed fields' keys) as
    the person, stripped. With differences, refuses (InvalidInput) when they were not confirmed
    (`refusal`, naming %(fields)s; field "confirm") or no reason was given (field "reason").
    The match review and the case page ask the same."""
    reason = (reason or "").strip()
    if differs and not confirmed:
        raise InvalidInput(refusal % {"fields": field_names(differs)}, field="confirm")
    if differs and not reason:
        raise InvalidInput(_("Say why this is the same person although %(fields)s differ.")
                           % {"fields": field_names(differs)}, field="reason")
    return reason


@transaction.atomic
def review_accept(*, review: MatchReview | int, actor, citizen_id: int, search: dict | None = None,
                  confirmed: bool = False, reason: str = "") -> MatchReview:
    """Link the record to one of its candidates (or to a citizen the registry search `search`
    finds): the dose becomes that citizen's injection record. Returns the decided review.

    When the citizen differs from the record in date of birth, CCCD/CMND or commune/ward, the
    reviewer must confirm it (`confirmed`) and say why (`reason`): the fields and the reason are
    kept in the review's note and its audit event. Raises InvalidInput otherwise (nothing changes)."""
    review = _open_review(review, actor)
    citizen = _chosen_citizen(review, citizen_id, search)
    differs = differing_fields(review.record, citizen)
    reason = confirmed_reason(differs, confirmed=confirmed, reason=reason, refusal=_(
        "This person differs from the record in: %(fields)s. Confirm that it is the same person."))
    injection = _dose(review, citizen, actor)
    extra = {"differs_in": differs, "reason": reason} if differs else {}
    if search and citizen_id not in {c["citizen_id"] for c in review.candidates}:
        extra["found_by_search"] = sorted(k for k, v in search.items() if v)
    return _decide(review, actor=actor, status=MatchReview.Status.ACCEPTED, action="match_review.accept",
                   citizen=citizen, injection=injection, note=reason if differs else "", extra=extra or None)


def missing_for_citizen(record: dict) -> dict[str, bool]:
    """What the reviewer may supply before creating a citizen from this record: the sex when
    the record has none, a full date of birth when it has only a year or nothing."""
    return {"sex": not record.get("sex"), "date_of_birth": not record.get("date_of_birth")}


@transaction.atomic
def review_create_citizen(*, review: MatchReview | int, actor, sex: str = "",
                          date_of_birth: date | None = None) -> MatchReview:
    """None of the candidates is the person: create the citizen from the record, then the
    dose. The reviewer may supply what the record lacks (`missing_for_citizen`): the sex,
    a full date of birth (in the record's year of birth, when it gives one); what was
    supplied is named in the audit event. Raises InvalidInput (naming the field) when the
    record, so completed, cannot make a citizen."""
    review = _open_review(review, actor)
    r = review.record
    missing = missing_for_citizen(r)
    supplied = {}
    if sex:
        if not missing["sex"]:
            raise InvalidInput(_("The record already gives the sex."), field="sex")
        if sex not in Citizen.Sex.values:
            raise InvalidInput(_("Sex must be M or F."), field="sex")
        supplied["sex"] = sex
    if date_of_birth is not None:
        if not missing["date_of_birth"]:
            raise InvalidInput(_("The record already gives the date of birth."), field="date_of_birth")
        if date_of_birth > timezone.localdate() or date_of_birth.year < rules.BIRTH_YEAR_MIN:
            raise InvalidInput(_("Year of birth must be between 1900 and this year."), field="date_of_birth")
        if r.get("birth_year") and int(r["birth_year"]) != date_of_birth.year:
            raise InvalidInput(
                _("The record gives the year of birth %(year)s: the date must be in that year.")
                % {"year": r["birth_year"]}, field="date_of_birth")
        supplied["date_of_birth"] = date_of_birth.isoformat()
    if date_of_birth is not None:
        birth = normalize.BirthDate(date_of_birth, date_of_birth.year, normalize.DAY)
    elif r.get("date_of_birth"):
        birth = normalize.parse_birth_date(r["date_of_birth"])
    elif r.get("birth_year"):
        birth = normalize.BirthDate(None, int(r["birth_year"]), normalize.YEAR)
    else:
        birth = normalize.BirthDate(None, None, "")
    ident = normalize.normalize_id(r.get("id_number", ""))
    ward = Ward.objects.filter(pk=r.get("ward_code")).first() if r.get("ward_code") else None
    citizen = citizen_create(full_name=r.get("full_name", ""), sex=sex or r.get("sex", ""), birth=birth,
                             cccd=ident.cccd, cmnd=ident.cmnd, phone=r.get("phone", ""),
                             ward=ward or (review.facility.ward if review.facility else None), actor=actor)
    injection = _dose(review, citizen, actor)
    return _decide(review, actor=actor, status=MatchReview.Status.NEW_CITIZEN,
                   action="match_review.new_citizen", citizen=citizen, injection=injection,
                   extra={"supplied_by_reviewer": supplied} if supplied else None)


@transaction.atomic
def review_reject(*, review: MatchReview | int, actor, note: str) -> MatchReview:
    """Drop the record (wrong or duplicate row); a note saying why is required."""
    review = _open_review(review, actor)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Say why the record is rejected."), field="note")
    return _decide(review, actor=actor, status=MatchReview.Status.REJECTED, action="match_review.reject",
                   note=note)
