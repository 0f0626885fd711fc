"""Commune police pages: the ward's queue, "next case", the case view with the registry's
values, bulk confirm, and the daily verification report (page and CSV)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Role, person_words
from vaxrecon.access import role_required, scope_for
from vaxrecon.errors import InvalidInput
from vaxrecon.spreadsheets import csv_response
from verification.models import PoliceVerification
from verification.police import selectors, services
from verification.police.client import RegistryUnavailable
from verification.police.diff import char_diff, render_segments
from verification.police.forms import OutcomeForm, ReportRangeForm
from verification.workflow import CaseStatus

POLICE = Role.COMMUNE_POLICE
REPORT_ROLES = (Role.COMMUNE_POLICE, Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST)
REPORT_MAX_DAYS = 92
FIELD_LABELS = {"full_name": gettext_lazy("Full name"), "date_of_birth": gettext_lazy("Date of birth"),
                "sex": gettext_lazy("Sex"), "id_number": gettext_lazy("CCCD/CMND number")}


@role_required(POLICE)
def police_queue(request: HttpRequest) -> HttpResponse:
    counts, cases = selectors.queue_page(scope=scope_for(request.user))
    return render(request, "verification/police/queue.html", {
        "counts": counts,
        "cases": cases,
        "delay": selectors.registry_delay(),
        "now": timezone.now(),
        "auto_verify": settings.POPULATION_REGISTRY_AUTO_VERIFY,
    })


@role_required(POLICE)
@require_POST
def police_next(request: HttpRequest) -> HttpResponse:
    case = services.case_claim_next(officer=request.user)
    if case is None:
        messages.info(request, _("The queue is empty: no case is waiting for you."))
        return redirect("verification:police_queue")
    return redirect("verification:police_case", pk=case.pk)


@role_required(POLICE)
@require_POST
def police_release(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_police(scope=scope_for(request.user), pk=pk)
    services.case_release(officer=request.user, case_id=case.pk)
    messages.info(request, _("Case %(code)s given back to the queue.") % {"code": case.tracking_code})
    return redirect("verification:police_queue")


def _display(field: str, values: dict) -> str:
    value = values.get(field)
    if field == "date_of_birth":
        if value:
            return "{2}/{1}/{0}".format(*str(value).split("-"))
        year = values.get("birth_year")
        return _("year only: %(year)s") % {"year": year} if year else ""
    if field == "sex":
        return {"M": str(_("Male")), "F": str(_("Female"))}.get(value or "", value or "")
    return value or ""


def _comparison(case, answer: PoliceVerification | None) -> list[dict]:
    claimed = services.claimed_identity(case)
    if answer is None or answer.outcome == PoliceVerification.Outcome.NOT_FOUND:
        registry = None
    else:
        registry = {**claimed, **answer.registry_values}
        if "date_of_birth" in answer.registry_values:
            registry["birth_year"] = None
    rows = []
    for field in services.FIELDS:
        shown = _display(field, claimed)
        if registry is None:
            rows.append({"field": field, "label": FIELD_LABELS[field], "claimed": shown, "registry": "",
                         "differs": False})
            continue
        left, right = char_diff(shown, _display(field, registry))
        rows.append({"field": field, "label": FIELD_LABELS[field], "claimed": render_segments(left),
                     "registry": render_segments(right),
                     "differs": field in (answer.differing_fields or answer.registry_values)})
    return rows


def _initial_values(case, answer) -> dict:
    values = services.claimed_identity(case)
    if answer is not None and answer.outcome == PoliceVerification.Outcome.MISMATCH:
        values.update(answer.registry_values)
    dob = values.get("date_of_birth")
    values["date_of_birth"] = _display("date_of_birth", {"date_of_birth": dob}) if dob else ""
    return {k: values.get(k) or "" for k in ("full_name", "date_of_birth", "sex", "id_number")}


@role_required(POLICE)
def police_case(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    case = selectors.case_for_police(scope=scope, pk=pk)
    answer = selectors.registry_answer(case=case)
    form = OutcomeForm(request.POST or None, initial=_initial_values(case, answer))
    if request.method == "POST" and form.is_valid():
        outcome = form.cleaned_data["outcome"]
        try:
            services.police_decide(officer=request.user, case_id=case.pk, outcome=outcome,
                                   note=form.cleaned_data["note"], correct_values=form.correct_values())
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Case %(code)s: %(outcome)s.") % {
                "code": case.tracking_code, "outcome": PoliceVerification.Outcome(outcome).label})
            return redirect("verification:police_queue")
    now = timezone.now()
    claim_active = case.claimed_by_id and case.claim_expires_at and case.claim_expires_at > now
    return render(request, "verification/police/case.html", {
        "case": case,
        "answer": answer,
        "rows": _comparison(case, answer),
        "form": form,
        "awaiting": case.status == CaseStatus.AWAITING_POLICE,
        "held_by_me": claim_active and case.claimed_by_id == request.user.pk,
        "held_by_other": claim_active and case.claimed_by_id != request.user.pk,
        "delay": selectors.registry_delay() if answer is None else None,
        "history": [(v, person_words(v.officer)) for v in
                    case.verifications.select_related("officer__profile").order_by("-at", "-id")[:10]],
    }, status=400 if request.method == "POST" else 200)


ASK_MESSAGES = {
    "answered": gettext_lazy("The national population database has answered."),
    "answered_before": gettext_lazy("The national population database had already answered."),
    "unanswered": gettext_lazy("The national population database gave no answer for this case yet; "
                               "it stays in the batch, which asks again automatically."),
}


@role_required(POLICE)
@require_POST
def police_ask_registry(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the registry about one case now (the periodic batch would ask later)."""
    try:
        result = services.registry_ask_now(officer=request.user, case_id=pk)
    except RegistryUnavailable:
        messages.warning(request, _("The national population database is not answering; the case stays "
                                    "in the batch and is sent again automatically."))
    else:
        (messages.success if result != "unanswered" else messages.info)(request, ASK_MESSAGES[result])
    return redirect("verification:police_case", pk=pk)


