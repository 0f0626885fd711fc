"""Building one local day of figures, set-wise, in the database.

A build reads what the four steps already write (cases and their timeline events,
injection records and their versions, signatures, import jobs) and replaces the day's
rows of `DailyFigures` and `DailyDoses` in one transaction, so a reader sees the old day
or the new one, never half of either. The work is a handful of grouped INSERT ... SELECT
statements: facts are first counted at the finest grain (facility × ward) into a
temporary table, rolled up to ward, province and nation, then pivoted into one row per
unit. No Python loop touches a source row; the same SQL runs on PostgreSQL and SQLite
(reports.sql holds the few spellings that differ).

Definitions (the README's "Reports" section says them for users):
- a case's unit: its facility (none named: the health station of its ward), the ward
  where the person lives, that ward's province; citizen reports count once confirmed;
- a record's unit: the facility that gave the dose (none: the person's ward);
- "on record at the end of the day": created before midnight and not yet replaced by a
  correction at midnight; people are counted in the ward where they live;
- a case's step is STEP_OF_STATE of its state; its time in a step runs from the
  transition that brought it into the step (or its submission) to the one that took it
  out; backlog age is the time in the current step at midnight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from reports import lanes, sql, stocks
from reports.figures import DURATION, FIGURES, STEPS
from reports.models import ReportDay
from verification.workflow import CLOCK_STATES, FINAL_STATES

BASE, UNITS, LEAVING, DOSES = sql.BASE, sql.UNITS, sql.LEAVING, sql.DOSES
AFTER, ENTERED, OPEN = "reports_tmp_after", "reports_tmp_entered", "reports_tmp_open"
CHANGED = "reports_tmp_changed"  # the cases whose backlog figures can change that day
TEMP_TABLES = {
    BASE: "facility INTEGER, ward INTEGER, figure VARCHAR(40), value BIGINT",
    UNITS: "level INTEGER, unit INTEGER, figure VARCHAR(40), value BIGINT",
    LEAVING: "facility INTEGER, ward INTEGER, province INTEGER, step INTEGER, secs BIGINT",
    DOSES: "facility INTEGER, ward INTEGER, vaccine VARCHAR(40), dose_number INTEGER, sex VARCHAR(1), "
           "age_band VARCHAR(8), doses BIGINT",
    AFTER: "case_id BIGINT PRIMARY KEY, event_id BIGINT",
    ENTERED: "case_id BIGINT PRIMARY KEY, entered {timestamp}",
    OPEN: "facility INTEGER, ward INTEGER, figure VARCHAR(40), overdue INTEGER, n BIGINT",
    CHANGED: "case_id BIGINT PRIMARY KEY",
    sql.TOUCHED: "citizen_id BIGINT, lo INTEGER, hi INTEGER, PRIMARY KEY (citizen_id, lo)",
    sql.TOUCHED_RECORDS: ("citizen_id BIGINT, dose_number INTEGER, created_at {timestamp}, "
                          "replaced_at {timestamp}"),
}
# The facility that answers for a case naming none: its ward's health station.
HEALTH_STATION = """LEFT JOIN (SELECT ward_id AS hs_ward, MIN(id) AS hs_id FROM records_facility
               WHERE is_health_station GROUP BY ward_id) hs ON hs.hs_ward = c.ward_id"""
CASE_UNIT = f"verification_reconciliationcase c {HEALTH_STATION}"
CASE_FACILITY = "COALESCE(c.facility_id, hs.hs_id)"
# Where a record counts: its facility's ward, else (rare) the person's, looked up only then.
WARD_OF_RECORD = "COALESCE(f.ward_id, (SELECT cz.ward_id FROM records_citizen cz WHERE cz.id = r.citizen_id))"
SHOWN = "(c.confirmed OR c.origin <> 'citizen_report')"
FINAL = ", ".join(f"'{s}'" for s in sorted(FINAL_STATES))
# Overdue: past the 48-hour deadline in a state where the clinic's clock runs (as its queue shows).
CLOCK = ", ".join(f"'{s}'" for s in sorted(CLOCK_STATES))
# Stocks carried from the day before when it is stored whole: doses and people (reports.stocks)
# and the backlog (_backlog_carried).
CARRIED = [*stocks.STOCKS, *(f.name for f in FIGURES if f.group == "backlog")]
# Grouped aggregates of up to a million groups stay in memory; JIT compilation costs more
# than it saves on statements that run once a day; storage is SSD (as production runs it):
# with the spinning-disk default the planner hashes all cases to join one day's events
# instead of probing their keys.
TUNING = ["SET LOCAL work_mem = '256MB'", "SET LOCAL jit = off", "SET LOCAL random_page_cost = 1.1"]
STEP_NAME = "CASE {expr} " + " ".join(f"WHEN {n} THEN '{name}'" for name, n, _l in STEPS) + " END"


@dataclass(frozen=True)
class DayBuild:
    day: date
    rows: int
    seconds: float
    carried: bool = False


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as [start, end) instants (the zone of settings.TIME_ZONE)."""
    tz = timezone.get_default_timezone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start, end


