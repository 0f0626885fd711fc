"""The catalogue of daily figures: every number the reports room stores, in one list.

Each figure is one integer column of `DailyFigures` (one row per local day and unit), a
data element in the DHIS2 sense. Its `group` is the step of the procedure it belongs to
(8938/BYT-DP: collect, update, police, sign) or the stock it measures (backlog, time in
step, doses and people). `kind` says how it is read over a date range:

- ``flow``: what happened that day (reports received, records signed): a range sums them;
- ``stock``: the state at the end of the day (backlog, doses on record): a range shows its
  last day;
- ``duration``: seconds (median / 90th percentile of the cases that left a step that day):
  a range shows the last day that has a value.

Models, the builder, exports, the dashboard JSON and the ADX data-element codes all read
this list, so a new figure is added here (and in the builder's SQL) and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

FLOW, STOCK, DURATION = "flow", "stock", "duration"

GROUPS = [
    ("collect", _("Collect")),
    ("update", _("Update")),
    ("police", _("Police verification")),
    ("sign", _("Sign")),
    ("backlog", _("Backlog at the end of the day")),
    ("time", _("Time spent in a step")),
    ("doses", _("Doses and people")),
    ("imports", _("File imports")),
]

# The four steps a case moves through (STEP_OF_STATE in verification/workflow.py).
STEPS = [("collect", 1, _("collect")), ("update", 2, _("update")), ("police", 3, _("police")),
         ("sign", 4, _("sign"))]
AGE_BANDS = [("under24", _("under 24 h")), ("24to48", _("24–48 h")), ("over48", _("over 48 h"))]
# Age of the person at the injection date (years): the bands of the Ministry's tables.
PERSON_AGE_BANDS = [("0-17", 0, 17), ("18-59", 18, 59), ("60+", 60, None)]


@dataclass(frozen=True)
class Figure:
    name: str
    group: str
    label: str
    kind: str = FLOW

    @property
    def adx_code(self) -> str:
        """The data-element code in ADX exports (DHIS2 codes: upper case, no dots)."""
        return "VR_" + self.name.upper()


def _f(name, group, label, kind=FLOW) -> Figure:
    return Figure(name, group, label, kind)


FIGURES: list[Figure] = [
    # Collect
    _f("received_citizen", "collect", _("Reports received from citizens")),
    _f("received_clinic", "collect", _("Cases entered by a clinic")),
    _f("received_import", "collect", _("Cases from file imports")),
    _f("received_api", "collect", _("Cases received by API")),
    _f("confirmed_by_code", "collect", _("Reports confirmed by one-time code")),
    _f("joined_twin", "collect", _("Reports joined to an open twin")),
    # Update
    _f("records_created", "update", _("Injection records created")),
    _f("records_corrected", "update", _("Injection records corrected")),
    _f("doses_added", "update", _("Doses added to a case")),
    _f("info_requested", "update", _("Information requested")),
    _f("rejected_unreadable", "update", _("Rejected: evidence unreadable")),
    _f("rejected_no_injection", "update", _("Rejected: no such injection")),
    _f("rejected_identity", "update", _("Rejected: identity does not match")),
    _f("rejected_duplicate", "update", _("Rejected: duplicate")),
    _f("rejected_other", "update", _("Rejected: other reason")),
    # Police (the same numbers as the police daily verification report)
    _f("sent_to_police", "police", _("Sent to police")),
    _f("verified_by_registry", "police", _("Verified by the registry")),
    _f("confirmed_by_officer", "police", _("Confirmed by an officer")),
    _f("mismatch", "police", _("Identity mismatch")),
    _f("not_found", "police", pgettext_lazy("police outcome", "Not found")),
    _f("foreign_national", "police", _("Foreign nationals")),
    # Sign
    _f("records_signed", "sign", _("Records signed")),
    _f("cases_closed", "sign", _("Cases closed")),
    _f("signatures_superseded", "sign", _("Signatures superseded by a correction")),
    # Backlog at the end of the day, per step and age in that step; overdue = past the
    # 48-hour deadline in a state where the clinic's clock runs (verification.workflow).
    *[_f(f"backlog_{step}_{band}", "backlog", format_lazy("{}: {}, {}", _("Backlog"), step_label, band_label),
         STOCK)
      for step, _n, step_label in STEPS for band, band_label in AGE_BANDS],
    _f("overdue", "backlog", _("Cases past the 48-hour deadline, with the clinic"), STOCK),
    # Time spent in each step by the cases that left it that day.
    *[fig for step, _n, step_label in STEPS for fig in (
        _f(f"left_{step}", "time", format_lazy("{}: {}", _("Cases that left the step"), step_label)),
        _f(f"{step}_median_s", "time", format_lazy("{}: {}", _("Median time in step (s)"), step_label),
           DURATION),
        _f(f"{step}_p90_s", "time", format_lazy("{}: {}", _("90th percentile time in step (s)"), step_label),
           DURATION),
    )],
    # Doses on record at the end of the day, where given (facility, else the person's ward).
    _f("doses_dose1", "doses", _("First doses on record"), STOCK),
    _f("doses_dose2", "doses", _("Second doses on record"), STOCK),
    _f("doses_booster", "doses", _("Booster doses on record"), STOCK),
    _f("doses_given", "doses", _("Doses given that day (by injection date)")),
    # People, counted where they live (never twice across units).
    _f("people_dose1", "doses", _("People with a first dose"), STOCK),
    _f("people_dose2", "doses", _("People with a second dose"), STOCK),
    _f("people_booster", "doses", _("People with a booster dose"), STOCK),
    _f("population", "doses", _("Population in the registry"), STOCK),
    # File imports finished that day.
    _f("import_files", "imports", _("Files imported")),
    _f("import_rows", "imports", _("Rows read from files")),
    _f("import_invalid_rows", "imports", _("Invalid rows in files")),
]

BY_NAME = {f.name: f for f in FIGURES}
NAMES = [f.name for f in FIGURES]
# The police daily report's columns, by figure.
POLICE_FIGURES = ["sent_to_police", "verified_by_registry", "confirmed_by_officer", "mismatch", "not_found",
                  "foreign_national"]
REJECT_FIGURE = {"unreadable": "rejected_unreadable", "no_injection": "rejected_no_injection",
                 "identity": "rejected_identity", "duplicate": "rejected_duplicate",
                 "other": "rejected_other"}


def derived(values: dict) -> dict:
    """Ratios shown beside the stored counts: coverage of the population and drop-out
    from dose 1 to dose 2 (None where the denominator is 0)."""
    population, first, second = values.get("population") or 0, values.get("people_dose1") or 0, \
        values.get("people_dose2") or 0
    return {
        "coverage_dose1": round(first / population, 4) if population else None,
        "coverage_dose2": round(second / population, 4) if population else None,
        "dropout_1_2": round((first - second) / first, 4) if first else None,
    }
