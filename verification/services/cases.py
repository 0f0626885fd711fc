"""The named steps of the procedure on a case (steps 1 and 2 of 8938/BYT-DP).

Each service checks who acts in which scope, changes the records, and moves the case
through `case_transition` (state changes) or `case_event` (changes within a state), so
every change leaves a timeline entry and an audit event.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from records import normalize
from records.audit import record_event, snapshot
from records.models import Citizen, Facility, InjectionRecord, VaccineProduct, Ward, validate_identity
from records.services import (
    citizen_create,
    injection_record_correct,
    injection_record_create,
    validate_injection,
)
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidInput, InvalidTransition, NotAllowed, NotFoundInScope
from verification import workflow
from verification.imports.review_selectors import claim_record, differing_fields, registry_search
from verification.imports.reviews import confirmed_reason
from verification.models import REVIEW_DEADLINE, ClaimedDose, OneTimeCode, ReconciliationCase
from verification.selectors import (
    DUPLICATE_WINDOW,
    case_candidates,
    case_scope_q,
    current_doses_seen,
    same_dose_of,
)
from verification.services.evidence import evidence_attach, evidence_check
from verification.services.otp import otp_allowance, otp_send, otp_verify
from verification.services.transitions import AUDITED_FIELDS, case_event, case_transition
from verification.timeline import line

__all__ = [
    "DuplicateDose", "case_submit", "case_resend_code", "case_confirm", "case_start_review",
    "case_link_citizen", "case_create_citizen", "case_correct_identity", "case_add_dose",
    "case_use_existing_dose", "case_correct_dose", "case_send_to_police", "case_reject",
    "case_request_info", "case_provide_info", "case_withdraw", "case_open", "check_not_duplicate",
    "duplicate_refusal",
]

S = workflow.CaseStatus


class DuplicateDose(InvalidInput):
    """The dose already exists for this person (same vaccine family, date ± 3 days): 409, as the
    case page answers it."""

    status_code, code = 409, "duplicate_dose"

    def __init__(self, message: str, *, existing: InjectionRecord):
        super().__init__(message, field="injection_date")
        self.existing = existing


# --- Citizens: report, confirm --------------------------------------------------------------

def _claimed_identity_errors(*, full_name: str, birth: normalize.BirthDate, sex: str, id_number: str,
                             phone: str, phone_required: bool = True) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not normalize.normalize_name(full_name):
        errors["full_name"] = _("Full name is required, exactly as on the CCCD.")
    if not birth.is_known:
        errors["date_of_birth"] = _("Date of birth (or at least the year) is required.")
    if sex not in ("M", "F"):
        errors["sex"] = _("Choose male or female, as on the CCCD.")
    if id_number and len(id_number) not in (9, 12):
        errors["id_number"] = _("A CCCD number has 12 digits; an old CMND number has 9.")
    elif id_number:
        identity = validate_identity(cccd=id_number if len(id_number) == 12 else "",
                                     cmnd=id_number if len(id_number) == 9 else "",
                                     sex=sex, birth_year=birth.year, phone="")
        if identity:
            errors["id_number"] = next(iter(identity.values()))
    if not phone and phone_required:
        errors["phone"] = _("A mobile phone number is required: the confirmation code is sent to it.")
    elif phone and not normalize.is_valid_phone(phone):
        errors["phone"] = _("Phone number must have 10 digits starting with 0 (e.g. 0912345678).")
    return errors


def _raise_first(errors: dict[str, str]) -> None:
    """Refuse with every field at fault (the first leads), so a form shows them all at once."""
    if errors:
        raise InvalidInput.first_of(errors)


def report_errors(*, full_name: str, birth: normalize.BirthDate, sex: str, id_number: str, phone: str,
                  ward: Ward | None, vaccine: VaccineProduct | None, vaccine_text: str = "", dose_number,
                  injection_date: date | None, lot_number: str = "") -> dict[str, str]:
    """Field -> message for every rule a citizen's report breaks (`case_submit` refuses with
    them all); the report page also asks it for the fields its form could read when another
    field could not be read, so the citizen sees every error at once."""
    id_number = normalize.digits_only(id_number)
    phone = normalize.normalize_phone(phone) or (phone or "").strip()  # "abc" is a wrong phone, not none
    errors = _claimed_identity_errors(full_name=full_name, birth=birth, sex=sex, id_number=id_number,
                                      phone=phone)
    if ward is None:
        errors["ward"] = _("Choose the commune or ward where you live.")
    if vaccine is None and not (vaccine_text or "").strip():
        errors["vaccine"] = _("Choose the vaccine (or “I don't know”).")
    dose_errors = validate_injection(dose_number=dose_number, injection_date=injection_date,
                                     lot_number=(lot_number or "").strip())
    errors.update({k: str(v) for k, v in dose_errors.items() if k not in errors})
    return errors


def case_submit(
    *, full_name: str, birth: normalize.BirthDate, sex: str, id_number: str, phone: str, ward: Ward,
    facility: Facility | None, vaccine: VaccineProduct | None, vaccine_text: str = "", dose_number: int,
    injection_date: date | None, lot_number: str = "", files=(),
) -> ReconciliationCase:
    """A citizen's report of a missing or wrong dose. Stores it unconfirmed and texts a
    one-time code to the phone; the clinic sees it only after `case_confirm`.
    Returns the unconfirmed case. Raises InvalidInput naming the field at fault."""
    _raise_first(report_errors(full_name=full_name, birth=birth, sex=sex, id_number=id_number, phone=phone,
                               ward=ward, vaccine=vaccine, vaccine_text=vaccine_text, dose_number=dose_number,
                               injection_date=injection_date, lot_number=lot_number))
    id_number = normalize.digits_only(id_number)
    phone = normalize.normalize_phone(phone)
    lot_number = (lot_number or "").strip()
    checked = evidence_check(files)  # before anything is written
    otp_allowance(phone=phone)
    with transaction.atomic():
        case = ReconciliationCase.objects.create(
            origin=ReconciliationCase.Origin.CITIZEN_REPORT, full_name=full_name, date_of_birth=birth.value,
            birth_year=birth.year, dob_precision=birth.precision, sex=sex, id_number=id_number, phone=phone,
            ward=ward, facility=facility, confirmed=False)
        ClaimedDose.objects.create(case=case, vaccine=vaccine, vaccine_text=(vaccine_text or "")[:60],
                                   dose_number=dose_number, injection_date=injection_date, facility=facility,
                                   lot_number=lot_number)
        evidence_attach(case=case, files=[f for f, _kind in checked])
        record_event(actor=None, actor_label=workflow.CITIZEN, action="case.report", obj=case,
                     after=snapshot(case, AUDITED_FIELDS))
    otp_send(phone=phone, purpose=OneTimeCode.Purpose.CONFIRM_REPORT, case=case)
    return case


def case_open(*, actor, full_name: str, birth: normalize.BirthDate, sex: str, id_number: str = "",
              phone: str = "", ward: Ward | None = None, vaccine: VaccineProduct | None,
              dose_number: int, injection_date: date | None, lot_number: str = "") -> ReconciliationCase:
    """Clinic staff open a case for a person at their desk (or their software does): the claim is
    checked as a citizen's report is, but needs no phone code; it is open for review at once, at
    the actor's facility, with the 48-hour deadline. `ward` defaults to the facility's commune.
    Returns the case. Raises NotAllowed for another role, InvalidInput naming the field at fault."""
    scope = scope_for(actor)
    if scope.role != Role.CLINIC_STAFF or not scope.facility_id:
        raise NotAllowed(_("Only clinic staff can do this."))
    facility = Facility.objects.select_related("ward").get(pk=scope.facility_id)
    id_number, phone = normalize.digits_only(id_number), normalize.normalize_phone(phone)
    lot_number = (lot_number or "").strip()
    errors = _claimed_identity_errors(full_name=full_name, birth=birth, sex=sex, id_number=id_number,
                                      phone=phone, phone_required=False)
    if vaccine is None:
        errors["vaccine"] = _("Choose the vaccine.")
    errors.update({k: str(v) for k, v in validate_injection(
        dose_number=dose_number, injection_date=injection_date, lot_number=lot_number).items()
        if k not in errors})
    _raise_first(errors)
    now = timezone.now()
    with transaction.atomic():
        case = ReconciliationCase.objects.create(
            origin=ReconciliationCase.Origin.CLINIC_ENTRY, full_name=full_name, date_of_birth=birth.value,
            birth_year=birth.year, dob_precision=birth.precision, sex=sex, id_number=id_number, phone=phone,
            ward=ward or facility.ward, facility=facility, confirmed=True, submitted_at=now,
            deadline_at=now + REVIEW_DEADLINE)
        ClaimedDose.objects.create(case=case, vaccine=vaccine, dose_number=dose_number,
                                   injection_date=injection_date, facility=facility, lot_number=lot_number)
        record_event(actor=actor, action="case.open", obj=case, after=snapshot(case, AUDITED_FIELDS))
    return case


def case_resend_code(*, case: ReconciliationCase) -> OneTimeCode:
    """Send a fresh code for an unconfirmed report (limits apply)."""
    if case.confirmed:
        raise InvalidInput(_("This report is already confirmed."), field="code")
    return otp_send(phone=case.phone, purpose=OneTimeCode.Purpose.CONFIRM_REPORT, case=case)


def _same_dose(a: ClaimedDose, b: ClaimedDose) -> bool:
    if a.vaccine_id and b.vaccine_id and a.vaccine.family != b.vaccine.family:
        return False
    days_apart = abs((a.injection_date - b.injection_date).days)
    return a.dose_number == b.dose_number or days_apart <= DUPLICATE_WINDOW.days


def _open_twin(draft: ReconciliationCase) -> ReconciliationCase | None:
    """An open, confirmed report from the same phone for the same person and dose."""
    same_person = ReconciliationCase.objects.filter(
        origin=ReconciliationCase.Origin.CITIZEN_REPORT, confirmed=True, phone=draft.phone,
        status__in=workflow.OPEN_STATES, name_key=draft.name_key, birth_year=draft.birth_year,
    ).exclude(pk=draft.pk).order_by("submitted_at")
    claims = list(draft.claimed_doses.select_related("vaccine"))
    for case in same_person:
        if case.id_number and draft.id_number and case.id_number != draft.id_number:
            continue
        theirs = list(case.claimed_doses.select_related("vaccine"))
        if any(_same_dose(mine, other) for mine in claims for other in theirs):
            return case
    return None


def case_confirm(*, case: ReconciliationCase, code: str) -> ReconciliationCase:
    """Check the one-time code of an unconfirmed report and open it for the clinic, with a
    fresh 48-hour deadline. A repeat of an open report (same phone, person and dose) joins
    that report instead: its evidence moves over. Returns the case the citizen should follow."""
    if case.confirmed:
        raise InvalidInput(_("This report is already confirmed."), field="code")
    otp_verify(phone=case.phone, purpose=OneTimeCode.Purpose.CONFIRM_REPORT, code=code, case=case)
    with transaction.atomic():
        draft = ReconciliationCase.objects.select_for_update().get(pk=case.pk)
        twin = _open_twin(draft)
        if twin is not None:
            twin = ReconciliationCase.objects.select_for_update().get(pk=twin.pk)
            moved = draft.evidence.update(case=twin)
            case_event(case=twin, actor=workflow.CITIZEN, action="join_report",
                       data={"joined_report": draft.tracking_code, **line("join_report", n=moved)})
            # The draft stays unconfirmed (never shown, purged with the other stale drafts).
            case_event(case=draft, actor=workflow.CITIZEN, action="joined",
                       data={"joined_into": twin.tracking_code, **line("joined", code=twin.tracking_code)})
            return twin
        now = timezone.now()
        before = snapshot(draft, AUDITED_FIELDS)
        draft.confirmed, draft.submitted_at, draft.deadline_at = True, now, now + REVIEW_DEADLINE
        draft.save(update_fields=["confirmed", "submitted_at", "deadline_at", "updated_at"])
        case_event(case=draft, actor=workflow.CITIZEN, action="confirm", data=line("confirm"), before=before)
    return draft


# --- Clinic staff -------------------------------------------------------------------------

def _clinic_case(case: ReconciliationCase | int, actor, *, states=workflow.EDITABLE_STATES,
                 action: str = "") -> ReconciliationCase:
    """Lock a case in the clinic user's scope and in one of `states`, or refuse clearly."""
    pk = case.pk if isinstance(case, ReconciliationCase) else case
    locked = (ReconciliationCase.objects.select_for_update()
              .filter(case_scope_q(scope_for(actor)), pk=pk).first())
    if locked is None:
        raise NotFoundInScope(_("No such case."))
    if scope_for(actor).role != Role.CLINIC_STAFF:
        raise NotAllowed(_("Only clinic staff can do this."))
    if locked.status not in states:
        raise InvalidTransition(_("A case that is “%(state)s” cannot be changed this way: %(action)s.")
                                % {"state": S(locked.status).label, "action": action or _("edit")})
    return locked