def day_params(day: date) -> dict:
    """The parameters of a day's statements: its bounds, the instants 48 hours before each,
    the day and the day before."""
    lo, hi = day_bounds(day)
    return {"lo": sql.adapt_instant(lo), "hi": sql.adapt_instant(hi), "day": day,
            "lo48": sql.adapt_instant(lo - timedelta(hours=48)),
            "hi48": sql.adapt_instant(hi - timedelta(hours=48)), "prev": day - timedelta(days=1)}


def _temp_tables(cursor) -> None:
    for name in TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({_columns(name)})")


def _drop_temp_tables(cursor) -> None:
    for name in TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def received_figure() -> str:
    """The figure a received case counts in, by its origin (the channel)."""
    return """CASE c.origin WHEN 'citizen_report' THEN 'received_citizen'
                             WHEN 'clinic_entry' THEN 'received_clinic'
                             WHEN 'bulk_import' THEN 'received_import' ELSE 'received_api' END"""


def timeline_figure() -> str:
    """The figure a timeline event `e` counts in (NULL: none), shared with the range build."""
    action = sql.json_text("e.data", "action")
    reason = sql.json_text("e.data", "reason")
    return f"""CASE
                WHEN e.to_status = 'awaiting_police' AND e.from_status <> 'awaiting_police'
                     THEN 'sent_to_police'
                WHEN e.transition = 'verify_identity' AND e.actor_id IS NULL THEN 'verified_by_registry'
                WHEN e.transition = 'verify_identity' THEN 'confirmed_by_officer'
                WHEN e.transition = 'report_mismatch' THEN 'mismatch'
                WHEN e.transition = 'report_not_found' THEN 'not_found'
                WHEN e.transition = 'mark_foreign' THEN 'foreign_national'
                WHEN e.transition = 'request_info' THEN 'info_requested'
                WHEN e.transition = 'close' THEN 'cases_closed'
                WHEN e.transition = 'reject' THEN 'rejected_' || COALESCE({reason}, 'other')
                WHEN {action} IN ('add_dose', 'use_existing_dose') THEN 'doses_added'
                WHEN {action} = 'confirm' THEN 'confirmed_by_code'
                WHEN {action} = 'join_report' THEN 'joined_twin'
                END"""


def _case_facts() -> list[str]:
    """Cases received, and everything the timeline says happened that day."""
    received = f"""
        INSERT INTO {BASE} (facility, ward, figure, value)
        SELECT fac, ward, figure, COUNT(*) FROM (
            SELECT {CASE_FACILITY} AS fac, c.ward_id AS ward, {received_figure()} AS figure
            FROM {CASE_UNIT}
            WHERE c.submitted_at >= %(lo)s AND c.submitted_at < %(hi)s AND {SHOWN}) x
        GROUP BY fac, ward, figure"""  # nosec B608 # constant SQL
    timeline = f"""
        INSERT INTO {BASE} (facility, ward, figure, value)
        SELECT fac, ward, figure, COUNT(*) FROM (
            SELECT {CASE_FACILITY} AS fac, c.ward_id AS ward, {timeline_figure()} AS figure
            FROM verification_caseevent e
                 JOIN verification_reconciliationcase c ON c.id = e.case_id {HEALTH_STATION}
            WHERE e.at >= %(lo)s AND e.at < %(hi)s) x
        WHERE figure IS NOT NULL
        GROUP BY fac, ward, figure"""  # nosec B608 # constant SQL
    return [received, timeline]


