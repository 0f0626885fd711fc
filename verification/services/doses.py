"""Doses a facility records from its own software (the API), outside any case: the same record
services (records.services) and the same duplicate-dose rule (``check_not_duplicate``) as the
case page's "add a dose" and "correct a dose"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role
from records import normalize
from records.models import Citizen, Facility, InjectionRecord, VaccineProduct
from records.selectors import citizens_in_scope, injections_in_scope
from records.services import injection_record_correct, injection_record_create
from vaxrecon.access import Scope, scope_for
from vaxrecon.errors import InvalidInput, NotAllowed, NotFoundInScope
from verification.services.cases import check_not_duplicate


def _recording_scope(actor) -> Scope:
    scope = scope_for(actor)
    if scope.role != Role.CLINIC_STAFF or not scope.facility_id:
        raise NotAllowed(_("Only clinic staff can record doses."))
    return scope


def _citizen(scope: Scope, *, citizen_id: int | None, cccd: str) -> Citizen:
    """The person by CCCD (anyone may come to any facility) or by an id the scope can see; locked,
    so two requests for the same person check duplicates one after the other."""
    if cccd:
        qs = Citizen.objects.filter(cccd=normalize.digits_only(cccd))
    elif citizen_id:
        qs = citizens_in_scope(scope=scope).filter(pk=citizen_id)
    else:
        raise InvalidInput(_("Name the person by CCCD number or citizen id."), field="cccd")
    pk = qs.values_list("pk", flat=True).first()
    citizen = Citizen.objects.select_for_update().filter(pk=pk).first() if pk else None
    if citizen is None:
        raise NotFoundInScope(_("No citizen with this CCCD number."), field="cccd" if cccd else "citizen")
    return citizen


def dose_record(*, actor, vaccine: VaccineProduct, dose_number: int, injection_date: date,
                lot_number: str = "", citizen_id: int | None = None, cccd: str = "",
                source_record_id: str = "") -> InjectionRecord:
    """Record a dose given at the actor's facility; returns the record (version 1).
    Raises NotAllowed (not clinic staff), NotFoundInScope (no such person), DuplicateDose (the
    person has it: same vaccine family within 3 days), InvalidInput naming the field at fault."""
    scope = _recording_scope(actor)
    with transaction.atomic():
        citizen = _citizen(scope, citizen_id=citizen_id, cccd=cccd)
        check_not_duplicate(citizen, vaccine, injection_date)
        return injection_record_create(
            citizen=citizen, vaccine=vaccine, dose_number=dose_number, injection_date=injection_date,
            lot_number=lot_number, facility=Facility.objects.get(pk=scope.facility_id),
            source=InjectionRecord.Source.ADMINISTERED, source_record_id=source_record_id[:64], actor=actor)


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
