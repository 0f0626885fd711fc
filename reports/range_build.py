"""Building a range of days in one pass (PostgreSQL): the backfill path.

A per-day build (reports.build) pays each day's random reads again; sixty of them cost
25 minutes at national scale. This builds every day of a range at once and reads each
source table once: flows are grouped by their local day, and every stock (the backlog by
step and age, doses and people on record, the population) is written as a difference
array: each fact's interval of midnights becomes +1 on the first day it counts and -1 on
the first day it no longer does, and a running sum over the days per unit gives the
stock at each midnight. The rules are the per-day build's own, restated over intervals,
and `tests/reports/test_range_build.py` holds the two builds equal on random data; the
figures of a range build are those of a per-day build counting every record
(`full=True`), day by day.

How each per-day rule becomes an interval of days (L(t): the local day of instant t; the
midnight ending day d, hi(d), is after t exactly when d >= L(t)):
- a case is in a state at hi(d) from the transition that brought it there (or its
  submission), exclusive, to the next transition, inclusive: d in [L(a), L(b) - 1];
- its age in the step is the whole seconds since the step's last change (rounded as the
  per-day build rounds them), so the 24 h and 48 h bands start at L(E + 86,399.5 s - 1 µs)
  and L(E + 172,799.5 s - 1 µs);
- overdue from L(deadline) on, in a state where the clinic's clock runs;
- a record version is on record from L(created) to L(its replacement's creation) - 1;
  a person holds a dose of a kind while one of their versions of that kind is on record.

The whole range is written in one transaction: a reader sees the old days or the new
ones, never a mix. Wide scratch rows (one column per figure) keep the final pivot cheap:
a narrow (figure, value) row per fact would be sixty times the per-day pivot's work.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reports import lanes, sql
from reports.build import (
    CASE_FACILITY,
    CASE_UNIT,
    CLOCK,
    FINAL,
    HEALTH_STATION,
    SHOWN,
    WARD_OF_RECORD,
    DayBuild,
    day_bounds,
    received_figure,
    timeline_figure,
)
from reports.figures import DURATION, FIGURES, REJECT_FIGURE, STEPS
from reports.models import ReportDay
from reports.stocks import age_band

DAYS, FLOW, DELTA = "reports_rb_days", "reports_rb_flow", "reports_rb_delta"
LEAVING, DUR, UNITS = "reports_rb_leaving", "reports_rb_dur", "reports_rb_units"
DOSE_UNITS, STOCK_UNITS = "reports_rb_dose_units", "reports_rb_stock_units"
TRANS, SEG, VERS = "reports_rb_trans", "reports_rb_seg", "reports_rb_vers"
DURATIONS = [f.name for f in FIGURES if f.kind == DURATION]
# Facts under a name the catalogue lacks (a rejection reason it does not know, a step-0
# leaving) are not shown, but still give their unit a row, as the per-day build does.
OTHER = "other_"
COLUMNS = [f.name for f in FIGURES if f.kind != DURATION] + [OTHER]
BACKLOG = [f"backlog_{step}_{band}" for step, _n, _l in STEPS for band in ("under24", "24to48", "over48")]
STOCK_COLUMNS = [*BACKLOG, "overdue", "doses_dose1", "doses_dose2", "doses_booster",
                 "people_dose1", "people_dose2", "people_booster", "population"]


def supported() -> bool:
    """The range build is written for PostgreSQL; elsewhere days are built one by one."""
    return sql.is_postgres()


def local_day(expr: str) -> str:
    return f"(({expr}) AT TIME ZONE %(tz)s)::date"


def _cols(names: list[str], kind: str) -> str:
    return ", ".join(f"{n} {kind}" for n in names)


def _temp_tables() -> dict[str, str]:
    return {
        DAYS: "day DATE PRIMARY KEY",
        FLOW: f"day DATE, facility INTEGER, ward INTEGER, {_cols(COLUMNS, 'INTEGER')}",
        DELTA: f"day DATE, facility INTEGER, ward INTEGER, {_cols(STOCK_COLUMNS, 'INTEGER')}",
        LEAVING: "day DATE, facility INTEGER, ward INTEGER, province INTEGER, step INTEGER, secs BIGINT",
        DUR: f"day DATE, level INTEGER, unit INTEGER, {_cols(DURATIONS, 'BIGINT')}",
        UNITS: f"day DATE, level INTEGER, unit INTEGER, {_cols(COLUMNS, 'BIGINT')}",
        STOCK_UNITS: f"day DATE, level INTEGER, unit INTEGER, {_cols(STOCK_COLUMNS, 'BIGINT')}",
        DOSE_UNITS: ("day DATE, level INTEGER, unit INTEGER, vaccine VARCHAR(40), dose_number INTEGER, "
                     "sex VARCHAR(1), age_band VARCHAR(8), delta BIGINT"),
        TRANS: ("case_id BIGINT, at TIMESTAMPTZ, from_status TEXT, from_step INTEGER, changes_step BOOLEAN, "
                "next_at TIMESTAMPTZ, next_from TEXT, changed_at TIMESTAMPTZ, changed_before TIMESTAMPTZ, "
                "k BIGINT"),
        SEG: "facility INTEGER, ward INTEGER, step INTEGER, s DATE, e DATE, x24 DATE, x48 DATE, od DATE, "
             "n INTEGER",
        VERS: ("citizen_id BIGINT, dose_number INTEGER, facility INTEGER, ward INTEGER, vaccine BIGINT, "
               "sex VARCHAR(1), band VARCHAR(8), s DATE, e DATE"),
    }


def _counted(source: str, figures: list[str], *, other: bool = True) -> str:
    """Flow facts from `source` (rows of day, facility, ward, figure) counted into one wide
    row per day and unit; a figure outside `figures` counts in OTHER."""
    counts = ", ".join(f"COALESCE(SUM(n) FILTER (WHERE figure = '{f}'), 0)" for f in figures)
    names = ", ".join(figures)
    listed = ", ".join(f"'{f}'" for f in figures)
    rest = f", COALESCE(SUM(n) FILTER (WHERE figure NOT IN ({listed})), 0)" if other else ""
    return f"""INSERT INTO {FLOW} (day, facility, ward, {names}{f', {OTHER}' if other else ''})
        SELECT day, facility, ward, {counts}{rest} FROM (
            SELECT day, facility, ward, figure, COUNT(*) AS n FROM ({source}) x
            GROUP BY day, facility, ward, figure) y
        GROUP BY day, facility, ward"""  # nosec B608 # constant SQL


def _case_flows() -> list[str]:
    received = f"""SELECT {local_day('c.submitted_at')} AS day, {CASE_FACILITY} AS facility,
                          c.ward_id AS ward, {received_figure()} AS figure
                   FROM {CASE_UNIT}
                   WHERE c.submitted_at >= %(lo)s AND c.submitted_at < %(hi)s AND {SHOWN}"""  # nosec B608 # constant SQL
    # each event's figure worked out once (OFFSET 0), and only the events that count joined to their case
    timeline = f"""SELECT t.day, {CASE_FACILITY} AS facility, c.ward_id AS ward, t.figure
                   FROM (SELECT e.case_id, {local_day('e.at')} AS day, {timeline_figure()} AS figure
                         FROM verification_caseevent e
                         WHERE e.at >= %(lo)s AND e.at < %(hi)s OFFSET 0) t
                        JOIN verification_reconciliationcase c ON c.id = t.case_id {HEALTH_STATION}
                   WHERE t.figure IS NOT NULL"""  # nosec B608 # constant SQL
    events = ["sent_to_police", "verified_by_registry", "confirmed_by_officer", "mismatch", "not_found",
              "foreign_national", "info_requested", "cases_closed", *REJECT_FIGURE.values(), "doses_added",
              "confirmed_by_code", "joined_twin"]
    return [_counted(received, ["received_citizen", "received_clinic", "received_import", "received_api"],
                     other=False),
            _counted(timeline, events)]


def _record_flows() -> list[str]:
    record_unit = "records_injectionrecord r LEFT JOIN records_facility f ON f.id = r.facility_id"
    signature_unit = """signing_signature s JOIN records_injectionrecord r ON r.id = s.record_id
        LEFT JOIN records_facility f ON f.id = r.facility_id"""

    def source(day: str, figure: str, unit: str, where: str) -> str:
        return f"""SELECT {day} AS day, r.facility_id AS facility, {WARD_OF_RECORD} AS ward,
                          {figure} AS figure
                   FROM {unit} WHERE {where}"""  # nosec B608 # constant SQL

    finished = "status = 'done' AND finished_at >= %(lo)s AND finished_at < %(hi)s"
    return [
        _counted(source(local_day("r.created_at"),
                        "CASE WHEN r.previous_id IS NULL THEN 'records_created' ELSE 'records_corrected' END",
                        record_unit, "r.created_at >= %(lo)s AND r.created_at < %(hi)s"),
                 ["records_created", "records_corrected"], other=False),
        _counted(source("r.injection_date", "'doses_given'", record_unit,
                        "r.injection_date >= %(d1)s AND r.injection_date <= %(d2)s "
                        "AND r.status <> 'superseded'"),
                 ["doses_given"], other=False),
        _counted(source(local_day("s.signing_time"), "'records_signed'", signature_unit,
                        "s.signing_time >= %(lo)s AND s.signing_time < %(hi)s"),
                 ["records_signed"], other=False),
        _counted(source(local_day("s.superseded_at"), "'signatures_superseded'", signature_unit,
                        "s.superseded_at >= %(lo)s AND s.superseded_at < %(hi)s"),
                 ["signatures_superseded"], other=False),
        f"""INSERT INTO {FLOW} (day, facility, ward, import_files, import_rows, import_invalid_rows)
            SELECT x.day, x.facility_id, f.ward_id, x.files, x.total, x.invalid FROM (
                SELECT {local_day('finished_at')} AS day, facility_id, COUNT(*) AS files,
                       SUM(total_rows) AS total, SUM(invalid_rows) AS invalid
                FROM verification_importjob WHERE {finished} GROUP BY 1, 2) x
            LEFT JOIN records_facility f ON f.id = x.facility_id""",  # nosec B608 # constant SQL
    ]


def _step_change(prefix: str) -> str:
    return f"{sql.step_of(prefix + 'from_status')} <> {sql.step_of(prefix + 'to_status')}"


def _transitions() -> str:
    """Every transition with, in (at, id) order per case: the next one's time and
    from-state, and the time of the last step change up to it (inclusive) and before it."""
    return f"""SELECT e.case_id, e.at, e.from_status, {sql.step_of('e.from_status')} AS from_step,
                      {_step_change('e.')} AS changes_step,
                      LEAD(e.at) OVER w AS next_at, LEAD(e.from_status) OVER w AS next_from,
                      MAX(CASE WHEN {_step_change('e.')} THEN e.at END) OVER w AS changed_at,
                      MAX(CASE WHEN {_step_change('e.')} THEN e.at END)
                          OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS changed_before,
                      ROW_NUMBER() OVER w AS k
               FROM verification_caseevent e WHERE e.transition <> ''
               WINDOW w AS (PARTITION BY e.case_id ORDER BY e.at, e.id)"""  # nosec B608 # constant SQL


def _leaving() -> list[str]:
    """Cases that left a step each day, with their time in it (leaving per-day rule)."""
    left = ", ".join(f"COUNT(*) FILTER (WHERE step = {n})" for _name, n, _l in STEPS)
    left_names = ", ".join(f"left_{name}" for name, _n, _l in STEPS)
    steps = ", ".join(str(n) for _name, n, _l in STEPS)
    return [f"""
        INSERT INTO {TRANS} (case_id, at, from_status, from_step, changes_step, next_at, next_from,
                             changed_at, changed_before, k)
        {_transitions()}""", f"""
        INSERT INTO {LEAVING} (day, facility, ward, province, step, secs)
        SELECT {local_day('t.at')}, {CASE_FACILITY}, c.ward_id, w.province_id, t.from_step,
               {sql.seconds_between('t.at', 'COALESCE(t.changed_before, c.submitted_at)')}
        FROM {TRANS} t
             JOIN verification_reconciliationcase c ON c.id = t.case_id {HEALTH_STATION}
             LEFT JOIN records_ward w ON w.code = c.ward_id
        WHERE t.at >= %(lo)s AND t.at < %(hi)s AND t.changes_step""",  # nosec B608 # constant SQL
            f"""
        INSERT INTO {FLOW} (day, facility, ward, {left_names}, {OTHER})
        SELECT day, facility, ward, {left}, COUNT(*) FILTER (WHERE step NOT IN ({steps}))
        FROM {LEAVING} GROUP BY day, facility, ward"""]  # nosec B608 # constant SQL


def _durations() -> list[str]:
    """Median and 90th percentile per day, unit and step, every level in one grouped pass.

    The per-day build takes the value at nearest rank ceil(p * n) (sql.percentile_rank);
    percentile_disc is that value (the first whose position n' has n' / n >= p)."""
    names = ", ".join(f"{name}_{s}" for name, _n, _l in STEPS for s in ("median_s", "p90_s"))
    values = ", ".join(f"MAX(p[{k}]) FILTER (WHERE step = {n})"
                       for _name, n, _l in STEPS for k in (1, 2))
    level = ("CASE WHEN GROUPING(facility) = 0 THEN 3 WHEN GROUPING(ward) = 0 THEN 2 "
             "WHEN GROUPING(province) = 0 THEN 1 ELSE 0 END")
    unit = ("CASE WHEN GROUPING(facility) = 0 THEN facility WHEN GROUPING(ward) = 0 THEN ward "
            "WHEN GROUPING(province) = 0 THEN province ELSE 0 END")
    return [f"""
        INSERT INTO {DUR} (day, level, unit, {names})
        SELECT day, level, unit, {values} FROM (
            SELECT day, step, {level} AS level, {unit} AS unit,
                   percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY secs) AS p
            FROM {LEAVING} WHERE step > 0
            GROUP BY day, step, GROUPING SETS ((facility), (province, ward), (province), ())) x
        WHERE unit IS NOT NULL
        GROUP BY day, level, unit"""]  # nosec B608 # constant SQL


def _backlog() -> list[str]:
    """The backlog as a difference array: each case's state segments (the initial one
    from its submission, then one after each transition), each cut into its age bands and
    its overdue part, each piece +1 on its first day and -1 after its last. The segments'
    days are stored first (computed once a segment), then expanded."""
    step = sql.step_of("q.state")
    seconds = {1: "86399.499999", 2: "172799.499999"}  # the per-day rounding of whole seconds
    x24, x48 = (local_day(f"q.entered + INTERVAL '{seconds[k]} seconds'") for k in (1, 2))
    overdue_from = (f"CASE WHEN q.deadline_at IS NOT NULL AND q.state IN ({CLOCK}) "
                    f"THEN {local_day('q.deadline_at')} END")
    sums = ", ".join(f"COALESCE(SUM(n) FILTER (WHERE fig = {i}), 0)" for i in range(len(BACKLOG) + 1))
    band = "CASE WHEN g.step BETWEEN 1 AND 4 THEN (g.step - 1) * 3"  # the step's first column
    segments = f"""
        SELECT c.ward_id AS ward, {CASE_FACILITY} AS facility, c.submitted_at, c.closed_at, c.deadline_at,
               s.a, s.b, s.state, s.entered
        FROM {TRANS} t
             JOIN verification_reconciliationcase c ON c.id = t.case_id {HEALTH_STATION}
             CROSS JOIN LATERAL (VALUES
                 (c.submitted_at, t.at, t.from_status, c.submitted_at, t.k = 1),
                 (t.at, t.next_at, CASE WHEN t.next_at IS NULL THEN c.status ELSE t.next_from END,
                  COALESCE(t.changed_at, c.submitted_at), TRUE)) s(a, b, state, entered, keep)
        WHERE s.keep AND {SHOWN}
        UNION ALL
        SELECT c.ward_id, {CASE_FACILITY}, c.submitted_at, c.closed_at, c.deadline_at,
               c.submitted_at, NULL, c.status, c.submitted_at
        FROM {CASE_UNIT}
        WHERE {SHOWN} AND NOT EXISTS (SELECT 1 FROM verification_caseevent e
                                      WHERE e.case_id = c.id AND e.transition <> '')"""  # nosec B608 # constant SQL
    # The band edges and the overdue day clamped to [s, e + 1] cut the same pieces, and let
    # the many open cases of a unit that share their days count as one segment of n.
    return [f"""
        INSERT INTO {SEG} (facility, ward, step, s, e, x24, x48, od, n)
        SELECT facility, ward, step, s, e, LEAST(GREATEST(x24, s), e + 1), LEAST(GREATEST(x48, s), e + 1),
               CASE WHEN od IS NOT NULL THEN LEAST(GREATEST(od, s), e + 1) END, COUNT(*) FROM (
            SELECT q.facility, q.ward, {step} AS step,
                   GREATEST({local_day('q.a')}, {local_day('q.submitted_at')}, %(d1)s) AS s,
                   LEAST({local_day('q.b')} - 1, {local_day('q.closed_at')} - 1, %(d2)s) AS e,
                   {x24} AS x24, {x48} AS x48, {overdue_from} AS od
            FROM ({segments}) q WHERE q.state NOT IN ({FINAL}) OFFSET 0) g
        WHERE g.s <= g.e
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""",  # nosec B608 # constant SQL
            f"""
        INSERT INTO {DELTA} (day, facility, ward, {", ".join(BACKLOG)}, overdue)
        SELECT day, facility, ward, {sums} FROM (
            SELECT d.day, g.facility, g.ward, p.fig, SUM(d.delta * g.n) AS n
            FROM {SEG} g
                 CROSS JOIN LATERAL (VALUES
                     ({band} END, g.s, LEAST(g.e, g.x24 - 1)),
                     ({band} + 1 END, GREATEST(g.s, g.x24), LEAST(g.e, g.x48 - 1)),
                     ({band} + 2 END, GREATEST(g.s, g.x48), g.e),
                     ({len(BACKLOG)}, CASE WHEN g.od IS NOT NULL THEN GREATEST(g.s, g.od) END, g.e))
                     p(fig, lo, hi)
                 CROSS JOIN LATERAL (VALUES (p.lo, 1), (p.hi + 1, -1)) d(day, delta)
            WHERE p.fig IS NOT NULL AND p.lo <= p.hi AND d.day <= %(d2)s
            GROUP BY 1, 2, 3, 4) x
        GROUP BY day, facility, ward"""]  # nosec B608 # constant SQL


def _versions() -> str:
    """Each record version's days on record [s, e] in the range, with what places and
    classes it (its unit, vaccine, the person's sex and age band), stored once for the
    doses and the people."""
    return f"""
        INSERT INTO {VERS} (citizen_id, dose_number, facility, ward, vaccine, sex, band, s, e)
        SELECT * FROM (
            SELECT r.citizen_id, r.dose_number, r.facility_id, COALESCE(f.ward_id, cz.ward_id), r.vaccine_id,
                   cz.sex, {age_band()},
                   GREATEST({local_day('r.created_at')}, %(d1)s) AS s,
                   LEAST({local_day('n.replaced_at')} - 1, %(d2)s) AS e
            FROM records_injectionrecord r
                 JOIN records_citizen cz ON cz.id = r.citizen_id
                 LEFT JOIN records_facility f ON f.id = r.facility_id
                 LEFT JOIN (SELECT previous_id, MIN(created_at) AS replaced_at FROM records_injectionrecord
                            WHERE previous_id IS NOT NULL GROUP BY previous_id) n ON n.previous_id = r.id
            WHERE r.created_at < %(hi)s OFFSET 0) x
        WHERE s <= e"""  # nosec B608 # constant SQL


def _doses() -> list[str]:
    """Doses on record as day changes: by unit and dose class for DailyFigures, and by
    province (and nation) × vaccine × dose × sex × age band for DailyDoses, each grouped
    straight from the versions (two small groupings, not one by every key at once)."""
    changes = f"""{VERS} g CROSS JOIN LATERAL (VALUES (g.s, 1), (g.e + 1, -1)) d(day, delta)"""
    classes = {"doses_dose1": 1, "doses_dose2": 2, "doses_booster": 3}
    return [f"""
        INSERT INTO {DELTA} (day, facility, ward, {", ".join(classes)})
        SELECT day, facility, ward, {", ".join(f"SUM(n) FILTER (WHERE cls = {k})" for k in classes.values())}
        FROM (SELECT d.day, g.facility, g.ward,
                     CASE WHEN g.dose_number = 1 THEN 1 WHEN g.dose_number = 2 THEN 2
                          WHEN g.dose_number NOT IN (1, 2) THEN 3 END AS cls, SUM(d.delta) AS n
              FROM {changes} WHERE d.day <= %(d2)s GROUP BY 1, 2, 3, 4) x
        WHERE cls IS NOT NULL
        GROUP BY day, facility, ward""",  # nosec B608 # constant SQL
            f"""
        INSERT INTO {DOSE_UNITS} (day, level, unit, vaccine, dose_number, sex, age_band, delta)
        WITH x AS (
            SELECT d.day, w.province_id AS province, v.code AS vaccine, g.dose_number, g.sex, g.band,
                   SUM(d.delta) AS delta
            FROM {changes} LEFT JOIN records_ward w ON w.code = g.ward
                 JOIN records_vaccineproduct v ON v.id = g.vaccine
            WHERE d.day <= %(d2)s GROUP BY 1, 2, 3, 4, 5, 6)
        SELECT day, 1, province, vaccine, dose_number, sex, band, SUM(delta) FROM x
        WHERE province IS NOT NULL GROUP BY 1, 3, 4, 5, 6, 7
        UNION ALL
        SELECT day, 0, 0, vaccine, dose_number, sex, band, SUM(delta) FROM x GROUP BY 1, 4, 5, 6, 7"""]  # nosec B608 # constant SQL


def _people() -> str:
    """People holding a dose of each kind: per person and kind, the running count of their
    versions on record, and +1/-1 where it turns positive or back to 0."""
    kind = ("CASE WHEN x.dose_number = 1 THEN 1 WHEN x.dose_number = 2 THEN 2 "
            "WHEN x.dose_number >= 3 THEN 3 END")
    return f"""
        INSERT INTO {DELTA} (day, facility, ward, people_dose1, people_dose2, people_booster)
        WITH pts AS (
            SELECT x.citizen_id, {kind} AS kind, d.day, SUM(d.delta) AS delta
            FROM {VERS} x
                 CROSS JOIN LATERAL (VALUES (x.s, 1), (x.e + 1, -1)) d(day, delta)
            WHERE d.day <= %(d2)s AND {kind} IS NOT NULL
            GROUP BY 1, 2, 3),
        held AS (
            SELECT citizen_id, kind, day,
                   CASE WHEN SUM(delta) OVER w > 0 THEN 1 ELSE 0 END AS held
            FROM pts WINDOW w AS (PARTITION BY citizen_id, kind ORDER BY day)),
        change AS (
            SELECT citizen_id, kind, day,
                   held - COALESCE(LAG(held) OVER (PARTITION BY citizen_id, kind ORDER BY day), 0) AS change
            FROM held)
        SELECT ch.day, CAST(NULL AS INTEGER), cz.ward_id,
               {", ".join(f"SUM(ch.change) FILTER (WHERE ch.kind = {k})" for k in (1, 2, 3))}
        FROM change ch JOIN records_citizen cz ON cz.id = ch.citizen_id
        WHERE ch.change <> 0 GROUP BY ch.day, cz.ward_id"""  # nosec B608 # constant SQL


def _population() -> str:
    return f"""INSERT INTO {DELTA} (day, facility, ward, population)
        SELECT GREATEST({local_day('created_at')}, %(d1)s), CAST(NULL AS INTEGER), ward_id, COUNT(*)
        FROM records_citizen WHERE created_at < %(hi)s AND ward_id IS NOT NULL GROUP BY 1, 3"""  # nosec B608 # constant SQL


def _levels(source: str, columns: list[str], target: str) -> str:
    """Rows of (day, facility, ward) summed to every unit of every level, in one grouped
    pass: (day, level, unit) into `target`."""
    level = ("CASE WHEN GROUPING(f.facility) = 0 THEN 3 WHEN GROUPING(f.ward) = 0 THEN 2 "
             "WHEN GROUPING(w.province_id) = 0 THEN 1 ELSE 0 END")
    unit = ("CASE WHEN GROUPING(f.facility) = 0 THEN f.facility WHEN GROUPING(f.ward) = 0 THEN f.ward "
            "WHEN GROUPING(w.province_id) = 0 THEN w.province_id ELSE 0 END")
    summed = ", ".join(f"SUM({c}) AS {c}" for c in columns)
    return f"""
        INSERT INTO {target} (day, level, unit, {", ".join(columns)})
        SELECT * FROM (
            SELECT f.day, {level} AS level, {unit} AS unit, {", ".join(f"SUM(f.{c})" for c in columns)}
            FROM (SELECT day, facility, ward, {summed} FROM {source} GROUP BY day, facility, ward) f
                 LEFT JOIN records_ward w ON w.code = f.ward
            GROUP BY GROUPING SETS ((f.day, f.facility), (f.day, f.ward), (f.day, w.province_id), (f.day))) x
        WHERE unit IS NOT NULL"""  # nosec B608 # constant SQL


def _running_stocks() -> list[str]:
    """The stocks at each midnight: the day changes summed to every unit, then running sums
    per unit over every day of the range (a unit with no change on a day keeps the day
    before's). Stocks add up, so summing the changes first gives the sums of the units'
    parts' stocks, over a few thousand units rather than every (facility, ward) pair."""
    running = ", ".join(f"SUM(COALESCE(d.{c}, 0)) OVER w AS {c}" for c in STOCK_COLUMNS)
    nonzero = " OR ".join(f"{c} <> 0" for c in STOCK_COLUMNS)
    return [_levels(DELTA, STOCK_COLUMNS, STOCK_UNITS), f"""
        INSERT INTO {UNITS} (day, level, unit, {", ".join(STOCK_COLUMNS)})
        SELECT day, level, unit, {", ".join(STOCK_COLUMNS)} FROM (
            SELECT g.day, k.level, k.unit, {running}
            FROM (SELECT DISTINCT level, unit FROM {STOCK_UNITS}) k
                 CROSS JOIN {DAYS} g
                 LEFT JOIN {STOCK_UNITS} d ON d.day = g.day AND d.level = k.level AND d.unit = k.unit
            WINDOW w AS (PARTITION BY k.level, k.unit ORDER BY g.day)) x
        WHERE {nonzero}"""]  # nosec B608 # constant SQL


def _rollup() -> str:
    """Every day's flows at facility, ward, province and nation in one grouped pass."""
    return _levels(FLOW, COLUMNS, UNITS)


def _write() -> list[str]:
    shown = [f.name for f in FIGURES]
    values = ", ".join(f"d.{f.name}" if f.kind == DURATION else f"COALESCE(u.{f.name}, 0)" for f in FIGURES)
    nonzero = " OR ".join(f"COALESCE(u.{c}, 0) <> 0" for c in COLUMNS)
    return [
        "DELETE FROM reports_dailyfigures WHERE day >= %(d1)s AND day <= %(d2)s",
        f"""INSERT INTO reports_dailyfigures (day, level, unit, province, ward, {", ".join(shown)})
            SELECT u.day, u.level, u.unit,
                   CASE u.level WHEN 1 THEN u.unit WHEN 2 THEN w.province_id WHEN 3 THEN fw.province_id END,
                   CASE u.level WHEN 2 THEN u.unit WHEN 3 THEN f.ward_id END, {values}
            FROM (SELECT day, level, unit, {", ".join(f"SUM({c}) AS {c}" for c in COLUMNS)}
                  FROM {UNITS} GROUP BY day, level, unit) u
                 LEFT JOIN {DUR} d ON d.day = u.day AND d.level = u.level AND d.unit = u.unit
                 LEFT JOIN records_ward w ON u.level = 2 AND w.code = u.unit
                 LEFT JOIN records_facility f ON u.level = 3 AND f.id = u.unit
                 LEFT JOIN records_ward fw ON fw.code = f.ward_id
            WHERE {nonzero} OR d.day IS NOT NULL""",  # nosec B608 # constant SQL
        "DELETE FROM reports_dailydoses WHERE day >= %(d1)s AND day <= %(d2)s",
        f"""INSERT INTO reports_dailydoses (day, level, unit, vaccine, dose_number, sex, age_band, doses)
            SELECT day, level, unit, vaccine, dose_number, sex, age_band, doses FROM (
                SELECT g.day, k.level, k.unit, k.vaccine, k.dose_number, k.sex, k.age_band,
                       SUM(COALESCE(d.delta, 0)) OVER (PARTITION BY k.level, k.unit, k.vaccine, k.dose_number,
                                                                 k.sex, k.age_band ORDER BY g.day) AS doses
                FROM (SELECT DISTINCT level, unit, vaccine, dose_number, sex, age_band FROM {DOSE_UNITS}) k
                     CROSS JOIN {DAYS} g
                     LEFT JOIN {DOSE_UNITS} d ON d.day = g.day AND d.level = k.level AND d.unit = k.unit
                          AND d.vaccine = k.vaccine AND d.dose_number = k.dose_number AND d.sex = k.sex
                          AND d.age_band = k.age_band) x
            WHERE doses <> 0""",  # nosec B608 # constant SQL
    ]


def _days() -> tuple[str, str]:
    return ("days", f"INSERT INTO {DAYS} (day) SELECT CAST(g AS DATE) FROM "  # nosec B608 # constant SQL
            "generate_series(CAST(%(d1)s AS DATE), CAST(%(d2)s AS DATE), INTERVAL '1 day') g")


def chains() -> dict[str, list[tuple[str, str]]]:
    """The build's statements as chains, labelled, in order: each chain reads the source
    tables and its own scratch tables and hands on only SHARED ones, so the chains before
    "stocks" may run at once (reports.lanes), then "stocks" and "rollup", then "write"."""
    def numbered(name: str, found: list[str]) -> list[tuple[str, str]]:
        return [(f"{name} {n}", s) for n, s in enumerate(found, 1)]

    return {
        "case flows": numbered("case flows", _case_flows()),
        "record flows": numbered("record flows", _record_flows()),
        # leaving 1: every case's transitions, which the backlog's segments read too
        "backlog": [*numbered("leaving", _leaving()), *(("durations", s) for s in _durations()),
                    *numbered("backlog", _backlog())],
        "records": [("record versions", _versions()), *numbered("doses", _doses()), ("people", _people()),
                    ("population", _population())],
        "stocks": [_days(), *numbered("running stocks", _running_stocks())],
        "rollup": [("rollup", _rollup())],
        "write": [_days(), *numbered("write", _write())],
    }


# The scratch tables one chain fills and a later one reads: with lanes, tables of the build
# that every lane's connection sees (reports.lanes); the others stay each connection's own.
SHARED = [FLOW, DELTA, DUR, DOSE_UNITS, UNITS]


def statements() -> list[tuple[str, str]]:
    """Every statement of a range build after its scratch tables, labelled, in order, on
    one connection (the benchmark times them one by one)."""
    groups = chains()
    labelled = [_days()]
    for chain in groups.values():
        labelled += [(label, s) for label, s in chain if label != "days"]
    return _with_statistics(labelled)


def _with_statistics(labelled: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """ANALYZE each scratch table once it is filled and before a statement reads it: with
    no statistics the planner takes a table of millions of rows for a small one (a nested
    loop over the running stocks' days took minutes)."""
    out, filled = [], set()
    for label, statement in labelled:
        target = re.match(r"\s*INSERT INTO (reports_rb_\w+)", statement)
        target = target.group(1) if target else None
        for table in sorted(filled):
            if len(re.findall(rf"\b{table}\b", statement)) > (table == target):
                out.append((f"statistics {table.removeprefix('reports_rb_')}", f"ANALYZE {table}"))
                filled.discard(table)
        out.append((label, statement))
        if target:
            filled.add(target)
    return out


def params(start: date, end: date) -> dict:
    return {"d1": start, "d2": end, "lo": day_bounds(start)[0], "hi": day_bounds(end)[1],
            "tz": settings.TIME_ZONE}


def create_temp_tables(cursor) -> None:
    for name, columns in _temp_tables().items():
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP")


# The per-day build's settings, with room for the range's larger sorts and hashes.
TUNING = ["SET LOCAL work_mem = '512MB'", "SET LOCAL jit = off", "SET LOCAL random_page_cost = 1.1"]


def tune(cursor) -> None:
    for statement in TUNING:
        cursor.execute(statement)


def build_range(start: date, end: date, *, now: datetime | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> list[DayBuild]:
    """Replace the stored figures of every day from `start` to `end` in one transaction;
    the caller checks the days may be rebuilt (reports.services.build_days). With lanes
    (reports.lanes) the chains run at once on their own connections and the figures are
    written on this one; else every statement runs here."""
    started = time.monotonic()
    values = params(start, end)
    if not lanes.usable():
        steps = statements()
        with transaction.atomic(), connection.cursor() as cursor:
            tune(cursor)
            create_temp_tables(cursor)
            for n, (label, statement) in enumerate(steps, 1):
                cursor.execute(statement, values)
                if progress:
                    progress(label, n, len(steps))
            return _record_days(cursor, start, end, values, now=now, started=started)
    tables = _temp_tables()
    groups = chains()
    phases = [["backlog", "records", "record flows", "case flows"], ["stocks", "rollup"]]
    runs = [[_with_statistics(groups[name]) for name in names] for names in phases]
    total = sum(len(chain) for run in runs for chain in run) + len(groups["write"])
    done = [0]

    def counted(label: str, *_n) -> None:  # the statements of every phase, counted as one build
        done[0] += 1
        if progress:
            progress(label, done[0], total)

    with lanes.Shared({name: tables[name] for name in SHARED}) as shared:
        own = [f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP"
               for name, columns in tables.items() if name not in SHARED]
        setup = [*TUNING, *own]
        for n, run in enumerate(runs):
            # The source tables are read in the first phase only, all lanes in one snapshot.
            lanes.run([[(label, shared.rename(s)) for label, s in chain] for chain in run], values,
                      setup=setup, snapshot=n == 0, progress=counted)
            shared.analyze([FLOW, DELTA] if n == 0 else [UNITS, DUR, DOSE_UNITS])
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in setup:
                cursor.execute(statement)
            for label, statement in groups["write"]:
                cursor.execute(shared.rename(statement), values)
                counted(label)
            return _record_days(cursor, start, end, values, now=now, started=started)


def _record_days(cursor, start: date, end: date, values: dict, *, now, started: float) -> list[DayBuild]:
    """The built days' rows and time, in ReportDay (inside the build's transaction)."""
    cursor.execute("SELECT day, COUNT(*) FROM reports_dailyfigures WHERE day >= %(d1)s AND day <= %(d2)s "
                   "GROUP BY day", values)
    rows = dict(cursor.fetchall())
    seconds = time.monotonic() - started
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    built_at = now or timezone.now()
    for day in days:
        ReportDay.objects.update_or_create(day=day, defaults={
            "built_at": built_at, "build_ms": int(seconds * 1000 / len(days)), "rows": rows.get(day, 0),
            "stale_since": None, "stale_reason": ""})
    return [DayBuild(day=day, rows=rows.get(day, 0), seconds=seconds / len(days)) for day in days]