def _backlog_at(instant: str, *, sign: int = 1, changed_only: bool = False) -> list[str]:
    """Open cases at an instant (`instant`: the parameter "hi" or "lo") by step and age in
    that step, and those past their deadline, added to the facts with `sign`.

    Read without a look-up per case: a case's state at the instant is the from-status of its
    first transition after it, or its status now when it has none (the nightly build's usual
    case); its age band needs only the step changes of the 48 hours before (none there: it
    entered the step earlier, or at its submission). `changed_only`: only the cases of the
    day's change set (CHANGED, see _backlog_carried)."""
    at, at48 = f"%({instant})s", f"%({instant}48)s"
    step_change = f"{sql.step_of('e.from_status')} <> {sql.step_of('e.to_status')}"
    if changed_only:
        # Driven by the change set: each case's transitions after the instant, found in the
        # (case, at) index, never the whole timeline after an old day.
        after = f"""SELECT x.case_id, x.id, x.at FROM {CHANGED} k
                    JOIN verification_caseevent x ON x.case_id = k.case_id
                    WHERE x.at >= {at} AND x.transition <> ''"""  # nosec B608 # constant SQL
        only = f"JOIN {CHANGED} k ON k.case_id = c.id"
        only_events = f"JOIN {CHANGED} k ON k.case_id = e.case_id"
    else:
        after = f"""SELECT case_id, id, at FROM verification_caseevent
                    WHERE at >= {at} AND transition <> ''"""  # nosec B608 # constant SQL
        only = only_events = ""
    # The first of them in (at, id) order, ranked in one pass (no second look-up per case).
    first_after = f"""
        INSERT INTO {AFTER} (case_id, event_id)
        SELECT case_id, id FROM (
            SELECT case_id, id, ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY at, id) AS rn
            FROM ({after}) a) f
        WHERE rn = 1"""  # nosec B608 # constant SQL
    entered = f"""
        INSERT INTO {ENTERED} (case_id, entered)
        SELECT e.case_id, MAX(e.at) FROM verification_caseevent e {only_events}
        WHERE e.at >= {at48} AND e.at < {at} AND e.transition <> '' AND {step_change}
        GROUP BY e.case_id"""  # nosec B608 # constant SQL
    open_cases = _open_cases_at(instant, sign=sign, only=only)
    return [f"DELETE FROM {AFTER}", f"DELETE FROM {ENTERED}", f"DELETE FROM {OPEN}",  # nosec B608 # constant SQL
            first_after, entered, open_cases, f"""
        INSERT INTO {BASE} (facility, ward, figure, value)
        SELECT facility, ward, figure, SUM(n) FROM {OPEN} WHERE figure IS NOT NULL
        GROUP BY facility, ward, figure""",  # nosec B608 # constant SQL
            f"""
        INSERT INTO {BASE} (facility, ward, figure, value)
        SELECT facility, ward, 'overdue', SUM(n) FROM {OPEN} WHERE overdue = 1 """
        "GROUP BY facility, ward"]  # nosec B608 # constant SQL