def _mark_updated(case: ReconciliationCase, actor, *, action: str, said: dict,
                  data=None) -> ReconciliationCase:
    """After a change to the records: the first one moves the case to “record updated”.
    `said`: the timeline line (``timeline.line``)."""
    data = {**(data or {}), **said}
    if case.status == S.RECORD_UPDATED:
        case_event(case=case, actor=actor, action=action, data=data)
        return case
    # The timeline names what was done either way (the daily reports count doses added).
    return case_transition(case=case, name="update_record", actor=actor, data={"action": action, **data})


def case_start_review(*, case: ReconciliationCase | int, actor) -> ReconciliationCase:
    """The clinic takes up a submitted case."""
    return case_transition(case=case, name="start_review", actor=actor)


def case_link_citizen(*, case: ReconciliationCase | int, actor, citizen_id: int, confirmed: bool = False,
                      reason: str = "", search: dict | None = None) -> ReconciliationCase:
    """Link the case to one of its candidate citizens, or to one the registry search `search`
    (registry_search's terms) finds again now, scored alike (never to anyone else). Returns the
    case.

    When the citizen differs from the claim in date of birth, CCCD/CMND or commune/ward, staff
    must confirm it (`confirmed`) and say why (`reason`), as on the match review: the fields and
    the reason are kept in the timeline and the audit event (with the search's keys when the
    search found the citizen). Raises InvalidInput otherwise."""
    with transaction.atomic():
        locked = _clinic_case(case, actor, action=_("link a citizen"))
        found = registry_search(**search) if search else []
        candidates = {c.citizen.pk: c for c in case_candidates(locked, extra=found)}
        candidate = candidates.get(int(citizen_id))
        if candidate is None:
            raise InvalidInput(_("This person is not among the candidates for the case."), field="citizen")
        if not candidate.selectable:
            raise InvalidInput(_("The evidence is against this candidate being the person: search the "
                                 "registry or create a new citizen."), field="citizen")
        citizen = candidate.citizen
        if locked.injections.exclude(citizen=citizen).exists():
            raise InvalidInput(_("Doses were already recorded for another person on this case."),
                               field="citizen")
        differs = differing_fields(claim_record(locked), citizen)
        reason = confirmed_reason(differs, confirmed=confirmed, reason=reason, refusal=_(
            "This person differs from the claim in: %(fields)s. Confirm that it is the same person."))
        _set_citizen(locked, citizen, actor=actor, action="link_citizen",
                     differs={"differs_in": differs, "reason": reason} if differs else None,
                     found_by=sorted(k for k, v in search.items() if v)
                     if any(c.pk == citizen.pk for c in found) else None)
    return locked


