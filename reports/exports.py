"""Exports of the stored daily figures (CSV, XLSX, JSON, ADX) and of the police daily report.

Everything here reads `DailyFigures` and `DailyDoses` only, inside the acting user's scope,
and hands back the body of a download (an iterator of bytes, or a temporary file for XLSX);
the views in reports/views/exports.py are thin.

An export lists the units of one `level` (province, ward, facility; nation too) inside a
parent unit (the nation, a province, a ward or a facility), one row per day × unit, from
`start` to `end`. Spreadsheet files (CSV, XLSX) carry headers in the chosen language (the
figure labels of reports.figures); JSON and ADX carry the stable machine names.

CSV, JSON and ADX are streamed from a server-side cursor (`.iterator(chunk_size=CHUNK)`):
memory stays flat however long the range. XLSX is written row by row by openpyxl's
write-only workbook into a temporary file.

ADX (IHE QRPH "Aggregate Data Exchange", namespace ``urn:ihe:qrph:adx:2015``) is what DHIS2
imports through ``/api/dataValueSets`` with ``Content-Type: application/adx+xml``. One
``<group>`` per day and unit, ``dataSet="VAXRECON_DAILY"``, ``period="YYYY-MM-DD/P1D"``
(ISO 8601: a one-day period), one ``<dataValue>`` per figure with the figure's `adx_code`
(``VR_`` + its name in upper case, e.g. ``VR_RECORDS_SIGNED``); durations with no value
that day are left out, and the derived ratios (coverage, drop-out) too: DHIS2 computes them
as indicators. Provinces and the nation also carry the doses cross-table as
``<dataValue dataElement="VR_DOSES" VACCINE=".." DOSE="1" SEX="F" AGE_BAND="18-59" value=".."/>``
(the category attributes: vaccine product code, dose number, sex M/F, age band 0-17 /
18-59 / 60+). The ``orgUnit`` codes, to be set as the DHIS2 organisation units' codes:

====================  =========================  ==========
unit                  code                       example
====================  =========================  ==========
nation                ``VN``                     ``VN``
province              ``P`` + 2-digit code       ``P01`` (Hà Nội)
commune/ward          ``W`` + 5-digit code       ``W00070``
facility              ``F`` + facility id        ``F123``
====================  =========================  ==========
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import quoteattr

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from records import normalize
from records.models import Facility, Province, Ward
from reports.figures import FIGURES, NAMES, derived
from reports.models import DailyDoses, Level
from reports.selectors import Unit, check_range, home_unit, rows_within, unit_in_scope
from vaxrecon.access import NATION, PROVINCE, WARD, Scope
from vaxrecon.errors import InvalidInput
from vaxrecon.spreadsheets import XLSX_MAX_ROWS, csv_lines, xlsx_file
from verification.police.selectors import REPORT_HEADER as POLICE_HEADER
from verification.police.selectors import PoliceReport

CHUNK = 2000  # rows fetched per round trip of the server-side cursor
LEVELS = {"nation": Level.NATION, "province": Level.PROVINCE, "ward": Level.WARD, "facility": Level.FACILITY}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
FORMATS = ("csv", "xlsx", "json", "adx")
POLICE_FORMATS = ("csv", "xlsx")
LANGS = ("vi", "en")
DEFAULT_DAYS = 30
ADX_NAMESPACE = "urn:ihe:qrph:adx:2015"
ADX_DATASET = "VAXRECON_DAILY"
ADX_DOSES = "VR_DOSES"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
    "adx": "application/adx+xml; charset=utf-8",
}
DERIVED = [("coverage_dose1", gettext_lazy("Coverage, first dose")),
           ("coverage_dose2", gettext_lazy("Coverage, second dose")),
           ("dropout_1_2", gettext_lazy("Drop-out from dose 1 to dose 2"))]
_FIELDS = ["day", "unit", "province", "ward", *NAMES]
_POPULATION, _PEOPLE1, _PEOPLE2 = (_FIELDS.index(n) for n in ("population", "people_dose1", "people_dose2"))


def org_unit(level: int, code: int) -> str:
    """The ADX/DHIS2 code of a unit (see the module docstring)."""
    if level == Level.NATION:
        return "VN"
    return {Level.PROVINCE: "P%02d", Level.WARD: "W%05d", Level.FACILITY: "F%d"}[level] % code


def _unit_slug(level: int, code: int) -> str:
    if level == Level.NATION:
        return "nation"
    return LEVEL_NAMES[level] + "-" + org_unit(level, code)[1:]


@dataclass(frozen=True)
class FigureExport:
    """What to export: the units of `level` inside `parent`, from `start` to `end`."""

    parent: Unit
    level: int
    start: date
    end: date
    format: str
    lang: str

    @property
    def filename(self) -> str:
        """ASCII, e.g. vaxrecon-figures-province-01-ward-20261101-20261130.csv"""
        return (f"vaxrecon-figures-{_unit_slug(self.parent.level, self.parent.code)}"
                f"-{LEVEL_NAMES[self.level]}-{self.start:%Y%m%d}-{self.end:%Y%m%d}.{self.format}")

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def _choice(params, name: str, choices, default: str, message: str) -> str:
    value = (params.get(name) or default).strip().lower()
    if value not in choices:
        raise InvalidInput(message % {"value": value[:20], "choices": ", ".join(choices)}, field=name)
    return value


def _day(params, name: str, default: date) -> date:
    value = (params.get(name) or "").strip()
    if not value:
        return default
    try:
        return normalize.parse_date(value)  # dd/mm/yyyy as typed, yyyy-mm-dd as in links
    except ValueError:
        raise InvalidInput(_("%(field)s: write the date as dd/mm/yyyy, not “%(value)s”.")
                           % {"field": name, "value": value[:20]}, field=name) from None


def period_from(params) -> tuple[date, date]:
    """`start` and `end` from the query (default: the last DEFAULT_DAYS days to today),
    at most MAX_RANGE_DAYS long."""
    end = _day(params, "end", timezone.localdate())
    start = _day(params, "start", end - timedelta(days=DEFAULT_DAYS - 1))
    check_range(start, end)
    return start, end


def lang_from(params) -> str:
    return _choice(params, "lang", LANGS, LANGS[0],
                   _("Unknown language “%(value)s”: choose one of %(choices)s."))


def parent_from(params, *, scope: Scope) -> Unit:
    """The unit chosen by `unit_level` + `unit_code` (default: the user's home unit), in scope."""
    if not params.get("unit_level") and not params.get("unit_code"):
        return home_unit(scope=scope)
    level = _choice(params, "unit_level", list(LEVELS), "", _("Unknown unit level “%(value)s”: choose one of "
                                                             "%(choices)s."))
    try:
        code = int(params.get("unit_code") or (0 if level == "nation" else ""))
    except ValueError:
        raise InvalidInput(_("The unit code is a number."), field="unit_code") from None
    return unit_in_scope(scope=scope, level=LEVELS[level], code=code)


def figure_export_from(params, *, scope: Scope) -> FigureExport:
    """The export asked for by the query `params`, checked: InvalidInput (400) naming the bad
    parameter, NotFoundInScope (404) for a unit outside the scope, NotAllowed (403) for a
    role without reports."""
    parent = parent_from(params, scope=scope)
    start, end = period_from(params)
    fmt = _choice(params, "format", FORMATS, "csv",
                  _("Unknown format “%(value)s”: choose one of %(choices)s."))
    level_name = _choice(params, "level", list(LEVELS),
                         LEVEL_NAMES[Level(min(parent.level + 1, Level.FACILITY))],
                         _("Unknown level “%(value)s”: choose one of %(choices)s."))
    if LEVELS[level_name] < parent.level:
        raise InvalidInput(_("The level to list must be the chosen unit's own level or below it."),
                           field="level")
    export = FigureExport(parent=parent, level=LEVELS[level_name], start=start, end=end, format=fmt,
                          lang=lang_from(params))
    if fmt == "xlsx" and figure_rows(scope=scope, export=export).count() >= XLSX_MAX_ROWS:
        raise InvalidInput(_("Too many rows for one XLSX sheet: choose CSV or a shorter period."),
                           field="format")
    return export


# --- Reading -------------------------------------------------------------------------------

def figure_rows(*, scope: Scope, export: FigureExport) -> QuerySet:
    """The stored rows of the export as tuples of _FIELDS, by day and unit code."""
    return (rows_within(scope=scope, parent=export.parent, level=export.level, start=export.start,
                        end=export.end)
            .order_by("day", "unit").values_list(*_FIELDS))


def _doses_rows(*, scope: Scope, export: FigureExport) -> QuerySet:
    """The doses cross-table rows of the export (kept for provinces and the nation only)."""
    qs = DailyDoses.objects.filter(level=export.level, day__gte=export.start, day__lte=export.end)
    if export.level == export.parent.level:
        qs = qs.filter(unit=export.parent.code)
    if scope.kind == PROVINCE:
        qs = qs.filter(unit=scope.province_id)
    elif scope.kind != NATION:
        qs = qs.none()
    return (qs.order_by("day", "unit", "vaccine", "dose_number", "sex", "age_band")
            .values_list("day", "unit", "vaccine", "dose_number", "sex", "age_band", "doses"))


def unit_names(*, parent: Unit, level: int) -> dict[int, str]:
    """Names of the units of `level` inside `parent` (a few thousand at most)."""
    if level == Level.NATION:
        return {0: str(Level.NATION.label)}
    if level == Level.PROVINCE:
        qs = Province.objects.all()
        return dict((qs.filter(code=parent.province) if parent.province else qs).values_list("code", "name"))
    if level == Level.WARD:
        qs = Ward.objects.all()
        if parent.level == Level.WARD:
            qs = qs.filter(code=parent.code)
        elif parent.province:
            qs = qs.filter(province_id=parent.province)
        return dict(qs.values_list("code", "name"))
    qs = Facility.objects.all()
    if parent.level == Level.FACILITY:
        qs = qs.filter(pk=parent.code)
    elif parent.level == Level.WARD:
        qs = qs.filter(ward_id=parent.code)
    elif parent.province:
        qs = qs.filter(ward__province_id=parent.province)
    return dict(qs.values_list("pk", "name"))


def _derived(row: tuple) -> dict:
    return derived({"population": row[_POPULATION], "people_dose1": row[_PEOPLE1],
                    "people_dose2": row[_PEOPLE2]})


# --- Writing -------------------------------------------------------------------------------

def table_header(*, lang: str) -> list[str]:
    """The header row of the CSV and XLSX files, in `lang`."""
    with translation.override(lang):
        return [str(label) for label in (
            _("Date"), _("Unit code"), _("Unit"), _("Province code"), _("Province"), _("Commune/ward code"),
            *[f.label for f in FIGURES], *[label for _name, label in DERIVED])]


def table_rows(*, scope: Scope, export: FigureExport) -> Iterator[list]:
    """Header, then one row per day × unit: day, unit code, name, province, ward, every
    figure, coverage and drop-out."""
    yield table_header(lang=export.lang)
    with translation.override(export.lang):
        names = unit_names(parent=export.parent, level=export.level)
    provinces = dict(Province.objects.values_list("code", "name"))
    for row in figure_rows(scope=scope, export=export).iterator(chunk_size=CHUNK):
        day, unit, province, ward = row[:4]
        yield [day, unit, names.get(unit, ""), province, provinces.get(province, ""), ward, *row[4:],
               *_derived(row).values()]


def json_objects(*, scope: Scope, export: FigureExport) -> Iterator[dict]:
    level = LEVEL_NAMES[export.level]
    with translation.override(export.lang):
        names = unit_names(parent=export.parent, level=export.level)
    for row in figure_rows(scope=scope, export=export).iterator(chunk_size=CHUNK):
        day, unit, province, ward = row[:4]
        yield {"day": day.isoformat(), "level": level, "unit": unit, "orgUnit": org_unit(export.level, unit),
               "name": names.get(unit, ""), "province": province, "ward": ward,
               "figures": dict(zip(NAMES, row[4:], strict=True)), "derived": _derived(row)}


def _pieces(parts: Iterator[str], size: int = 256) -> Iterator[bytes]:
    buffer: list[str] = []
    for part in parts:
        buffer.append(part)
        if len(buffer) >= size:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")


def _json_parts(*, scope: Scope, export: FigureExport) -> Iterator[str]:
    yield "["
    for n, obj in enumerate(json_objects(scope=scope, export=export)):
        yield ("\n" if n == 0 else ",\n") + json.dumps(obj, ensure_ascii=False)
    yield "\n]\n"


def _merge_doses(figures: Iterator[tuple], doses: Iterator[tuple]) -> Iterator[tuple[tuple, list[tuple]]]:
    """Pair each figures row with its doses rows; both streams come sorted by (day, unit)."""
    pending = next(doses, None)
    for row in figures:
        key, mine = (row[0], row[1]), []
        while pending is not None and (pending[0], pending[1]) < key:
            pending = next(doses, None)
        while pending is not None and (pending[0], pending[1]) == key:
            mine.append(pending)
            pending = next(doses, None)
        yield row, mine


def _adx_parts(*, scope: Scope, export: FigureExport) -> Iterator[str]:
    yield (f'<?xml version="1.0" encoding="UTF-8"?>\n<adx xmlns="{ADX_NAMESPACE}" '
           f'exported={quoteattr(timezone.now().isoformat(timespec="seconds"))}>\n')
    figures = figure_rows(scope=scope, export=export).iterator(chunk_size=CHUNK)
    doses = (_doses_rows(scope=scope, export=export).iterator(chunk_size=CHUNK)
             if export.level in (Level.NATION, Level.PROVINCE) else iter(()))
    codes = [f.adx_code for f in FIGURES]
    for row, dose_rows in _merge_doses(figures, doses):
        lines = [f'  <group orgUnit="{org_unit(export.level, row[1])}" period="{row[0].isoformat()}/P1D" '
                 f'dataSet="{ADX_DATASET}">\n']
        lines += [f'    <dataValue dataElement="{code}" value="{value}"/>\n'
                  for code, value in zip(codes, row[4:], strict=True) if value is not None]
        lines += [f'    <dataValue dataElement="{ADX_DOSES}" VACCINE={quoteattr(vaccine)} DOSE="{dose}" '
                  f'SEX={quoteattr(sex)} AGE_BAND={quoteattr(band)} value="{n}"/>\n'
                  for _day, _unit, vaccine, dose, sex, band, n in dose_rows]
        lines.append("  </group>\n")
        yield "".join(lines)
    yield "</adx>\n"


def figure_file(*, scope: Scope, export: FigureExport):
    """The body of the download: an iterator of bytes (CSV, JSON, ADX: streamed) or a
    temporary file (XLSX)."""
    if export.format == "xlsx":
        return xlsx_file(table_rows(scope=scope, export=export), title="VaxRecon")
    if export.format == "csv":
        return csv_lines(table_rows(scope=scope, export=export))
    parts = _json_parts if export.format == "json" else _adx_parts
    return _pieces(parts(scope=scope, export=export))


# --- The police daily verification report ---------------------------------------------------

def police_format_from(params) -> str:
    return _choice(params, "format", POLICE_FORMATS, "csv",
                   _("Unknown format “%(value)s”: choose one of %(choices)s."))


def police_filename(*, scope: Scope, report: PoliceReport, fmt: str) -> str:
    if scope.kind == NATION:
        where = "nation"
    elif scope.kind == PROVINCE:
        where = _unit_slug(Level.PROVINCE, scope.province_id)
    elif scope.kind == WARD:
        where = _unit_slug(Level.WARD, scope.ward_id)
    else:
        where = "scope"
    return f"vaxrecon-police-{where}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{fmt}"


def police_file(*, report: PoliceReport, cells, fmt: str, lang: str):
    """The police daily report as CSV (bytes iterator) or XLSX (temporary file): the columns
    of the police report CSV, headers in `lang`; `cells(row)` gives one line's cells."""
    with translation.override(lang):
        header = [str(label) for label in POLICE_HEADER]
    rows = [header, *map(cells, report.rows)]
    return xlsx_file(rows, title="VaxRecon") if fmt == "xlsx" else csv_lines(rows)
