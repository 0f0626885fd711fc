"""The daily report: a day's figures for the officer's province (or the nation), its
submission to the Ministry with the difference since the last version, the Ministry's
completeness table, re-opening a locked day, and a print view for A4."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from records import normalize
from records.models import Province
from reports import selectors, services
from reports.figures import DURATION, FIGURES, GROUPS, derived
from reports.models import ReportSubmission
from signing.selectors import certificates_of
from vaxrecon.access import role_required, scope_for
from vaxrecon.errors import InvalidInput, NotFoundInScope

ROLES = (Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST)


def _day(value: str | None) -> date:
    if not value:
        return timezone.localdate() - timedelta(days=1)
    try:
        return normalize.parse_date(value)  # dd/mm/yyyy as typed, yyyy-mm-dd as in links
    except ValueError as exc:
        raise InvalidInput(_("Write the date as dd/mm/yyyy."), field="day") from exc


def _shown(figure, value):
    """Durations are stored in seconds; an official reads them as hours and minutes too."""
    if figure.kind != DURATION or value is None:
        return value
    hours, minutes = divmod(int(value) // 60, 60)
    seconds = f"{int(value):,}".replace(",", ".")
    return _("%(s)s (%(h)d h %(m)02d min)") % {"s": seconds, "h": hours, "m": minutes}


def _grouped(values: dict) -> list[tuple[str, list[tuple[str, str, object]]]]:
    """(group label, [(figure name, label, value)]) in catalogue order."""
    return [(label, [(f.name, f.label, _shown(f, values.get(f.name))) for f in FIGURES if f.group == key])
            for key, label in GROUPS]


def _context(request: HttpRequest, day: date) -> dict:
    scope = scope_for(request.user)
    unit = selectors.home_unit(scope=scope)
    values = selectors.unit_summary(unit=unit, start=day, end=day)
    report_day = selectors.built_days(start=day, end=day).get(day)
    context = {
        "day": day, "unit": unit, "groups": _grouped(values), "derived": derived(values),
        "report_day": report_day,
        "locked": services.is_locked(day, report_day=report_day) if report_day else False,
        "deadline": services.submission_deadline(day), "is_ministry": scope.is_nation,
    }
    if scope.is_nation:
        context["completeness"] = selectors.completeness(start=day, end=day,
                                                         deadline=services.submission_deadline)[0]
        context["submissions"] = selectors.submissions_for(scope=scope, day=day)
    else:
        latest = selectors.latest_submission(day=day, province_id=scope.province_id)
        context["latest"] = latest
        context["versions"] = selectors.submissions_for(scope=scope, day=day)
        if latest and report_day:
            current = selectors.submission_content(day=day, province_id=scope.province_id)
            context["difference"] = selectors.submission_difference(latest, current)
        context["certificates"] = certificates_of(user=request.user, usable_only=True)
    return context


@role_required(*ROLES)
def daily(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/daily.html", _context(request, _day(request.GET.get("day"))))


@role_required(*ROLES)
def daily_print(request: HttpRequest, day: str) -> HttpResponse:
    return render(request, "reports/daily_print.html", _context(request, _day(day)))


@role_required(Role.PROVINCIAL_OFFICER)
@require_POST
def submit(request: HttpRequest, day: str) -> HttpResponse:
    the_day = _day(day)
    scope = scope_for(request.user)
    certificate = None
    if request.POST.get("certificate"):
        certificate = certificates_of(user=request.user, usable_only=True).filter(
            pk=request.POST["certificate"]).first()
        if certificate is None:
            raise NotFoundInScope(_("No such certificate."))
    submission = services.submission_create(
        day=the_day, province=Province.objects.get(code=scope.province_id), actor=request.user,
        note=request.POST.get("note", "")[:2000], certificate=certificate,
        secret=request.POST.get("secret", ""))
    messages.success(request, _("Figures of %(day)s submitted to the Ministry as version %(n)d.")
                     % {"day": the_day.strftime("%d/%m/%Y"), "n": submission.version})
    return redirect(f"{reverse('reports:daily')}?day={the_day.isoformat()}")


@role_required(Role.MINISTRY_ANALYST)
@require_POST
def reopen(request: HttpRequest, day: str) -> HttpResponse:
    the_day = _day(day)
    services.report_reopen(day=the_day, actor=request.user)
    messages.success(request, _("%(day)s is open again for %(n)d hours.")
                     % {"day": the_day.strftime("%d/%m/%Y"), "n": services.reopen_hours()})
    return redirect(f"{reverse('reports:daily')}?day={the_day.isoformat()}")


def _submission(request: HttpRequest, pk: int) -> ReportSubmission:
    scope = scope_for(request.user)
    qs = ReportSubmission.objects.filter(pk=pk)
    if not scope.is_nation:
        qs = qs.filter(province=scope.province_id)
    submission = qs.first()
    if submission is None:
        raise NotFoundInScope(_("No such submission."))
    return submission


@role_required(*ROLES)
def submission_payload(request: HttpRequest, pk: int) -> HttpResponse:
    """The exact bytes the submission's hash and signature cover."""
    submission = _submission(request, pk)
    response = HttpResponse(services.canonical(submission.figures), content_type="application/json")
    response["Content-Disposition"] = (f'attachment; filename="submission-{submission.province_id:02d}-'
                                       f'{submission.day:%Y%m%d}-v{submission.version}.json"')
    return response


@role_required(*ROLES)
def submission_signature(request: HttpRequest, pk: int) -> HttpResponse:
    """The detached CMS signature (DER): `openssl cms -verify -binary -inform DER -in X.p7s
    -content X.json -CAfile root.pem -purpose any`."""
    submission = _submission(request, pk)
    if not submission.signature:
        raise NotFoundInScope(_("This submission was not signed."))
    response = HttpResponse(bytes(submission.signature), content_type="application/pkcs7-signature")
    response["Content-Disposition"] = (f'attachment; filename="submission-{submission.province_id:02d}-'
                                       f'{submission.day:%Y%m%d}-v{submission.version}.p7s"')
    return response