def _set_citizen(locked: ReconciliationCase, citizen: Citizen, *, actor, action: str,
                 differs: dict | None = None, found_by: list[str] | None = None) -> None:
    """Bind the (locked) case to `citizen`, with its timeline event ("Linked to the citizen X"
    or "Created the citizen X", by `action`) and audit snapshot; `differs`: the confirmed
    differences ({"differs_in": field keys, "reason": why}), and `found_by` (the registry
    search's keys that found the citizen), kept in both."""
    differs = {**(differs or {}), **({"found_by_search": found_by} if found_by else {})} or None
    before = snapshot(locked, AUDITED_FIELDS)
    locked.citizen = citizen
    locked.save(update_fields=["citizen", "updated_at"])
    said = (line("link_citizen_differs", name=citizen.full_name, fields=differs["differs_in"],
                 reason=differs["reason"]) if differs and "differs_in" in differs
            else line(action, name=citizen.full_name))
    case_event(case=locked, actor=actor, action=action, before=before,
               after={**snapshot(locked, AUDITED_FIELDS), **(differs or {})},
               data={"citizen": citizen.pk, **(differs or {}), **said})


def _split_id_number(typed: str) -> tuple[str, str]:
    """The number as typed, to (cccd, cmnd): nine digits are an old CMND, anything else a CCCD
    (so a wrong length is refused by the CCCD's own check)."""
    digits = normalize.digits_only(typed)
    return ("", digits) if len(digits) == 9 else (digits, "")


