"""The clinic's actions on a case: one POST view per action URL, each calling one service.

They answer alike. Done: a message, back to the case page. A step the case's state refuses: its
message on the case page (an outsider's 403/404 is left to the one error mapping). A form the
service refuses: the case page again with the input as typed and the error on its field (400, or
409 when the dose is already recorded).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaxrecon.access import scope_for
from vaxrecon.errors import DomainError, NotFoundInScope
from verification.forms import (
    CitizenCreateForm,
    DoseForm,
    IdentityCorrectionForm,
    RejectForm,
    RequestInfoForm,
)
from verification.imports.forms import RegistrySearchForm
from verification.selectors import case_citizen_dose, case_facilities, staff_case
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
from verification.views.clinic.case_page import case_page_again
from verification.views.clinic.queue import clinic_only


def case_action(view: Callable) -> Callable:
    """Clinic staff only, POST only; the view gets the case, found within the user's scope."""
    @clinic_only
    @require_POST
    @wraps(view)
    def action(request: HttpRequest, pk: int, **kwargs) -> HttpResponse:
        return view(request, staff_case(scope=scope_for(request.user), pk=pk), **kwargs)
    return action


def _back(request: HttpRequest, case, done: str) -> HttpResponse:
    messages.success(request, done)
    return redirect("verification:case_detail", pk=case.pk)


def _step(request: HttpRequest, case, service: Callable, *, done: str, **arguments) -> HttpResponse:
    """An action without a form: `service(case=, actor=, **arguments)`; a refusal by the case's
    state is shown as a message."""
    try:
        service(case=case, actor=request.user, **arguments)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, exc.message)
        return redirect("verification:case_detail", pk=case.pk)
    return _back(request, case, done)


def _form_error(form: Form, exc: DomainError) -> None:
    """Every field the service refused, each on its field (or above the form)."""
    for name, message in (exc.errors or {None: exc.message}).items():
        field = "id_number" if name in ("cccd", "cmnd") else name
        form.add_error(field if field in form.fields else None, message)


def _submit(request: HttpRequest, case, form: Form, perform: Callable[[dict], object], *, done: str,
            panel: str, shown: dict, offer_existing: bool = False) -> HttpResponse:
    """The one form-handling path: a valid form goes to the service; an invalid form or the
    service's refusal comes back on the page as `shown` (the form by its context name)."""
    status, duplicate = 400, {}
    if form.is_valid():
        try:
            perform(form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
            if isinstance(exc, DuplicateDose):
                status = 409
                duplicate = {"duplicate": exc.existing} if offer_existing else {}
        else:
            return _back(request, case, done)
    return case_page_again(request, case, status=status, open_panel=panel, **shown, **duplicate)


def _posted_id(request: HttpRequest, name: str, missing: str) -> int:
    value = request.POST.get(name, "")
    if not value.isdigit():
        raise NotFoundInScope(missing)
    return int(value)


@case_action
def start_review(request: HttpRequest, case) -> HttpResponse:
    return _step(request, case, case_start_review, done=_("Review started. The 48-hour clock is running."))


@case_action
def link_citizen(request: HttpRequest, case) -> HttpResponse:
    """A candidate chosen, or a citizen the registry search found (its terms come along)."""
    search = RegistrySearchForm(request.POST)
    terms = search.terms() if search.is_valid() and search.has_terms() else None
    arguments = {"citizen_id": _posted_id(request, "citizen", _("No such citizen.")),
                 "confirmed": request.POST.get("confirm") == "on", "reason": request.POST.get("reason", ""),
                 "search": terms}
    done = _("The case is linked to the citizen.")
    if terms is None:
        return _step(request, case, case_link_citizen, done=done, **arguments)
    try:
        case_link_citizen(case=case, actor=request.user, **arguments)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, exc.message)  # the search's results again, the refusal above them
        return case_page_again(request, case, search_form=search)
    return _back(request, case, done)


