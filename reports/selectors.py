"""Reading stored figures, always within the acting user's scope.

Nothing here scans the source tables: pages, charts and exports read `DailyFigures`,
`DailyDoses`, `ReportDay` and `ReportSubmission` only (the one exception, `cases_of_unit`,
is a paginated list of one commune's or facility's cases, read through verification's own
scope rule). A unit is (level, unit code):
(NATION, 0), (PROVINCE, province code), (WARD, ward code), (FACILITY, facility id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from records.models import Facility, Province, Ward
from reports.figures import AGE_BANDS, DURATION, FIGURES, FLOW, STEPS, STOCK, derived
from reports.models import DailyDoses, DailyFigures, Level, ReportDay, ReportSubmission
from vaxrecon.access import FACILITY, NATION, PROVINCE, WARD, Scope
from vaxrecon.errors import InvalidInput, NotAllowed, NotFoundInScope
from verification.models import ReconciliationCase
from verification.selectors import case_scope_q, cases_in_scope, shown_to_staff_q

MAX_RANGE_DAYS = 400
CHILD_LEVEL = {Level.NATION: Level.PROVINCE, Level.PROVINCE: Level.WARD, Level.WARD: Level.FACILITY}


@dataclass(frozen=True)
class Unit:
    level: int
    code: int
    name: str
    province: int | None = None
    ward: int | None = None

    @property
    def key(self) -> str:
        return f"{self.level}-{self.code}"

    @property
    def level_label(self) -> str:
        return Level(self.level).label


def home_unit(*, scope: Scope) -> Unit:
    """The unit a dashboard opens on: the nation or the officer's province."""
    if scope.kind == NATION:
        return nation()
    if scope.kind == PROVINCE:
        return unit_in_scope(scope=scope, level=Level.PROVINCE, code=scope.province_id)
    raise NotAllowed("Reports are for provincial officers and the Ministry.")


def nation() -> Unit:
    return Unit(level=Level.NATION, code=0, name=str(Level.NATION.label))


def unit_in_scope(*, scope: Scope, level: int, code: int) -> Unit:
    """A unit by level and code, or NotFoundInScope when absent or outside the scope."""
    if scope.kind not in (NATION, PROVINCE):
        raise NotAllowed("Reports are for provincial officers and the Ministry.")
    unit = _unit(int(level), int(code))
    if unit is None or (scope.kind == PROVINCE and unit.province != scope.province_id):
        raise NotFoundInScope("No such unit.")
    return unit


def _unit(level: int, code: int) -> Unit | None:
    if level == Level.NATION:
        return nation() if code == 0 else None
    if level == Level.PROVINCE:
        p = Province.objects.filter(code=code).first()
        return p and Unit(level=level, code=p.code, name=p.name, province=p.code)
    if level == Level.WARD:
        w = Ward.objects.filter(code=code).first()
        return w and Unit(level=level, code=w.code, name=w.name, province=w.province_id, ward=w.code)
    if level == Level.FACILITY:
        f = Facility.objects.select_related("ward").filter(pk=code).first()
        return f and Unit(level=level, code=f.pk, name=f.name, province=f.ward.province_id, ward=f.ward_id)
    return None


def parents(unit: Unit) -> list[Unit]:
    """The units above `unit`, from the nation down (for breadcrumbs)."""
    chain = [nation()] if unit.level > Level.NATION else []
    if unit.level > Level.PROVINCE:
        chain.append(_unit(Level.PROVINCE, unit.province))
    if unit.level > Level.WARD:
        chain.append(_unit(Level.WARD, unit.ward))
    return chain