def case_create_citizen(*, case: ReconciliationCase | int, actor, full_name: str, birth: normalize.BirthDate,
                        sex: str, id_number: str = "", cccd: str = "", cmnd: str = "",
                        phone: str = "") -> Citizen:
    """Create the person on the platform from the (checked) claimed identity and link the case.
    `id_number` is the CCCD or CMND as typed (told apart by its length); `cccd`/`cmnd` give
    them apart instead. Returns the citizen. Raises InvalidInput naming the field at fault."""
    if id_number:
        cccd, cmnd = _split_id_number(id_number)
    with transaction.atomic():
        locked = _clinic_case(case, actor, action=_("create a citizen"))
        if locked.citizen_id:
            raise InvalidInput(_("The case is already linked to a citizen."), field="citizen")
        nationality = locked.nationality
        citizen = citizen_create(full_name=full_name, birth=birth, sex=sex, cccd=cccd, cmnd=cmnd, phone=phone,
                                 ward=locked.ward, nationality=nationality, actor=actor)
        _set_citizen(locked, citizen, actor=actor, action="create_citizen")
    return citizen


IDENTITY_FIELDS = ("full_name", "date_of_birth", "birth_year", "dob_precision", "sex", "cccd", "cmnd")


def case_correct_identity(*, case: ReconciliationCase | int, actor, full_name: str,
                          birth: normalize.BirthDate, sex: str, id_number: str) -> ReconciliationCase:
    """Correct the linked citizen's four identity fields (e.g. to the police's values) and the
    case's claim with them, so the police check the corrected identity. Returns the case."""
    id_number = normalize.digits_only(id_number)
    with transaction.atomic():
        locked = _clinic_case(case, actor, action=_("correct the identity"))
        citizen = locked.citizen
        if citizen is None:
            raise InvalidInput(_("Link the case to a citizen first."), field="citizen")
        errors = _claimed_identity_errors(full_name=full_name, birth=birth, sex=sex, id_number=id_number,
                                          phone="", phone_required=False)
        _raise_first(errors)
        cccd = id_number if len(id_number) == 12 else (citizen.cccd or "")
        cmnd = id_number if len(id_number) == 9 else citizen.cmnd
        if cccd and Citizen.objects.filter(cccd=cccd).exclude(pk=citizen.pk).exists():
            raise InvalidInput(_("Another citizen already has this CCCD number."), field="id_number")
        citizen = Citizen.objects.select_for_update().get(pk=citizen.pk)
        citizen_before = snapshot(citizen, list(IDENTITY_FIELDS))
        citizen.full_name, citizen.sex, citizen.cccd, citizen.cmnd = full_name, sex, cccd or None, cmnd
        citizen.date_of_birth, citizen.birth_year = birth.value, birth.year
        citizen.dob_precision = birth.precision
        citizen.save()
        record_event(actor=actor, action="citizen.correct_identity", obj=citizen, before=citizen_before,
                     after=snapshot(citizen, list(IDENTITY_FIELDS)))
        locked.full_name, locked.sex, locked.id_number = full_name, sex, id_number or locked.id_number
        locked.date_of_birth, locked.birth_year = birth.value, birth.year
        locked.dob_precision = birth.precision
        locked.save()
        return _mark_updated(locked, actor, action="correct_identity",
                             said=line("correct_identity", name=citizen.full_name))