def _open_cases_at(instant: str, *, sign: int, only: str) -> str:
    """The open cases at the instant counted per unit, step, age band and overdue at once,
    from the state and step entry found before (AFTER, ENTERED); `only`: a join that keeps
    the change set."""
    at, at48 = f"%({instant})s", f"%({instant}48)s"
    band = ("CASE WHEN secs IS NULL OR secs >= 172800 THEN 'over48' WHEN secs >= 86400 THEN '24to48' "
            "ELSE 'under24' END")
    step = STEP_NAME.format(expr=sql.step_of("state"))
    # Counted per unit, step, age band and overdue at once: the open cases are the largest
    # set a build reads (a million at national scale), so they are grouped, never stored.
    return f"""
        INSERT INTO {OPEN} (facility, ward, figure, overdue, n)
        SELECT fac, ward, 'backlog_' || {step} || '_' || {band}, overdue, {sign} * COUNT(*) FROM (
            SELECT fac, ward, state,
                   CASE WHEN past_deadline = 1 AND state IN ({CLOCK}) THEN 1 ELSE 0 END AS overdue,
                   {sql.seconds_between(sql.timestamp_param(instant), 'entered')} AS secs FROM (
                SELECT {CASE_FACILITY} AS fac, c.ward_id AS ward, COALESCE(ev.from_status, c.status) AS state,
                       CASE WHEN c.deadline_at < {at} THEN 1 ELSE 0 END AS past_deadline,
                       COALESCE(en.entered, CASE WHEN c.submitted_at >= {at48} THEN c.submitted_at END)
                           AS entered
                FROM {CASE_UNIT} {only}
                     LEFT JOIN {AFTER} a ON a.case_id = c.id
                     LEFT JOIN verification_caseevent ev ON ev.id = a.event_id
                     LEFT JOIN {ENTERED} en ON en.case_id = c.id
                WHERE c.submitted_at < {at} AND (c.closed_at IS NULL OR c.closed_at >= {at})
                  AND {SHOWN}) s
            WHERE state NOT IN ({FINAL})) o
        GROUP BY fac, ward, 'backlog_' || {step} || '_' || {band}, overdue"""  # nosec B608 # constant SQL


def _backlog_carried() -> list[str]:
    """The backlog at midnight as the day before's (carried in UNITS, as the stocks are)
    plus the change of the cases whose figures can differ between the two midnights: each
    such case's contribution at the day's start is taken away and its contribution at the
    day's end added, by the same rule as the full count, so the sum equals it.

    A case's figures can change only if it took a transition since 48 hours before the
    day's start (its state, or the step change its age counts from), was submitted then
    (it appears, or its age crosses a band), or its deadline passed during the day."""
    changed = f"""
        INSERT INTO {CHANGED} (case_id)
        SELECT case_id FROM verification_caseevent
        WHERE at >= %(lo48)s AND at < %(hi)s AND transition <> ''
        UNION SELECT id FROM verification_reconciliationcase
        WHERE submitted_at >= %(lo48)s AND submitted_at < %(hi)s
        UNION SELECT id FROM verification_reconciliationcase
        WHERE deadline_at >= %(lo)s AND deadline_at < %(hi)s"""  # nosec B608 # constant SQL
    return [changed, *_backlog_at("lo", sign=-1, changed_only=True),
            *_backlog_at("hi", changed_only=True)]


def _backlog_facts(*, carry: bool) -> list[str]:
    """Open cases at midnight by step and age in that step, and those past their deadline:
    counted over every case, or carried from the day before (`carry`)."""
    return _backlog_carried() if carry else _backlog_at("hi")


def _leaving_facts() -> list[str]:
    """Cases that left a step that day, with the seconds they spent in it."""
    entered = f"""COALESCE((SELECT MAX(p.at) FROM verification_caseevent p
                            WHERE p.case_id = e.case_id AND p.transition <> ''
                              AND {sql.step_of('p.from_status')} <> {sql.step_of('p.to_status')}
                              AND (p.at < e.at OR (p.at = e.at AND p.id < e.id))), """ \
        "c.submitted_at)"  # nosec B608 # constant SQL
    return [f"""
        INSERT INTO {LEAVING} (facility, ward, province, step, secs)
        SELECT {CASE_FACILITY}, c.ward_id,
               (SELECT w.province_id FROM records_ward w WHERE w.code = c.ward_id),
               {sql.step_of('e.from_status')}, {sql.seconds_between('e.at', entered)}
        FROM verification_caseevent e
             JOIN verification_reconciliationcase c ON c.id = e.case_id {HEALTH_STATION}
        WHERE e.at >= %(lo)s AND e.at < %(hi)s AND e.transition <> ''
          AND {sql.step_of('e.from_status')} <> {sql.step_of('e.to_status')}""",  # nosec B608 # constant SQL
            f"""
        INSERT INTO {BASE} (facility, ward, figure, value)
        SELECT facility, ward, 'left_' || {STEP_NAME.format(expr='step')}, COUNT(*) FROM {LEAVING}
        GROUP BY facility, ward, step"""]  # nosec B608 # constant SQL


