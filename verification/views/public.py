"""Citizens' pages: no account. A report is confirmed, and a case's details unlocked, by a
one-time code sent to the reporting phone."""

from __future__ import annotations

import time

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from records.models import Ward
from records.normalize import BirthDate
from vaxrecon.access import rate_limited
from vaxrecon.errors import DomainError
from verification import workflow
from verification.forms import CodeForm, ProvideInfoForm, ReportForm, TrackingForm
from verification.models import OneTimeCode, ReconciliationCase
from verification.police.selectors import registry_delay
from verification.selectors import case_by_tracking_code, facilities_matching
from verification.services import (
    case_confirm,
    case_provide_info,
    case_resend_code,
    case_submit,
    case_withdraw,
    otp_send,
    otp_verify,
    report_errors,
)
from verification.timeline import event_line

PENDING_KEY = "pending_report"
UNKNOWN_BIRTH = BirthDate(None, None, "")
UNLOCKED_KEY = "unlocked_cases"
UNLOCK_SECONDS = 30 * 60

S = workflow.CaseStatus
# Per client address (settings.RATE_LIMITS): look-ups by tracking code, typed or in the URL (one
# bucket: a code guesser uses both), report submissions, and one-time codes typed or asked for.
typed_lookups = rate_limited("lookup", counts=lambda request: bool(request.GET))
url_lookups = rate_limited("lookup", counts=lambda request: True)


def _steps():
    return [
        (1, _("Collect"), _("Your report is received.")),
        (2, _("Update"), _("The clinic checks the dose and corrects the record.")),
        (3, _("Police check"), _("The commune police check your identity against the population database.")),
        (4, _("Sign"), _("The record is digitally signed and can be used for a certificate.")),
    ]


def awaited_text(case: ReconciliationCase) -> str:
    """What the case waits for, in plain words for the citizen."""
    return {
        S.SUBMITTED: _("The clinic will look at your report within 48 hours."),
        S.IN_REVIEW: _("The clinic is checking your dose against its vaccination log."),
        S.INFO_REQUESTED: _("The clinic needs more information from you. Confirm with a code to see what."),
        S.RECORD_UPDATED: _("Your dose is recorded; the clinic will send it to the police for the identity "
                            "check."),
        S.AWAITING_POLICE: _("The commune police are checking your identity."),
        S.IDENTITY_MISMATCH: _("Your identity details differ from the population database; the clinic is "
                               "correcting them."),
        S.NOT_FOUND: _("The police could not find you in the population database; the clinic will "
                       "contact you."),
        S.FOREIGN_NATIONAL: _("The clinic is checking your passport."),
        S.IDENTITY_VERIFIED: _("Your identity is confirmed; the record waits to be signed."),
        S.AWAITING_SIGNATURE: _("The record waits for the digital signature."),
        S.SIGNED: _("Done: your vaccination record is verified and signed."),
        S.CLOSED: _("Done: the request is closed."),
        S.REJECTED: _("The request was rejected."),
        S.WITHDRAWN: _("You withdrew this request."),
    }.get(case.status, "")


def _form_error(form, exc: DomainError) -> None:
    """Every field the service refused, each on its field (or above the form)."""
    for field, message in (exc.errors or {None: exc.message}).items():
        form.add_error(field if field in form.fields else None, message)


def case_unlocked(request: HttpRequest, case: ReconciliationCase) -> bool:
    """True while a code typed on the status page keeps this case's details open (30 minutes)."""
    until = request.session.get(UNLOCKED_KEY, {}).get(case.tracking_code)
    return bool(until and until > time.time())


def _unlock(request: HttpRequest, case: ReconciliationCase) -> None:
    unlocked = {k: v for k, v in request.session.get(UNLOCKED_KEY, {}).items() if v > time.time()}
    unlocked[case.tracking_code] = time.time() + UNLOCK_SECONDS
    request.session[UNLOCKED_KEY] = unlocked