def check_range(start: date, end: date) -> None:
    if start > end or (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidInput(_("Choose a period of at most %(n)d days, the start before the end.")
                           % {"n": MAX_RANGE_DAYS})


def rows_for(*, unit: Unit, start: date, end: date) -> QuerySet[DailyFigures]:
    qs = DailyFigures.objects.filter(level=unit.level, unit=unit.code, day__gte=start, day__lte=end)
    # Redundant with `unit`, but it lets (level, province|ward, day) serve the query: the
    # unique (day, level, unit) index would walk every unit of each day in the range.
    if unit.level == Level.PROVINCE:
        qs = qs.filter(province=unit.code)
    elif unit.level in (Level.WARD, Level.FACILITY):
        qs = qs.filter(ward=unit.ward)
    return qs


def rows_within(*, scope: Scope, parent: Unit, level: int, start: date, end: date) -> QuerySet[DailyFigures]:
    """Stored rows of the units of `level` inside `parent` (the parent itself when `level` is
    its own) over the period, and never outside the scope (checked again on purpose: the
    parent was already found in it). Dashboards and exports both read through here."""
    qs = DailyFigures.objects.filter(level=level, day__gte=start, day__lte=end)
    if level == parent.level:
        qs = qs.filter(unit=parent.code)
    elif parent.level == Level.PROVINCE:
        qs = qs.filter(province=parent.code)
    elif parent.level == Level.WARD:
        qs = qs.filter(ward=parent.code)
    if scope.kind == PROVINCE:
        qs = qs.filter(province=scope.province_id)
    elif scope.kind != NATION:
        qs = qs.none()
    return qs


def children_rows(*, scope: Scope, unit: Unit, start: date, end: date) -> QuerySet[DailyFigures]:
    """Stored rows of the units one level below `unit` (nation → provinces → communes →
    facilities) over the period, inside the scope."""
    level = CHILD_LEVEL.get(Level(unit.level))
    if level is None:
        return DailyFigures.objects.none()
    return rows_within(scope=scope, parent=unit, level=level, start=start, end=end)


def summarise(rows: list[dict]) -> dict:
    """One unit's figures over a period, from its daily rows in date order: flows add up,
    stocks and durations are those of the last day that has them; plus coverage and
    drop-out."""
    out: dict = {}
    for f in FIGURES:
        if f.kind == FLOW:
            out[f.name] = sum(r.get(f.name) or 0 for r in rows)
        else:
            last = [r[f.name] for r in rows if r.get(f.name) is not None]
            out[f.name] = last[-1] if last else (0 if f.kind == STOCK else None)
    out.update(derived(out))
    return out


def unit_summary(*, unit: Unit, start: date, end: date) -> dict:
    return summarise(list(rows_for(unit=unit, start=start, end=end).order_by("day").values()))


def children_table(*, scope: Scope, unit: Unit, start: date, end: date) -> list[dict]:
    """One summarised row per child unit with its name, for the drill-down table."""
    by_unit: dict[int, list[dict]] = {}
    for row in children_rows(scope=scope, unit=unit, start=start, end=end).order_by("day").values():
        by_unit.setdefault(row["unit"], []).append(row)
    level = CHILD_LEVEL.get(Level(unit.level))
    names = unit_names(level, list(by_unit)) if level is not None else {}
    if level == Level.PROVINCE:  # every province, even one with nothing stored yet
        for code in names:
            by_unit.setdefault(code, [])
    table = [{"level": level, "unit": code, "name": names.get(code, str(code)), **summarise(rows)}
             for code, rows in by_unit.items()]
    return sorted(table, key=lambda r: r["name"])


def unit_names(level: int, codes: list[int]) -> dict[int, str]:
    if level == Level.PROVINCE:
        return dict(Province.objects.values_list("code", "name"))
    if level == Level.WARD:
        return dict(Ward.objects.filter(code__in=codes).values_list("code", "name"))
    if level == Level.FACILITY:
        return dict(Facility.objects.filter(pk__in=codes).values_list("pk", "name"))
    return {0: str(Level.NATION.label)}


def series(*, unit: Unit, start: date, end: date, names: list[str]) -> dict:
    """Per-day values of the named figures (0 / None for a day without a row), for charts."""
    stored = {r["day"]: r for r in rows_for(unit=unit, start=start, end=end).values("day", *names)}
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    kinds = {f.name: f.kind for f in FIGURES}
    return {
        "days": [d.isoformat() for d in days],
        "values": {n: [(stored.get(d) or {}).get(n, None if kinds[n] == DURATION else 0) for d in days]
                   for n in names},
    }


def doses_table(*, unit: Unit, day: date) -> list[dict]:
    """The doses cross-table of a province or the nation on a day (empty for smaller units)."""
    return list(DailyDoses.objects.filter(day=day, level=unit.level, unit=unit.code)
                .values("vaccine", "dose_number", "sex", "age_band", "doses"))


def built_days(*, start: date, end: date) -> dict[date, ReportDay]:
    return {d.day: d for d in ReportDay.objects.filter(day__gte=start, day__lte=end)}


def last_built() -> ReportDay | None:
    return ReportDay.objects.order_by("-built_at").first()


def submission_content(*, day: date, province_id: int) -> dict:
    """What a province submits for a day: its row, its communes' rows and its doses table,
    as plain JSON values."""
    def clean(row: dict) -> dict:
        return {f.name: row[f.name] for f in FIGURES}

    province = DailyFigures.objects.filter(day=day, level=Level.PROVINCE, unit=province_id).values().first()
    communes = DailyFigures.objects.filter(day=day, level=Level.WARD, province=province_id).order_by("unit")
    doses = (DailyDoses.objects.filter(day=day, level=Level.PROVINCE, unit=province_id)
             .order_by("vaccine", "dose_number", "sex", "age_band")
             .values_list("vaccine", "dose_number", "sex", "age_band", "doses"))
    return {
        "day": day.isoformat(), "province": province_id,
        "figures": (clean(province) if province
                    else {f.name: (None if f.kind == DURATION else 0) for f in FIGURES}),
        "communes": {str(r["unit"]): clean(r) for r in communes.values()},
        "doses": [list(d) for d in doses],
    }


def submissions_for(*, scope: Scope, day: date) -> QuerySet[ReportSubmission]:
    qs = ReportSubmission.objects.filter(day=day).select_related("submitted_by", "province", "certificate")
    if scope.kind == PROVINCE:
        qs = qs.filter(province=scope.province_id)
    elif scope.kind != NATION:
        return qs.none()
    return qs.order_by("province_id", "-version")


def latest_submission(*, day: date, province_id: int) -> ReportSubmission | None:
    return (ReportSubmission.objects.filter(day=day, province=province_id).order_by("-version")
            .select_related("submitted_by").first())


def submission_difference(submission: ReportSubmission, current: dict) -> list[tuple[str, object, object]]:
    """(figure, submitted, now) for each province figure that changed since the submission."""
    before = submission.figures.get("figures", {})
    after = current.get("figures", {})
    return [(f.name, before.get(f.name), after.get(f.name)) for f in FIGURES
            if before.get(f.name) != after.get(f.name)]


def completeness(*, start: date, end: date, deadline) -> list[dict]:
    """Per day: which provinces submitted on time, late, or not at all (the Ministry's
    reporting rate, as DHIS2 shows it). `deadline(day)` gives a day's due time."""
    submitted: dict[tuple[date, int], object] = {}
    for day, province_id, at in (ReportSubmission.objects.filter(day__gte=start, day__lte=end, version=1)
                                 .values_list("day", "province_id", "submitted_at")):
        submitted[(day, province_id)] = at
    provinces = list(Province.objects.values_list("code", "name"))
    out = []
    for n in range((end - start).days + 1):
        day = start + timedelta(days=n)
        on_time, late, missing = [], [], []
        for code, name in provinces:
            at = submitted.get((day, code))
            if at is None:
                missing.append((code, name))
            elif at > deadline(day):
                late.append((code, name))
            else:
                on_time.append((code, name))
        out.append({"day": day, "on_time": on_time, "late": late, "missing": missing,
                    "rate": round((len(on_time) + len(late)) / len(provinces), 4) if provinces else None})
    return out


def totals_over(*, level: int, start: date, end: date, names: list[str]) -> dict:
    """Sums of flow figures over a period at one level (used by tests and the benchmark)."""
    return DailyFigures.objects.filter(level=level, day__gte=start, day__lte=end).aggregate(
        **{n: Sum(n) for n in names})


# --- Dashboards ---------------------------------------------------------------------------

RECEIVED = ["received_citizen", "received_clinic", "received_import", "received_api"]
STEP_NAMES = [step for step, _n, _label in STEPS]
BACKLOG_FIGURES = [f"backlog_{step}_{band}" for step in STEP_NAMES for band, _l in AGE_BANDS]
# What the dashboard's charts read per day (stored figures, as stored).
CHART_FIGURES = [*BACKLOG_FIGURES, "records_signed"]
# The headline figures of a unit over a range, and the columns of the drill-down table:
# sums of stored figures (see `headline`), in display order.
HEADLINE = [
    ("received", gettext_lazy("Received")),
    ("sent_to_police", gettext_lazy("Sent to police")),
    ("verified", gettext_lazy("Identity verified")),
    ("records_signed", gettext_lazy("Records signed")),
    ("cases_closed", gettext_lazy("Cases closed")),
    ("overdue", gettext_lazy("Overdue (over 48 h)")),
    *[(f"backlog_{step}", format_lazy("{}: {}", gettext_lazy("Backlog"), label))
      for step, _n, label in STEPS],
    ("coverage_dose1", gettext_lazy("Coverage, dose 1")),
    ("coverage_dose2", gettext_lazy("Coverage, dose 2")),
    ("dropout_1_2", gettext_lazy("Drop-out 1→2")),
]
HEADLINE_KEYS = [key for key, _label in HEADLINE]
RATIOS = {"coverage_dose1", "coverage_dose2", "dropout_1_2"}


def headline(summary: dict) -> dict:
    """The headline figures from a range summary (`summarise`): received by any channel,
    verified by the registry or an officer, backlog per step whatever its age."""
    out = {
        "received": sum(summary[n] for n in RECEIVED),
        "verified": summary["verified_by_registry"] + summary["confirmed_by_officer"],
        **{f"backlog_{step}": sum(summary[f"backlog_{step}_{band}"] for band, _l in AGE_BANDS)
           for step in STEP_NAMES},
    }
    return {key: out[key] if key in out else summary[key] for key in HEADLINE_KEYS}


def children_headlines(*, scope: Scope, unit: Unit, start: date, end: date, sort: str = "name",
                       descending: bool = False) -> list[dict]:
    """The drill-down table: one row per child unit (level, unit, name and the headline
    figures), sorted by `sort` (a HEADLINE key or "name"; anything else sorts by name).
    Units without a value for the sort key (a ratio without population) come last."""
    rows = [{"level": r["level"], "unit": r["unit"], "name": r["name"], **headline(r)}
            for r in children_table(scope=scope, unit=unit, start=start, end=end)]
    if sort not in HEADLINE_KEYS:
        return sorted(rows, key=lambda r: r["name"], reverse=descending)
    known = sorted((r for r in rows if r[sort] is not None), key=lambda r: (r[sort], r["name"]),
                   reverse=descending)
    return known + [r for r in rows if r[sort] is None]


def children_overdue(*, scope: Scope, unit: Unit, start: date, end: date) -> list[dict]:
    """Open cases past the deadline per child unit on its last stored day of the range,
    most first (units with none are left out)."""
    last: dict[int, int] = {}
    for code, overdue in (children_rows(scope=scope, unit=unit, start=start, end=end)
                          .order_by("day").values_list("unit", "overdue")):
        last[code] = overdue
    level = CHILD_LEVEL.get(Level(unit.level))
    names = unit_names(level, [c for c, n in last.items() if n]) if last else {}
    rows = [{"level": level, "unit": code, "name": names.get(code, str(code)), "overdue": n}
            for code, n in last.items() if n]
    return sorted(rows, key=lambda r: (-r["overdue"], r["name"]))


def range_status(*, start: date, end: date, today: date) -> dict:
    """Whether the range's figures are current: when its days were last built, which are
    stale (late data since) and which are not built; today is only built once it closes."""
    built = built_days(start=start, end=end)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return {
        "last_built_at": max((d.built_at for d in built.values()), default=None),
        "stale": [d for d in days if d in built and built[d].stale_since],
        "missing": [d for d in days if d not in built and d < today],
        "today_pending": today in days and today not in built,
    }


def dashboard_payload(*, scope: Scope, unit: Unit, start: date, end: date, today: date) -> dict:
    """What the dashboard's charts read, from the stored figures only: the chart figures
    per day, the range summary, overdue cases per child unit, and the range's build state."""
    status = range_status(start=start, end=end, today=today)
    summary = unit_summary(unit=unit, start=start, end=end)
    return {
        "unit": {"level": unit.level, "code": unit.code, "name": unit.name},
        "start": start.isoformat(), "end": end.isoformat(),
        "series": series(unit=unit, start=start, end=end, names=CHART_FIGURES),
        "summary": summary,
        "headline": headline(summary),
        "children_overdue": children_overdue(scope=scope, unit=unit, start=start, end=end),
        "built": {"last_built_at": status["last_built_at"].isoformat() if status["last_built_at"] else None,
                  "stale": [d.isoformat() for d in status["stale"]],
                  "missing": [d.isoformat() for d in status["missing"]]},
    }


def unit_case_scope(unit: Unit) -> Scope:
    """The scope whose cases a ward or facility unit answers for (verification's
    case_scope_q reads it): a ward, the people living there; a facility, its cases."""
    if unit.level == Level.WARD:
        return Scope(kind=WARD, ward_id=unit.code, province_id=unit.province)
    if unit.level == Level.FACILITY:
        return Scope(kind=FACILITY, facility_id=unit.code, ward_id=unit.ward, province_id=unit.province)
    raise NotFoundInScope("Case lists are kept for communes and facilities.")


def cases_of_unit(*, scope: Scope, unit: Unit) -> QuerySet[ReconciliationCase]:
    """The cases a commune (its residents') or a facility answers for, as staff see them
    (citizen reports once confirmed), inside the acting user's scope, newest first."""
    return (cases_in_scope(scope=unit_case_scope(unit)).filter(case_scope_q(scope)).filter(shown_to_staff_q())
            .order_by("-submitted_at", "-id"))