def _duration_units() -> list[str]:
    """Median and 90th percentile of the time in step, per unit (percentiles do not add
    up, so each level ranks its own cases)."""
    statements = []
    for level, unit in ((3, "facility"), (2, "ward"), (1, "province"), (0, "0")):
        ranked = f"""
            SELECT {unit} AS unit, step, secs,
                   ROW_NUMBER() OVER (PARTITION BY {unit}, step ORDER BY secs) AS rn,
                   COUNT(*) OVER (PARTITION BY {unit}, step) AS n
            FROM {LEAVING} WHERE {unit} IS NOT NULL"""  # nosec B608 # constant SQL
        for suffix, num, den in (("median_s", 1, 2), ("p90_s", 9, 10)):
            statements.append(f"""
                INSERT INTO {UNITS} (level, unit, figure, value)
                SELECT {level}, unit, {STEP_NAME.format(expr='step')} || '_{suffix}', secs
                FROM ({ranked}) r WHERE rn = {sql.percentile_rank('n', num, den)} """
                "AND step > 0")  # nosec B608 # constant SQL
    return statements


def _record_facts() -> list[str]:
    """Records created and corrected, doses given, signatures, the population and imports
    (doses and people on record are stocks: reports.stocks)."""
    record_unit = "records_injectionrecord r LEFT JOIN records_facility f ON f.id = r.facility_id"
    signature_unit = """signing_signature s JOIN records_injectionrecord r ON r.id = s.record_id
        LEFT JOIN records_facility f ON f.id = r.facility_id"""

    def counted(figure: str, source: str, where: str) -> str:
        return f"""INSERT INTO {BASE} (facility, ward, figure, value)
            SELECT facility, ward, figure, COUNT(*) FROM (
                SELECT r.facility_id AS facility, {WARD_OF_RECORD} AS ward, {figure} AS figure
                FROM {source} WHERE {where}) x
            GROUP BY facility, ward, figure"""  # nosec B608 # constant SQL

    return [
        counted("CASE WHEN r.previous_id IS NULL THEN 'records_created' ELSE 'records_corrected' END",
                record_unit, "r.created_at >= %(lo)s AND r.created_at < %(hi)s"),
        counted("'doses_given'", record_unit, "r.injection_date = %(day)s AND r.status <> 'superseded'"),
        counted("'records_signed'", signature_unit, "s.signing_time >= %(lo)s AND s.signing_time < %(hi)s"),
        counted("'signatures_superseded'", signature_unit,
                "s.superseded_at >= %(lo)s AND s.superseded_at < %(hi)s"),
        f"""INSERT INTO {BASE} (facility, ward, figure, value)
            SELECT CAST(NULL AS INTEGER), ward_id, 'population', COUNT(*) FROM records_citizen
            WHERE created_at < %(hi)s AND ward_id IS NOT NULL """
            "GROUP BY ward_id",  # nosec B608 # constant SQL
        f"""INSERT INTO {BASE} (facility, ward, figure, value)
            SELECT x.facility_id, f.ward_id, x.figure, x.value FROM (
                SELECT facility_id, 'import_files' AS figure, COUNT(*) AS value FROM verification_importjob
                WHERE status = 'done' AND finished_at >= %(lo)s AND finished_at < %(hi)s GROUP BY facility_id
                UNION ALL
                SELECT facility_id, 'import_rows', SUM(total_rows) FROM verification_importjob
                WHERE status = 'done' AND finished_at >= %(lo)s AND finished_at < %(hi)s GROUP BY facility_id
                UNION ALL
                SELECT facility_id, 'import_invalid_rows', SUM(invalid_rows) FROM verification_importjob
                WHERE status = 'done' AND finished_at >= %(lo)s AND finished_at < %(hi)s GROUP BY facility_id
            ) x LEFT JOIN records_facility f ON f.id = x.facility_id""",  # nosec B608 # constant SQL
    ]


