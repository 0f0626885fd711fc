"""Doses a facility records from its own software (the API), outside any case: the same record
services (records.services) and the same duplicate-dose rule (``check_not_duplicate``) as the
case page's "add a dose" and "correct a dose"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from records import normalize
from records.any_of import AnyOf
from records.models import Citizen, Facility, InjectionRecord, VaccineProduct
from records.rows import unsaved
from records.selectors import citizens_in_scope, injections_in_scope
from records.services import (
    injection_problem,
    injection_record_correct,
    injection_record_create,
    injection_records_create,
)
from vaxrecon.access import Scope, scope_for
from vaxrecon.errors import DomainError, InvalidInput, NotAllowed, NotFoundInScope
from verification.selectors import DoseSeen, current_doses_seen, same_dose_of
from verification.services.cases import DuplicateDose, check_not_duplicate, duplicate_refusal


def _recording_scope(actor) -> Scope:
    scope = scope_for(actor)
    if scope.role != Role.CLINIC_STAFF or not scope.facility_id:
        raise NotAllowed(_("Only clinic staff can record doses."))
    return scope


@dataclass(frozen=True)
class DoseIn:
    """One dose of a bulk request, as `dose_record` takes it (the person by CCCD or by citizen id)."""

    vaccine: VaccineProduct
    dose_number: int
    injection_date: date
    lot_number: str = ""
    citizen_id: int | None = None
    cccd: str = ""
    source_record_id: str = ""


def _citizens(scope: Scope, doses: Sequence[DoseIn]) -> list[Citizen | DomainError]:
    """Each dose's person, by CCCD (anyone may come to any facility) or by an id the scope can see,
    or the refusal naming the field. The people are read locked, in id order, in one statement (one
    more first for ids, to see which are in scope), so requests naming the same person check
    duplicates one after the other, and two bulk requests cannot deadlock."""
    cccds = {normalize.digits_only(d.cccd) for d in doses if d.cccd}
    ids = {d.citizen_id for d in doses if not d.cccd and d.citizen_id}
    seen = (set(citizens_in_scope(scope=scope).filter(pk__in=ids).values_list("pk", flat=True))
            if ids else set())
    locked = list(Citizen.objects.select_for_update().filter(Q(AnyOf("cccd", cccds)) | Q(AnyOf("pk", seen)))
                  .only("pk", "cccd").order_by("pk")) if cccds or seen else []
    by_cccd, by_id = {c.cccd: c for c in locked if c.cccd in cccds}, {c.pk: c for c in locked}
    found: list[Citizen | DomainError] = []
    for d in doses:
        if not d.cccd and not d.citizen_id:
            found.append(InvalidInput(_("Name the person by CCCD number or citizen id."), field="cccd"))
            continue
        citizen = by_cccd.get(normalize.digits_only(d.cccd)) if d.cccd else (
            by_id.get(d.citizen_id) if d.citizen_id in seen else None)
        found.append(citizen if citizen is not None else NotFoundInScope(
            _("No citizen with this CCCD number."), field="cccd" if d.cccd else "citizen"))
    return found


def _facility(actor) -> Facility:
    """The actor's facility (the scope's: `scope_for` reads it from the profile), with no query of
    its own for an API key's user (the key brings its profile's facility)."""
    return actor.profile.facility


def _new_record(dose: DoseIn, citizen: Citizen, facility: Facility) -> InjectionRecord:
    """The unsaved record of a dose (its person, vaccine and facility known to it, as when given as
    objects), built without the model's per-keyword handling: a bulk request builds a thousand."""
    record = unsaved(InjectionRecord, citizen_id=citizen.pk, vaccine_id=dose.vaccine.pk,
                     dose_number=dose.dose_number, injection_date=dose.injection_date,
                     lot_number=dose.lot_number, facility_id=facility.pk if facility is not None else None,
                     source=InjectionRecord.Source.ADMINISTERED, source_record_id=dose.source_record_id[:64])
    for field, value in ((_CITIZEN, citizen), (_VACCINE, dose.vaccine), (_FACILITY, facility)):
        if value is not None:
            field.set_cached_value(record, value)
    return record


_CITIZEN, _VACCINE, _FACILITY = (InjectionRecord._meta.get_field(name)
                                 for name in ("citizen", "vaccine", "facility"))


def dose_record(*, actor, vaccine: VaccineProduct, dose_number: int, injection_date: date,
                lot_number: str = "", citizen_id: int | None = None, cccd: str = "",
                source_record_id: str = "") -> InjectionRecord:
    """Record a dose given at the actor's facility; returns the record (version 1).
    Raises NotAllowed (not clinic staff), NotFoundInScope (no such person), DuplicateDose (the
    person has it: same vaccine family within 3 days), InvalidInput naming the field at fault."""
    scope = _recording_scope(actor)
    dose = DoseIn(vaccine=vaccine, dose_number=dose_number, injection_date=injection_date,
                  lot_number=lot_number, citizen_id=citizen_id, cccd=cccd, source_record_id=source_record_id)
    with transaction.atomic(savepoint=False):  # every refusal is raised: nothing to roll back to
        citizen = _citizens(scope, [dose])[0]
        if isinstance(citizen, DomainError):
            raise citizen
        check_not_duplicate(citizen, vaccine, injection_date)
        return injection_record_create(
            citizen=citizen, vaccine=vaccine, dose_number=dose_number, injection_date=injection_date,
            lot_number=lot_number, facility=_facility(actor),
            source=InjectionRecord.Source.ADMINISTERED, source_record_id=source_record_id[:64], actor=actor)