def check_not_duplicate(citizen: Citizen, vaccine: VaccineProduct, injection_date: date,
                        exclude_ids=()) -> None:
    """Refuse a dose the person already has (DuplicateDose naming it): the one duplicate-dose rule of
    the case page, the API's own records and their corrections."""
    # The person's doses as plain rows with their vaccine's family (no records, vaccines and
    # facilities built, no three-table select compiled: the largest part of a one-dose create's
    # CPU), in no order: the rule picks the earliest twin itself. A twin is then read as the record.
    twin = same_dose_of(current_doses_seen(citizen_ids=[citizen.pk]), citizen_id=citizen.pk,
                        vaccine=vaccine, injection_date=injection_date, exclude_ids=exclude_ids)
    if twin is not None:
        raise duplicate_refusal(InjectionRecord.objects.select_related("vaccine", "facility").get(pk=twin.pk))


def duplicate_refusal(twin: InjectionRecord) -> DuplicateDose:
    """The refusal of a dose that is `twin` again (check_not_duplicate's, the bulk path's)."""
    return DuplicateDose(
        _("This person already has this dose: %(vaccine)s on %(date)s (dose %(n)s). "
          "Doses of the same vaccine within 3 days are the same dose; it was not added.")
        % {"vaccine": twin.vaccine.name, "date": twin.injection_date.strftime("%d/%m/%Y"),
           "n": twin.dose_number},
        existing=twin)


