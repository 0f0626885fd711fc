"""Deciding a `MatchReview`: accept a candidate, create a new citizen, or reject.

Each decision locks the review (`select_for_update`), checks it is still open and in the
acting clinic's facility, writes what it decides and an audit event, in one transaction.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from records import normalize
from records.audit import record_event, snapshot
from records.models import Citizen, InjectionRecord, VaccineProduct, Ward
from records.services import citizen_create, injection_record_create
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidInput, InvalidTransition
from verification.imports.selectors import reviews_in_scope
from verification.models import MatchReview

AUDITED = ["status", "citizen", "injection", "decided_by", "decided_at", "note"]


def _open_review(review: MatchReview | int, actor) -> MatchReview:
    pk = review.pk if isinstance(review, MatchReview) else review
    locked = reviews_in_scope(scope=scope_for(actor)).select_for_update(of=("self",)).filter(pk=pk).first()
    if locked is None:
        from vaxrecon.errors import NotFoundInScope

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
            note: str = "") -> MatchReview:
    before = snapshot(review, AUDITED)
    review.status = status
    review.citizen = citizen
    review.injection = injection
    review.note = note
    review.decided_by = actor
    review.decided_at = timezone.now()
    review.save(update_fields=["status", "citizen", "injection", "note", "decided_by", "decided_at"])
    record_event(actor=actor, action=action, obj=review, before=before, after=snapshot(review, AUDITED))
    return review


@transaction.atomic
def review_accept(*, review: MatchReview | int, actor, citizen_id: int) -> MatchReview:
    """Link the record to one of its candidates: the dose becomes that citizen's injection
    record. Returns the decided review. Only a listed candidate can be chosen."""
    review = _open_review(review, actor)
    if citizen_id not in {c["citizen_id"] for c in review.candidates}:
        raise InvalidInput(_("Choose one of the candidates listed for this record."), field="citizen_id")
    citizen = Citizen.objects.get(pk=citizen_id)
    injection = _dose(review, citizen, actor)
    return _decide(review, actor=actor, status=MatchReview.Status.ACCEPTED, action="match_review.accept",
                   citizen=citizen, injection=injection)


@transaction.atomic
def review_create_citizen(*, review: MatchReview | int, actor) -> MatchReview:
    """None of the candidates is the person: create the citizen from the record, then the
    dose. Raises InvalidInput (naming the field) when the record cannot make a citizen."""
    review = _open_review(review, actor)
    r = review.record
    if r.get("date_of_birth"):
        birth = normalize.parse_birth_date(r["date_of_birth"])
    elif r.get("birth_year"):
        birth = normalize.BirthDate(None, int(r["birth_year"]), normalize.YEAR)
    else:
        birth = normalize.BirthDate(None, None, "")
    ident = normalize.normalize_id(r.get("id_number", ""))
    ward = Ward.objects.filter(pk=r.get("ward_code")).first() if r.get("ward_code") else None
    citizen = citizen_create(full_name=r.get("full_name", ""), sex=r.get("sex", ""), birth=birth,
                             cccd=ident.cccd, cmnd=ident.cmnd, phone=r.get("phone", ""),
                             ward=ward or (review.facility.ward if review.facility else None), actor=actor)
    injection = _dose(review, citizen, actor)
    return _decide(review, actor=actor, status=MatchReview.Status.NEW_CITIZEN,
                   action="match_review.new_citizen", citizen=citizen, injection=injection)


@transaction.atomic
def review_reject(*, review: MatchReview | int, actor, note: str) -> MatchReview:
    """Drop the record (wrong or duplicate row); a note saying why is required."""
    review = _open_review(review, actor)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Say why the record is rejected."), field="note")
    return _decide(review, actor=actor, status=MatchReview.Status.REJECTED, action="match_review.reject",
                   note=note)
