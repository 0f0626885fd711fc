"""Dashboards of provincial officers and the Ministry: a unit's figures over a period,
drill-down to its child units, the charts' JSON and a commune's or facility's case list.

Everything but the case list reads stored figures (reports.selectors); the views parse
the request, call selectors and render.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from records import normalize
from reports import selectors
from reports.figures import BY_NAME, STEPS
from reports.models import Level
from reports.selectors import HEADLINE, RATIOS, Unit
from reports.services import submission_deadline
from vaxrecon.access import role_required, scope_for
from vaxrecon.errors import InvalidInput
from verification.workflow import OPEN_STATES

REPORT_ROLES = (Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST)
DEFAULT_DAYS = 14
CASES_PAGE_SIZE = 50
SUBMISSION_LABELS = {"on_time": gettext_lazy("On time"), "late": gettext_lazy("Late"),
                     "missing": gettext_lazy("Not submitted")}
CHILD_HEADING = {Level.PROVINCE: gettext_lazy("Provinces"), Level.WARD: gettext_lazy("Communes and wards"),
                 Level.FACILITY: gettext_lazy("Facilities")}


def _period(request: HttpRequest) -> tuple[date, date]:
    """The period in GET start/end (dd/mm/yyyy, or yyyy-mm-dd as in links), by default the last
    14 local days."""
    today = timezone.localdate()
    try:
        end = normalize.parse_date(request.GET["end"]) if request.GET.get("end") else today
        start = (normalize.parse_date(request.GET["start"]) if request.GET.get("start")
                 else end - timedelta(days=DEFAULT_DAYS - 1))
    except ValueError:
        raise InvalidInput(_("Write the date as dd/mm/yyyy."), field="start")
    selectors.check_range(start, end)
    return start, end


def _shown(key: str, value) -> str:
    if value is None:
        return "—"
    if key in RATIOS:
        return number_format(value * 100, 1) + " %"
    return number_format(value, force_grouping=True)


def _unit_url(name: str, unit_level: int, code: int, query: dict | None = None) -> str:
    url = reverse(name, args=[unit_level, code])
    return f"{url}?{urlencode(query)}" if query else url


def _columns(unit: Unit, period: dict, sort: str, descending: bool) -> list[dict]:
    """Table headers with their sort links: a second click on the current column flips it."""
    columns = []
    for key, label in [("name", _("Unit")), *HEADLINE]:
        current = key == sort
        # Figures open with the most first, names from A.
        flip = ("asc" if descending else "desc") if current else ("asc" if key == "name" else "desc")
        columns.append({"key": key, "label": label, "current": current,
                        "aria_sort": ("descending" if descending else "ascending") if current else None,
                        "url": _unit_url("reports:unit", unit.level, unit.code,
                                         {**period, "sort": key, "dir": flip})})
    return columns


def _submissions(end: date) -> tuple[dict, dict]:
    """Each province's submission status for `end`, and that day's reporting rate."""
    day = selectors.completeness(start=end, end=end, deadline=submission_deadline)[0]
    status = {code: kind for kind in ("on_time", "late", "missing") for code, _name in day[kind]}
    return status, day


def _table(scope, unit: Unit, *, start: date, end: date, sort: str, descending: bool,
           submissions: dict | None):
    rows = selectors.children_headlines(scope=scope, unit=unit, start=start, end=end, sort=sort,
                                        descending=descending)
    period = {"start": start.isoformat(), "end": end.isoformat()}
    for row in rows:
        row["url"] = _unit_url("reports:unit", row["level"], row["unit"], period)
        if row["level"] in (Level.WARD, Level.FACILITY):
            row["cases_url"] = _unit_url("reports:unit_cases", row["level"], row["unit"])
        row["cells"] = [(key, _shown(key, row[key])) for key, _label in HEADLINE]
        if submissions is not None:
            row["submission"] = submissions.get(row["unit"], "missing")
            row["submission_label"] = SUBMISSION_LABELS[row["submission"]]
    return rows


def _chart_labels() -> dict:
    return {
        "steps": {step: str(label) for step, _n, label in STEPS},
        "police": {name: str(BY_NAME[name].label) for name in
                   ("verified_by_registry", "confirmed_by_officer", "mismatch", "not_found",
                    "foreign_national")},
        "signed": str(BY_NAME["records_signed"].label),
        "overdue": _("Overdue cases"),
        "none": _("Nothing to show for this period."),
    }


def _render_dashboard(request: HttpRequest, unit: Unit) -> HttpResponse:
    scope = scope_for(request.user)
    start, end = _period(request)
    sort = request.GET.get("sort") or "name"
    descending = request.GET.get("dir") == "desc"
    period = {"start": start.isoformat(), "end": end.isoformat()}
    summary = selectors.headline(selectors.unit_summary(unit=unit, start=start, end=end))
    submissions, completeness = _submissions(end) if unit.level == Level.NATION else (None, None)
    # Breadcrumbs stop at the top of the user's scope: an officer's province has no nation above it.
    crumbs = [{"name": p.name, "url": _unit_url("reports:unit", p.level, p.code, period)}
              for p in selectors.parents(unit) if scope.is_nation or p.level >= Level.PROVINCE]
    child_level = selectors.CHILD_LEVEL.get(Level(unit.level))
    return render(request, "reports/dashboard.html", {
        "unit": unit, "crumbs": crumbs, "start": start, "end": end, "sort": sort,
        "dir": "desc" if descending else "asc",
        "headline": [(key, label, _shown(key, summary[key])) for key, label in HEADLINE],
        "status": selectors.range_status(start=start, end=end, today=timezone.localdate()),
        "child_heading": CHILD_HEADING.get(child_level),
        "columns": _columns(unit, period, sort, descending) if child_level is not None else [],
        "table": (_table(scope, unit, start=start, end=end, sort=sort, descending=descending,
                         submissions=submissions) if child_level is not None else []),
        "completeness": completeness,
        "cases_url": (_unit_url("reports:unit_cases", unit.level, unit.code)
                      if unit.level in (Level.WARD, Level.FACILITY) else None),
        "json_url": _unit_url("reports:unit_json", unit.level, unit.code, period),
        "chart_labels": _chart_labels(),
    })


@role_required(*REPORT_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The user's own unit: the officer's province, or the nation for the Ministry."""
    return _render_dashboard(request, selectors.home_unit(scope=scope_for(request.user)))