def doses_record(*, actor, doses: Sequence[DoseIn],
                 catalogue: dict[int, VaccineProduct] | None = None) -> list[InjectionRecord | DomainError]:
    """Record many doses given at the actor's facility, each all or nothing, in one transaction.
    Returns, for each dose in order, its record (version 1) or the refusal `dose_record` would have
    raised for it had the doses before it been sent one by one: no such person, a duplicate (of a
    dose on the platform or of an earlier dose of the same request), a field at fault. Set-wise:
    the people in two statements (locked), their current doses in one, the records and their audit
    events (one `injection.create` each) in one INSERT each. `catalogue`: the vaccine catalogue by id
    when the caller has just read it (the API's item checks have), else read here. In the caller's
    transaction when there is one, without a savepoint (every refusal is returned, not raised; a
    failed write fails the caller's transaction whole). Raises NotAllowed (not clinic staff)."""
    scope = _recording_scope(actor)
    with transaction.atomic(savepoint=False):
        citizens = _citizens(scope, doses)
        known: dict[int, list[InjectionRecord | DoseSeen]] = {}  # each person's current doses
        if catalogue is None:
            catalogue = {v.pk: v for v in VaccineProduct.objects.all()}
        for seen in current_doses_seen(citizen_ids={c.pk for c in citizens if isinstance(c, Citizen)},
                                       catalogue=catalogue):
            known.setdefault(seen.citizen_id, []).append(seen)
        facility, today = _facility(actor), timezone.localdate()
        answers: list[InjectionRecord | DomainError] = []
        for dose, citizen in zip(doses, citizens, strict=True):
            answers.append(citizen if isinstance(citizen, DomainError)
                           else _checked(dose, citizen, facility, known.setdefault(citizen.pk, []), today))
            if isinstance(answers[-1], InjectionRecord):
                known[citizen.pk].append(answers[-1])  # a later dose of the request may be this one again
        _with_existing_records(answers)
        injection_records_create(records=[a for a in answers if isinstance(a, InjectionRecord)], actor=actor)
    return answers


def _with_existing_records(answers: list) -> None:
    """Each refusal's twin found on the platform as the record itself (vaccine and facility), as
    `check_not_duplicate` names it: all of them in one statement."""
    seen = [a for a in answers if isinstance(a, DuplicateDose) and isinstance(a.existing, DoseSeen)]
    if seen:
        records = InjectionRecord.objects.select_related("vaccine", "facility").in_bulk(
            {a.existing.pk for a in seen})
        for refusal in seen:
            refusal.existing = records[refusal.existing.pk]


def _checked(dose: DoseIn, citizen: Citizen, facility: Facility, known: list,
             today: date) -> InjectionRecord | DomainError:  # `known`: the person's doses
    """The unsaved record of one dose of `doses_record`, or its refusal, in `dose_record`'s order:
    the duplicate first, then the dose's fields."""
    twin = same_dose_of(known, citizen_id=citizen.pk, vaccine=dose.vaccine,
                        injection_date=dose.injection_date)
    if twin is not None:
        return duplicate_refusal(twin)
    problem = injection_problem(dose_number=dose.dose_number, injection_date=dose.injection_date,
                                lot_number=dose.lot_number, today=today)
    return problem if problem is not None else _new_record(dose, citizen, facility)


def dose_correct(*, actor, record_id: int, precondition: Callable[[InjectionRecord], None] | None = None,
                 **changes) -> InjectionRecord:
    """Correct a current dose given at the actor's facility: a new version (the old one kept,
    superseded; its signatures too). `precondition(locked record)` may refuse before anything
    changes (the API's If-Match). Returns the new version; raises as ``dose_record``."""
    scope = _recording_scope(actor)
    with transaction.atomic():
        given_here = injections_in_scope(scope=scope, current_only=False).filter(pk=record_id)
        pk = given_here.values_list("pk", flat=True).first()
        current = (InjectionRecord.objects.select_for_update(of=("self",))
                   .select_related("vaccine", "citizen").filter(pk=pk).first()) if pk else None
        if current is None:
            raise NotFoundInScope(_("No such dose."))
        if precondition is not None:
            precondition(current)
        if not current.is_current:
            raise InvalidInput(_("This version has already been replaced by a newer one."))
        Citizen.objects.select_for_update().filter(pk=current.citizen_id).first()
        vaccine = changes.get("vaccine", current.vaccine)
        check_not_duplicate(current.citizen, vaccine, changes.get("injection_date", current.injection_date),
                            exclude_ids=[current.pk])
        return injection_record_correct(record=current, actor=actor, **changes)