@case_action
def registry_search(request: HttpRequest, case) -> HttpResponse:
    """The case page with the registry searched by CCCD/CMND, phone, or name and date of birth
    (POSTed, so no number lands in a URL or a log), the case's scope checked first."""
    return case_page_again(request, case, status=200, search_form=RegistrySearchForm(request.POST))


@case_action
def create_citizen(request: HttpRequest, case) -> HttpResponse:
    form = CitizenCreateForm(request.POST)
    return _submit(request, case, form, lambda d: case_create_citizen(
        case=case, actor=request.user, full_name=d["full_name"], birth=d["date_of_birth"], sex=d["sex"],
        id_number=d["id_number"], phone=d.get("phone", "")),
        done=_("The citizen was created and linked to the case."), panel="create_citizen",
        shown={"citizen_form": form})


@case_action
def correct_identity(request: HttpRequest, case) -> HttpResponse:
    form = IdentityCorrectionForm(request.POST, prefix="identity")
    return _submit(request, case, form, lambda d: case_correct_identity(
        case=case, actor=request.user, full_name=d["full_name"], birth=d["date_of_birth"], sex=d["sex"],
        id_number=d["id_number"]),
        done=_("The identity was corrected."), panel="correct_identity", shown={"identity_form": form})


@case_action
def add_dose(request: HttpRequest, case) -> HttpResponse:
    form = DoseForm(request.POST, facilities=case_facilities(case=case, scope=scope_for(request.user)))
    return _submit(request, case, form, lambda d: case_add_dose(
        case=case, actor=request.user, vaccine=d["vaccine"], dose_number=d["dose_number"],
        injection_date=d["injection_date"], lot_number=d["lot_number"], facility=d.get("facility")),
        done=_("The dose was added."), panel="add_dose", shown={"dose_form": form}, offer_existing=True)


@case_action
def use_existing_dose(request: HttpRequest, case) -> HttpResponse:
    return _step(request, case, case_use_existing_dose, done=_("The existing dose is attached to the case."),
                 injection_id=_posted_id(request, "injection", _("No such dose for the linked citizen.")))


@case_action
def correct_dose(request: HttpRequest, case) -> HttpResponse:
    injection_id = _posted_id(request, "injection", _("No such dose for the linked citizen."))
    record = case_citizen_dose(case=case, injection_id=injection_id)
    facilities = case_facilities(case=case, scope=scope_for(request.user))
    form = DoseForm(request.POST, prefix=f"fix{record.pk}",
                    facilities=facilities + ([record.facility] if record.facility else []))
    return _submit(request, case, form, lambda d: case_correct_dose(
        case=case, actor=request.user, injection_id=record.pk, vaccine=d["vaccine"],
        dose_number=d["dose_number"], injection_date=d["injection_date"], lot_number=d["lot_number"],
        facility=d.get("facility")),
        done=_("The dose was corrected; the previous version is kept."), panel=f"fix{record.pk}",
        shown={"correct_forms": {record.pk: form}})


@case_action
def send_to_police(request: HttpRequest, case) -> HttpResponse:
    return _step(request, case, case_send_to_police,
                 done=_("Sent to the commune police for the identity check."))


@case_action
def reject(request: HttpRequest, case) -> HttpResponse:
    form = RejectForm(request.POST)
    return _submit(request, case, form, lambda d: case_reject(
        case=case, actor=request.user, reason=d["reason"], note=d["note"]),
        done=_("The case is rejected; the citizen is told by SMS."), panel="reject",
        shown={"reject_form": form})


@case_action
def request_info(request: HttpRequest, case) -> HttpResponse:
    form = RequestInfoForm(request.POST)
    return _submit(request, case, form, lambda d: case_request_info(
        case=case, actor=request.user, message=d["message"]),
        done=_("The citizen is asked for more information by SMS."), panel="request_info",
        shown={"info_form": form})


@case_action
def unknown_action(request: HttpRequest, case, action: str) -> HttpResponse:
    """Any other name under a case: not found (after the scope check, as for a real action)."""
    raise NotFoundInScope(_("No such action."))