def _rollup() -> list[str]:
    return [
        f"""INSERT INTO {UNITS} (level, unit, figure, value)
            SELECT 3, facility, figure, SUM(value) FROM {BASE} WHERE facility IS NOT NULL
            GROUP BY facility, figure""",  # nosec B608 # constant SQL
        f"""INSERT INTO {UNITS} (level, unit, figure, value)
            SELECT 2, ward, figure, SUM(value) FROM {BASE} WHERE ward IS NOT NULL """
            "GROUP BY ward, figure",  # nosec B608 # constant SQL
        f"""INSERT INTO {UNITS} (level, unit, figure, value)
            SELECT 1, w.province_id, b.figure, SUM(b.value) FROM {BASE} b
                   JOIN records_ward w ON w.code = b.ward
            GROUP BY w.province_id, b.figure""",  # nosec B608 # constant SQL
        f"""INSERT INTO {UNITS} (level, unit, figure, value)
            SELECT 0, 0, figure, SUM(value) FROM {BASE} GROUP BY figure""",  # nosec B608 # constant SQL
    ]


def _pivot(nonzero: str) -> str:
    """One row per unit with a column per figure, from (level, unit, figure, value) rows.
    PostgreSQL gathers each unit's figures into one JSON object and reads each column from
    it (0 where a count is absent, NULL where a duration is); elsewhere one CASE per figure
    and row."""
    if sql.is_postgres():
        columns = ", ".join(
            f"(p.j ->> '{f.name}')::bigint AS {f.name}" if f.kind == DURATION
            else f"COALESCE((p.j ->> '{f.name}')::bigint, 0) AS {f.name}" for f in FIGURES)
        return f"""SELECT p.level, p.unit, {columns} FROM (
                SELECT level, unit, jsonb_object_agg(figure, value) AS j FROM {nonzero} u
                GROUP BY level, unit) p"""  # nosec B608 # constant SQL
    values = ", ".join(
        f"MAX(CASE WHEN u.figure = '{f.name}' THEN u.value END) AS {f.name}" if f.kind == DURATION
        else f"COALESCE(SUM(CASE WHEN u.figure = '{f.name}' THEN u.value END), 0) AS {f.name}"
        for f in FIGURES)
    return f"SELECT u.level, u.unit, {values} FROM {nonzero} u GROUP BY u.level, u.unit"  # nosec B608 # constant SQL


def _write_day() -> list[str]:
    """One row per unit with a figure that is not 0 (a carried stock that fell to 0 leaves
    no row behind, as a full count has none), naming the unit's province and ward."""
    columns = ", ".join(f.name for f in FIGURES)
    durations = ", ".join(f"'{f.name}'" for f in FIGURES if f.kind == DURATION)
    nonzero = f"""(SELECT level, unit, figure, SUM(value) AS value FROM {UNITS} GROUP BY level, unit, figure
                  HAVING SUM(value) <> 0 OR figure IN ({durations}))"""  # nosec B608 # constant SQL
    return [
        "DELETE FROM reports_dailyfigures WHERE day = %(day)s",
        f"""INSERT INTO reports_dailyfigures (day, level, unit, province, ward, {columns})
            SELECT %(day)s, u.level, u.unit,
                   CASE u.level WHEN 1 THEN u.unit WHEN 2 THEN w.province_id WHEN 3 THEN fw.province_id END,
                   CASE u.level WHEN 2 THEN u.unit WHEN 3 THEN f.ward_id END,
                   {", ".join(f"u.{f.name}" for f in FIGURES)}
            FROM ({_pivot(nonzero)}) u
                 LEFT JOIN records_ward w ON u.level = 2 AND w.code = u.unit
                 LEFT JOIN records_facility f ON u.level = 3 AND f.id = u.unit
                 LEFT JOIN records_ward fw ON fw.code = f.ward_id""",  # nosec B608 # constant SQL
        "DELETE FROM reports_dailydoses WHERE day = %(day)s",
    ]