@role_required(POLICE)
def police_bulk(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if request.method == "POST":
        try:
            ids = [int(v) for v in request.POST.getlist("case")]
        except ValueError:
            raise InvalidInput(_("Choose cases from the list."))
        if not ids:
            messages.error(request, _("Choose at least one case."))
            return redirect("verification:police_bulk")
        result = services.police_bulk_confirm(officer=request.user, case_ids=ids)
        messages.success(request, _("%(n)d identities confirmed.") % {"n": len(result.confirmed)})
        if result.skipped:
            messages.warning(request, _("%(n)d cases skipped: they changed or another officer has them.")
                             % {"n": len(result.skipped)})
        return redirect("verification:police_bulk")
    cases = selectors.with_waiting_since(selectors.bulk_confirmable(scope=scope, officer_id=request.user.pk))
    return render(request, "verification/police/bulk.html", {
        "cases": cases,
        "auto_verify": settings.POPULATION_REGISTRY_AUTO_VERIFY,
        "others_hold": 0 if cases else selectors.queue_counts(scope=scope)["registry_match"],
    })


def report_from_request(request: HttpRequest):
    """The daily police report for the period in the query (default: the last 14 days),
    in the acting user's scope; InvalidInput for a bad period. Also used by the reports
    room's export."""
    form = ReportRangeForm(request.GET or None)
    today = timezone.localdate()
    start, end = today - timedelta(days=13), today
    if form.is_bound:
        if not form.is_valid():
            raise InvalidInput(_("Write the date as dd/mm/yyyy."))
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    if start > end or (end - start).days >= REPORT_MAX_DAYS:
        raise InvalidInput(_("Choose a period of at most %(n)d days, the start before the end.")
                           % {"n": REPORT_MAX_DAYS})
    report = selectors.daily_police_report(scope=scope_for(request.user), start=start, end=end)
    return form, report


@role_required(*REPORT_ROLES)
def police_report(request: HttpRequest) -> HttpResponse:
    form, report = report_from_request(request)
    return render(request, "verification/police/report.html", {
        "form": form, "report": report, "age_labels": [_("under 1 day"), _("1–2 days"), _("2–7 days"),
                                                        _("over 7 days")],
    })


def report_cells(row: selectors.ReportRow) -> list:
    """One line of the report as spreadsheet cells, in the order of selectors.REPORT_HEADER."""
    return [row.day.isoformat(), row.ward_code, row.ward_name,
            *[getattr(row, c) for c in selectors.REPORT_COLUMNS], row.age_days]


@role_required(*REPORT_ROLES)
def police_report_csv(request: HttpRequest) -> HttpResponse:
    """The report as CSV, its header in the page's language."""
    _form, report = report_from_request(request)
    header = [str(label) for label in selectors.REPORT_HEADER]
    return csv_response([header, *map(report_cells, report.rows)],
                        filename=f"police-verification-{report.start:%Y%m%d}-{report.end:%Y%m%d}.csv")