def guide(request: HttpRequest) -> HttpResponse:
    return render(request, "verification/public/guide.html")


def _claim(form: ReportForm) -> dict:
    """The report's values as `case_submit` and `report_errors` take them (what the form could read)."""
    data = form.cleaned_data
    vaccine = form.vaccine_product() if data.get("vaccine") else None
    return dict(full_name=data.get("full_name", ""), birth=data.get("date_of_birth") or UNKNOWN_BIRTH,
                sex=data.get("sex", ""), id_number=data.get("id_number", ""), phone=data.get("phone", ""),
                ward=data.get("ward"), vaccine=vaccine,
                vaccine_text="" if vaccine or not data.get("vaccine") else _("unknown"),
                dose_number=data.get("dose_number"), injection_date=data.get("injection_date"),
                lot_number=data.get("lot_number", ""))


def _all_errors(form: ReportForm) -> None:
    """A field the form could not read hides no other: the rules of the fields it could read are
    checked too, so every error shows at once."""
    for field, message in report_errors(**_claim(form)).items():
        if field in form.fields and field not in form.errors:
            form.add_error(field, message)


@rate_limited("report")
def report(request: HttpRequest) -> HttpResponse:
    """The report form; on success a code goes to the phone and the confirm page opens."""
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not form.is_valid():
        _all_errors(form)
    elif request.method == "POST":
        data = form.cleaned_data
        try:
            case = case_submit(**_claim(form), facility=data.get("facility"),
                               files=data.get("evidence") or [])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session[PENDING_KEY] = case.pk
            return redirect("verification:report_confirm")
    status = 400 if request.method == "POST" else 200
    return render(request, "verification/public/report.html", {"form": form}, status=status)


def _pending(request: HttpRequest) -> ReconciliationCase | None:
    pk = request.session.get(PENDING_KEY)
    return ReconciliationCase.objects.filter(pk=pk, confirmed=False).first() if pk else None