@role_required(*REPORT_ROLES)
def unit_dashboard(request: HttpRequest, level: int, code: int) -> HttpResponse:
    unit = selectors.unit_in_scope(scope=scope_for(request.user), level=level, code=code)
    return _render_dashboard(request, unit)


@role_required(*REPORT_ROLES)
def unit_json(request: HttpRequest, level: int, code: int) -> JsonResponse:
    """The charts' data: stored figures only, a few indexed queries on DailyFigures."""
    scope = scope_for(request.user)
    unit = selectors.unit_in_scope(scope=scope, level=level, code=code)
    start, end = _period(request)
    return JsonResponse(selectors.dashboard_payload(scope=scope, unit=unit, start=start, end=end,
                                                    today=timezone.localdate()))


@role_required(*REPORT_ROLES)
def unit_cases(request: HttpRequest, level: int, code: int) -> HttpResponse:
    """A commune's or facility's cases, read-only, newest first, identities masked."""
    scope = scope_for(request.user)
    unit = selectors.unit_in_scope(scope=scope, level=level, code=code)
    page = Paginator(selectors.cases_of_unit(scope=scope, unit=unit), CASES_PAGE_SIZE).get_page(
        request.GET.get("page"))
    now = timezone.now()
    rows = [(case, case.status in OPEN_STATES and case.deadline_at < now) for case in page.object_list]
    return render(request, "reports/unit_cases.html", {
        "unit": unit, "is_ward": unit.level == Level.WARD, "page": page, "rows": rows,
        "crumbs": [{"name": p.name, "url": _unit_url("reports:unit", p.level, p.code)}
                   for p in selectors.parents(unit) if scope.is_nation or p.level >= Level.PROVINCE],
        "dashboard_url": _unit_url("reports:unit", unit.level, unit.code),
    })