def chains(*, carry: bool = False) -> dict[str, list[str]]:
    """A day's statements as chains, in order: the chains before "tail" read the source
    tables and their own scratch tables and hand on only SHARED ones, so they may run at
    once (reports.lanes); "tail" rolls up and writes. `carry`: the stocks start from the
    day before's stored figures (reports.stocks)."""
    return {"case facts": _case_facts(), "backlog": _backlog_facts(carry=carry),
            "leaving": [*_leaving_facts(), *_duration_units()], "records": _record_facts(),
            "stocks": stocks.facts(carry=carry),
            "tail": [*_rollup(), *stocks.carried_stocks(carry=carry, names=CARRIED), *_write_day(),
                     *stocks.write_doses(carry=carry)]}


# The scratch tables lanes hand on: facts at the finest grain, per unit, and the doses.
SHARED = [BASE, UNITS, DOSES]
# Longest first, so two lanes end about together (a national day: the backlog and the stocks).
LANE_ORDER = ["backlog", "stocks", "records", "leaving", "case facts"]


def statements(*, carry: bool = False) -> list[str]:
    """Every statement of a day's build, in order, on one connection (the benchmark times
    them one by one)."""
    return [statement for chain in chains(carry=carry).values() for statement in chain]


def _columns(name: str) -> str:
    timestamp = "TIMESTAMP WITH TIME ZONE" if sql.is_postgres() else "TEXT"
    return TEMP_TABLES[name].format(timestamp=timestamp)


def _tuning(cursor) -> None:
    if sql.is_postgres():
        for statement in TUNING:
            cursor.execute(statement)


def can_carry(day: date) -> bool:
    """Whether the day before is stored whole and current, so stocks may start from it."""
    before = ReportDay.objects.filter(day=day - timedelta(days=1)).first()
    return bool(before and before.stale_since is None and before.built_at >= day_bounds(before.day)[1])


def build_day(day: date, *, now: datetime | None = None, full: bool = False) -> DayBuild:
    """Replace the stored figures of one local day, in one transaction. The caller checks
    the day may be rebuilt (reports.services.build_days). Stocks are carried from the day
    before when it is stored whole and current, else (or with `full`) counted from every
    record. With lanes (reports.lanes) the chains run at once on their own connections in
    one snapshot and the figures are written here. Returns the row count and time."""
    started = time.monotonic()
    params = day_params(day)
    carry = not full and can_carry(day)
    if lanes.usable():
        groups = chains(carry=carry)
        with lanes.Shared({name: _columns(name) for name in SHARED}) as shared:
            setup = [*TUNING, *(f"CREATE TEMPORARY TABLE {name} ({_columns(name)}) ON COMMIT DROP"
                                for name in TEMP_TABLES if name not in SHARED)]
            lanes.run([[(name, shared.rename(s)) for s in groups[name]] for name in LANE_ORDER], params,
                      setup=setup, snapshot=True)
            shared.analyze(SHARED)
            with transaction.atomic(), connection.cursor() as cursor:
                _tuning(cursor)
                for statement in groups["tail"]:
                    cursor.execute(shared.rename(statement), params)
                return _record_day(cursor, day, params, now=now, started=started, carry=carry)
    with transaction.atomic(), connection.cursor() as cursor:
        _tuning(cursor)
        _temp_tables(cursor)
        for statement in statements(carry=carry):
            cursor.execute(statement, params)
        _drop_temp_tables(cursor)
        return _record_day(cursor, day, params, now=now, started=started, carry=carry)


def _record_day(cursor, day: date, params: dict, *, now, started: float, carry: bool) -> DayBuild:
    """The built day's rows and time, in ReportDay (inside the build's transaction)."""
    cursor.execute("SELECT COUNT(*) FROM reports_dailyfigures WHERE day = %(day)s", params)
    rows = cursor.fetchone()[0]
    seconds = time.monotonic() - started
    ReportDay.objects.update_or_create(day=day, defaults={
        "built_at": now or timezone.now(), "build_ms": int(seconds * 1000), "rows": rows,
        "stale_since": None, "stale_reason": ""})
    return DayBuild(day=day, rows=rows, seconds=seconds, carried=carry)