def case_add_dose(*, case: ReconciliationCase | int, actor, vaccine: VaccineProduct, dose_number: int,
                  injection_date: date, lot_number: str = "",
                  facility: Facility | None = None) -> InjectionRecord:
    """Record the missing dose for the linked citizen and attach it to the case.
    Raises DuplicateDose (with `.existing`) when the person already has it."""
    with transaction.atomic():
        locked = _clinic_case(case, actor, action=_("add a dose"))
        if locked.citizen_id is None:
            raise InvalidInput(_("Link the case to a citizen first."), field="citizen")
        if injection_date:
            check_not_duplicate(locked.citizen, vaccine, injection_date)
        record = injection_record_create(
            citizen=locked.citizen, vaccine=vaccine, dose_number=dose_number, injection_date=injection_date,
            lot_number=lot_number, facility=facility, source=InjectionRecord.Source.REPORTED, actor=actor)
        locked.injections.add(record)
        (ClaimedDose.objects.filter(case=locked, injection__isnull=True, dose_number=dose_number)
         .update(injection=record))
        _mark_updated(locked, actor, action="add_dose", data={"injection": record.pk},
                      said=line("add_dose", vaccine=vaccine.name, n=dose_number, date=injection_date))
    return record


def case_use_existing_dose(*, case: ReconciliationCase | int, actor, injection_id: int) -> InjectionRecord:
    """The dose was on the platform already (e.g. flagged as a duplicate): attach it to the case."""
    with transaction.atomic():
        locked = _clinic_case(case, actor, action=_("use an existing dose"))
        record = (InjectionRecord.objects.filter(pk=injection_id, citizen_id=locked.citizen_id)
                  .exclude(status=InjectionRecord.Status.SUPERSEDED).first())
        if record is None or locked.citizen_id is None:
            raise NotFoundInScope(_("No such dose for the linked citizen."))
        locked.injections.add(record)
        _mark_updated(locked, actor, action="use_existing_dose", data={"injection": record.pk},
                      said=line("use_existing_dose", vaccine=record.vaccine.name, date=record.injection_date))
    return record


