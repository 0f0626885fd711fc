"""Clinic staff: the queue of cases their facility answers for, and the case page."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from records.models import InjectionRecord
from vaxrecon.access import role_required, scope_for
from vaxrecon.errors import DomainError, NotFoundInScope
from verification import workflow
from verification.forms import (
    CitizenCreateForm,
    DoseForm,
    IdentityCorrectionForm,
    QueueFilterForm,
    RejectForm,
    RequestInfoForm,
)
from verification.police.selectors import registry_delay
from verification.selectors import QUEUE_OVERDUE_FIRST, case_candidates, case_queue, staff_case
from verification.services import (
    DuplicateDose,
    case_add_dose,
    case_correct_dose,
    case_correct_identity,
    case_create_citizen,
    case_link_citizen,
    case_reject,
    case_request_info,
    case_send_to_police,
    case_start_review,
    case_use_existing_dose,
)

S = workflow.CaseStatus
PAGE_SIZE = 25
clinic_only = role_required(Role.CLINIC_STAFF)


def deadline_info(case, now) -> dict:
    """The 48-hour clock as the queue shows it: hours left or overdue while the clinic holds
    the case; otherwise stopped, with whom the case waits on ("" once no one has to act)."""
    running = case.status in workflow.CLOCK_STATES
    seconds = (case.deadline_at - now).total_seconds()
    return {"running": running, "overdue": running and seconds < 0,
            "waiting_on": "" if running else workflow.WAITING_ON.get(case.status, ""),
            "hours": int(abs(seconds) // 3600), "minutes": int(abs(seconds) % 3600 // 60)}


@clinic_only
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    cases = case_queue(scope=scope_for(request.user), status=filters.get("status", ""),
                       submitted_from=filters.get("submitted_from"), submitted_to=filters.get("submitted_to"),
                       search=filters.get("q", ""), sort=filters.get("sort", ""))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(case, deadline_info(case, now)) for case in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "verification/clinic/queue.html",
                  {"form": form, "page": page, "rows": rows, "query": query.urlencode(),
                   "overdue_first": filters.get("sort") == QUEUE_OVERDUE_FIRST})


def _facilities_for(case, user):
    own = scope_for(user).facility_id
    from records.models import Facility

    ids = {own, case.facility_id, *case.claimed_doses.values_list("facility_id", flat=True)}
    return list(Facility.objects.filter(pk__in=[i for i in ids if i]))


def _case_context(request: HttpRequest, case, **forms) -> dict:
    citizen = case.citizen
    facilities = _facilities_for(case, request.user)
    own = scope_for(request.user).facility_id
    platform_doses = (InjectionRecord.objects.filter(citizen=citizen).select_related("vaccine", "facility")
                      .order_by("injection_date", "dose_number", "version") if citizen else [])
    claimed = list(case.claimed_doses.select_related("vaccine", "facility"))
    first = claimed[0] if claimed else None
    dose_initial = {"vaccine": first.vaccine.code if first and first.vaccine else None,
                    "dose_number": first.dose_number if first else 1,
                    "injection_date": first.injection_date.strftime("%d/%m/%Y") if first else "",
                    "lot_number": first.lot_number if first else "",
                    "facility": (first.facility_id if first and first.facility_id else own)}
    identity_initial = {"full_name": case.full_name, "sex": case.sex, "id_number": case.id_number,
                        "date_of_birth": case.date_of_birth.strftime("%d/%m/%Y") if case.date_of_birth
                        else case.birth_year}
    police = case.police_values or {}
    correction_initial = dict(identity_initial)
    for key in ("full_name", "sex"):
        if police.get(key):
            correction_initial[key] = police[key]
    if police.get("date_of_birth"):
        correction_initial["date_of_birth"] = police["date_of_birth"]
    if police.get("id_number") or police.get("cccd"):
        correction_initial["id_number"] = police.get("id_number") or police.get("cccd")
    allowed = {t.name for t in workflow.allowed_transitions(case.status, Role.CLINIC_STAFF)}
    editable = case.status in workflow.EDITABLE_STATES
    comparison = []
    if citizen:
        pairs = [(_("Full name"), case.full_name, citizen.full_name),
                 (_("Date of birth"), case.date_of_birth or case.birth_year,
                  citizen.date_of_birth or citizen.birth_year),
                 (_("Sex"), case.get_sex_display(), citizen.get_sex_display()),
                 (_("CCCD/CMND"), case.id_number, citizen.cccd or citizen.cmnd),
                 (_("Phone"), case.phone, citizen.phone)]
        comparison = [(label, a, b, str(a or "") != str(b or "")) for label, a, b in pairs]
    context = {
        "case": case, "deadline": deadline_info(case, timezone.now()), "claimed": claimed,
        "citizen": citizen, "comparison": comparison, "platform_doses": platform_doses,
        "case_injection_ids": set(case.injections.values_list("pk", flat=True)),
        "evidence": case.evidence.all(), "events": [(e, S(e.to_status).label if e.to_status in S.values else e.to_status)
                   for e in case.events.select_related("actor")],
        "candidates": case_candidates(case) if editable and not citizen else [],
        "allowed": allowed, "editable": editable, "police_values": police,
        "citizen_form": forms.get("citizen_form") or CitizenCreateForm(initial={**identity_initial, "phone": case.phone}),
        "identity_form": forms.get("identity_form") or IdentityCorrectionForm(initial=correction_initial,
                                                                              prefix="identity"),
        "dose_form": forms.get("dose_form") or DoseForm(initial=dose_initial, facilities=facilities),
        "correct_forms": forms.get("correct_forms") or {},
        "reject_form": forms.get("reject_form") or RejectForm(),
        "info_form": forms.get("info_form") or RequestInfoForm(),
        "duplicate": forms.get("duplicate"),
        "open_panel": forms.get("open_panel", ""),
        "reject_reasons": workflow.RejectReason,
        "delay": registry_delay() if case.status == S.AWAITING_POLICE else None,
    }
    for record in platform_doses:
        if record.is_current and record.pk not in context["correct_forms"]:
            context["correct_forms"][record.pk] = DoseForm(
                prefix=f"fix{record.pk}", facilities=facilities + ([record.facility] if record.facility else []),
                initial={"vaccine": record.vaccine.code, "dose_number": record.dose_number,
                         "injection_date": record.injection_date.strftime("%d/%m/%Y"),
                         "lot_number": record.lot_number, "facility": record.facility_id})
    context["correct_rows"] = [(r, context["correct_forms"].get(r.pk)) for r in platform_doses]
    return context


@clinic_only
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = staff_case(scope=scope_for(request.user), pk=pk)
    return render(request, "verification/clinic/case.html", _case_context(request, case))


def _rerender(request, case, status=400, **forms) -> HttpResponse:
    case.refresh_from_db()
    return render(request, "verification/clinic/case.html", _case_context(request, case, **forms), status=status)


def _form_error(form, exc: DomainError) -> None:
    field = exc.field
    if field == "cccd" or field == "cmnd":
        field = "id_number"
    form.add_error(field if field in form.fields else None, exc.message)


@clinic_only
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One POST endpoint per case action; errors come back on the named field of the form."""
    user = request.user
    case = staff_case(scope=scope_for(user), pk=pk)
    done = None
    try:
        if action == "start_review":
            case_start_review(case=case, actor=user)
            done = _("Review started. The 48-hour clock is running.")
        elif action == "link":
            citizen_id = request.POST.get("citizen", "")
            if not citizen_id.isdigit():
                raise NotFoundInScope(_("No such citizen."))
            case_link_citizen(case=case, actor=user, citizen_id=int(citizen_id))
            done = _("The case is linked to the citizen.")
        elif action == "create_citizen":
            form = CitizenCreateForm(request.POST)
            if not form.is_valid():
                return _rerender(request, case, citizen_form=form, open_panel="create_citizen")
            d = form.cleaned_data
            id_number = "".join(ch for ch in d["id_number"] if ch.isdigit())
            try:
                case_create_citizen(case=case, actor=user, full_name=d["full_name"], birth=d["date_of_birth"],
                                    sex=d["sex"], cccd=id_number if len(id_number) != 9 else "",
                                    cmnd=id_number if len(id_number) == 9 else "", phone=d.get("phone", ""))
            except DomainError as exc:
                _form_error(form, exc)
                return _rerender(request, case, citizen_form=form, open_panel="create_citizen")
            done = _("The citizen was created and linked to the case.")
        elif action == "correct_identity":
            form = IdentityCorrectionForm(request.POST, prefix="identity")
            if not form.is_valid():
                return _rerender(request, case, identity_form=form, open_panel="correct_identity")
            d = form.cleaned_data
            try:
                case_correct_identity(case=case, actor=user, full_name=d["full_name"], birth=d["date_of_birth"],
                                      sex=d["sex"], id_number=d["id_number"])
            except DomainError as exc:
                _form_error(form, exc)
                return _rerender(request, case, identity_form=form, open_panel="correct_identity")
            done = _("The identity was corrected.")
        elif action == "add_dose":
            form = DoseForm(request.POST, facilities=_facilities_for(case, user))
            if not form.is_valid():
                return _rerender(request, case, dose_form=form, open_panel="add_dose")
            d = form.cleaned_data
            try:
                case_add_dose(case=case, actor=user, vaccine=d["vaccine"], dose_number=d["dose_number"],
                              injection_date=d["injection_date"], lot_number=d["lot_number"],
                              facility=d.get("facility"))
            except DuplicateDose as exc:
                _form_error(form, exc)
                return _rerender(request, case, status=409, dose_form=form, duplicate=exc.existing,
                                 open_panel="add_dose")
            except DomainError as exc:
                _form_error(form, exc)
                return _rerender(request, case, dose_form=form, open_panel="add_dose")
            done = _("The dose was added.")
        elif action == "use_existing_dose":
            injection = request.POST.get("injection", "")
            if not injection.isdigit():
                raise NotFoundInScope(_("No such dose for the linked citizen."))
            case_use_existing_dose(case=case, actor=user, injection_id=int(injection))
            done = _("The existing dose is attached to the case.")
        elif action == "correct_dose":
            injection = request.POST.get("injection", "")
            if not injection.isdigit():
                raise NotFoundInScope(_("No such dose for the linked citizen."))
            record = InjectionRecord.objects.filter(pk=int(injection), citizen_id=case.citizen_id).first()
            if record is None:
                raise NotFoundInScope(_("No such dose for the linked citizen."))
            facilities = _facilities_for(case, user) + ([record.facility] if record.facility else [])
            form = DoseForm(request.POST, prefix=f"fix{record.pk}", facilities=facilities)
            if not form.is_valid():
                return _rerender(request, case, correct_forms={record.pk: form}, open_panel=f"fix{record.pk}")
            d = form.cleaned_data
            try:
                case_correct_dose(case=case, actor=user, injection_id=record.pk, vaccine=d["vaccine"],
                                  dose_number=d["dose_number"], injection_date=d["injection_date"],
                                  lot_number=d["lot_number"], facility=d.get("facility"))
            except DomainError as exc:
                _form_error(form, exc)
                return _rerender(request, case, status=409 if isinstance(exc, DuplicateDose) else 400,
                                 correct_forms={record.pk: form}, open_panel=f"fix{record.pk}")
            done = _("The dose was corrected; the previous version is kept.")
        elif action == "send_to_police":
            case_send_to_police(case=case, actor=user)
            done = _("Sent to the commune police for the identity check.")
        elif action == "reject":
            form = RejectForm(request.POST)
            if not form.is_valid():
                return _rerender(request, case, reject_form=form, open_panel="reject")
            try:
                case_reject(case=case, actor=user, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"])
            except DomainError as exc:
                _form_error(form, exc)
                return _rerender(request, case, reject_form=form, open_panel="reject")
            done = _("The case is rejected; the citizen is told by SMS.")
        elif action == "request_info":
            form = RequestInfoForm(request.POST)
            if not form.is_valid():
                return _rerender(request, case, info_form=form, open_panel="request_info")
            try:
                case_request_info(case=case, actor=user, message=form.cleaned_data["message"])
            except DomainError as exc:
                _form_error(form, exc)
                return _rerender(request, case, info_form=form, open_panel="request_info")
            done = _("The citizen is asked for more information by SMS.")
        else:
            raise NotFoundInScope(_("No such action."))
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, exc.message)
        return redirect("verification:case_detail", pk=case.pk)
    messages.success(request, done)
    return redirect("verification:case_detail", pk=case.pk)


@clinic_only
def evidence_file(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """A case's evidence file, only to staff whose scope holds the case."""
    case = staff_case(scope=scope_for(request.user), pk=pk)
    evidence = case.evidence.filter(pk=evidence_pk).first()
    if evidence is None:
        raise NotFoundInScope(_("No such file."))
    response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