@rate_limited("code")
def report_confirm(request: HttpRequest) -> HttpResponse:
    """Enter the code from the SMS (or ask for another one)."""
    case = _pending(request)
    if case is None:
        messages.info(request, _("There is no report waiting for a code. Fill in the form first."))
        return redirect("verification:report")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        form = CodeForm()
        try:
            case_resend_code(case=case)
            messages.success(request, _("A new code was sent to %(phone)s.") % {"phone": case.masked_phone})
        except DomainError as exc:
            messages.error(request, exc.message)
    elif request.method == "POST" and form.is_valid():
        try:
            tracked = case_confirm(case=case, code=form.cleaned_data["code"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session.pop(PENDING_KEY, None)
            _unlock(request, tracked)
            if tracked.pk != case.pk:
                messages.info(request, _("You already have an open request for this dose; your new report "
                                         "and its files were added to it."))
            else:
                messages.success(request, _("Your report is confirmed. Keep the tracking code %(code)s to "
                                            "follow it.") % {"code": tracked.tracking_code})
            return redirect("verification:status", code=tracked.tracking_code)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "verification/public/confirm.html", {"form": form, "case": case}, status=status)


@typed_lookups
def status_lookup(request: HttpRequest) -> HttpResponse:
    form = TrackingForm(request.GET or None)
    if request.GET and form.is_valid():
        case = case_by_tracking_code(form.cleaned_data["code"])
        if case is not None:
            return redirect("verification:status", code=case.tracking_code)
        form.add_error("code", _("No request has this tracking code. Check it on the confirmation SMS."))
    return render(request, "verification/public/lookup.html", {"form": form})


def _public_case(code: str) -> ReconciliationCase:
    case = case_by_tracking_code(code)
    if case is None:
        raise Http404(_("No request has this tracking code."))
    return case


def _timeline(case: ReconciliationCase) -> list[dict]:
    """The citizen's view of the timeline: state changes only, staff names left out."""
    rows = []
    for event in case.events.exclude(transition=""):
        rows.append({"at": event.at, "state": S(event.to_status).label,
                     "message": event_line(event) if event.transition in ("reject", "request_info") else ""})
    return rows


@url_lookups
def status(request: HttpRequest, code: str) -> HttpResponse:
    """Where the request is among the four steps; details once a code proves the phone."""
    case = _public_case(code)
    unlocked = case_unlocked(request, case)
    context = {
        "case": case, "steps": _steps(), "step": workflow.STEP_OF_STATE.get(case.status, 0),
        "awaited": awaited_text(case), "unlocked": unlocked, "code_form": CodeForm(),
        "can_withdraw": case.status in workflow.TRANSITIONS["withdraw"].sources,
        "info_form": ProvideInfoForm() if case.status == S.INFO_REQUESTED else None,
        "code_sent": request.session.get("status_code_sent") == case.tracking_code,
        "delay": registry_delay() if case.status == S.AWAITING_POLICE else None,
    }
    if unlocked:
        context["claimed"] = case.claimed_doses.select_related("vaccine", "facility")
        context["timeline"] = _timeline(case)
        context["evidence_count"] = case.evidence.count()
    return render(request, "verification/public/status.html", context)


@require_POST
@rate_limited("code")
def status_code(request: HttpRequest, code: str) -> HttpResponse:
    """Send a code to the case's phone, or check the code typed, to unlock the details."""
    case = _public_case(code)
    if "send" in request.POST:
        try:
            otp_send(phone=case.phone, purpose=OneTimeCode.Purpose.VIEW_STATUS, case=case)
            request.session["status_code_sent"] = case.tracking_code
            messages.success(request, _("A code was sent to %(phone)s.") % {"phone": case.masked_phone})
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("verification:status", code=case.tracking_code)
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            otp_verify(phone=case.phone, purpose=OneTimeCode.Purpose.VIEW_STATUS,
                       code=form.cleaned_data["code"], case=case)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            _unlock(request, case)
            request.session.pop("status_code_sent", None)
    else:
        messages.error(request, _("Type the 6 digits of the code."))
    return redirect("verification:status", code=case.tracking_code)


def _unlocked_case_or_redirect(request: HttpRequest, code: str):
    case = _public_case(code)
    if not case_unlocked(request, case):
        messages.error(request, _("Confirm with the code sent to your phone first."))
        return case, redirect("verification:status", code=case.tracking_code)
    return case, None


@require_POST
def status_withdraw(request: HttpRequest, code: str) -> HttpResponse:
    case, refused = _unlocked_case_or_redirect(request, code)
    if refused:
        return refused
    try:
        case_withdraw(case=case)
        messages.success(request, _("Your request is withdrawn."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("verification:status", code=case.tracking_code)


@require_POST
def status_provide_info(request: HttpRequest, code: str) -> HttpResponse:
    case, refused = _unlocked_case_or_redirect(request, code)
    if refused:
        return refused
    form = ProvideInfoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            case_provide_info(case=case, message=form.cleaned_data["message"],
                              files=form.cleaned_data.get("evidence") or [])
            messages.success(request, _("Thank you. The clinic will continue with your request."))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("verification:status", code=case.tracking_code)


@require_GET
def facility_search(request: HttpRequest) -> HttpResponse:
    """htmx: the vaccination sites matching what was typed, as radio buttons."""
    province = request.GET.get("province", "")
    results = facilities_matching(text=request.GET.get("facility_query", ""),
                                  province_id=int(province) if province.isdigit() else None)
    return render(request, "verification/public/_facility_results.html",
                  {"results": results, "query": request.GET.get("facility_query", ""), "chosen": ""})


@require_GET
def ward_options(request: HttpRequest) -> HttpResponse:
    """htmx: the communes of a province as <option>s."""
    province = request.GET.get("province", "")
    wards = Ward.objects.filter(province_id=int(province)) if province.isdigit() else Ward.objects.none()
    return render(request, "verification/public/_ward_options.html", {"wards": wards})