def case_correct_dose(*, case: ReconciliationCase | int, actor, injection_id: int,
                      **changes) -> InjectionRecord:
    """Correct one of the linked citizen's doses: a new version is written and the old one
    (signed or not) is kept, superseded. Returns the new version."""
    with transaction.atomic():
        locked = _clinic_case(case, actor, action=_("correct a dose"))
        current = (InjectionRecord.objects.select_related("vaccine")
                   .filter(pk=injection_id, citizen_id=locked.citizen_id)
                   .exclude(status=InjectionRecord.Status.SUPERSEDED).first())
        if current is None or locked.citizen_id is None:
            raise NotFoundInScope(_("No such dose for the linked citizen."))
        vaccine = changes.get("vaccine", current.vaccine)
        injection_date = changes.get("injection_date", current.injection_date)
        if injection_date:
            check_not_duplicate(locked.citizen, vaccine, injection_date, exclude_ids=[current.pk])
        new = injection_record_correct(record=current, actor=actor, **changes)
        locked.injections.remove(current)
        locked.injections.add(new)
        _mark_updated(locked, actor, action="correct_dose",
                      data={"injection": new.pk, "previous": current.pk},
                      said=line("correct_dose", v=new.version, vaccine=new.vaccine.name, n=new.dose_number,
                                date=new.injection_date))
    return new


def case_send_to_police(*, case: ReconciliationCase | int, actor) -> ReconciliationCase:
    """Hand the updated record to the commune police of the person's ward for the identity check."""
    with transaction.atomic():
        locked = _clinic_case(case, actor, states={S.RECORD_UPDATED}, action=_("send to police"))
        if locked.citizen_id is None:
            raise InvalidInput(_("Link the case to a citizen before sending it to the police."),
                               field="citizen")
        if not locked.injections.exclude(status=InjectionRecord.Status.SUPERSEDED).exists():
            raise InvalidInput(_("Add or confirm at least one dose before sending the case to the police."))
        return case_transition(case=locked, name="send_to_police", actor=actor,
                               data=line("send_to_police", ward=locked.ward.name))


def case_reject(*, case: ReconciliationCase | int, actor, reason: str, note: str = "") -> ReconciliationCase:
    """Reject with one of the set reasons (OTHER needs a note); the citizen is told by SMS."""
    note = (note or "").strip()
    if reason not in workflow.RejectReason.values:
        raise InvalidInput(_("Choose a reason."), field="reason")
    if reason == workflow.RejectReason.OTHER and not note:
        raise InvalidInput(_("Explain the reason in a few words."), field="note")
    return case_transition(case=case, name="reject", actor=actor, message=note,
                           data={"reason": reason}, updates={"reject_reason": reason, "reject_note": note})


def case_request_info(*, case: ReconciliationCase | int, actor, message: str) -> ReconciliationCase:
    """Ask the citizen for more information (shown on their status page, announced by SMS)."""
    message = (message or "").strip()
    if len(message) < 5:
        raise InvalidInput(_("Write what the citizen should send or correct."), field="message")
    return case_transition(case=case, name="request_info", actor=actor, message=message,
                           updates={"info_request": message})


def case_provide_info(*, case: ReconciliationCase, message: str = "", files=()) -> ReconciliationCase:
    """The citizen answers a request for information (text and/or files); back to review."""
    message = (message or "").strip()
    if not message and not files:
        raise InvalidInput(_("Write an answer or attach a file."), field="message")
    checked = evidence_check(files)
    with transaction.atomic():
        moved = case_transition(case=case, name="provide_info", actor=workflow.CITIZEN, message=message,
                                data={"files": len(checked)})
        evidence_attach(case=moved, files=[f for f, _kind in checked])
    return moved


def case_withdraw(*, case: ReconciliationCase) -> ReconciliationCase:
    """The citizen withdraws their report (proven by a code on the status page)."""
    return case_transition(case=case, name="withdraw", actor=workflow.CITIZEN, data=line("withdraw"))
