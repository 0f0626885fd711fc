"""The few SQL spellings that differ between PostgreSQL (production) and SQLite (the
embedded default), so the builder writes each statement once."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from verification.workflow import STEP_OF_STATE

# The scratch tables of a day's build (temporary, per connection): facts at the finest
# grain, facts per unit, cases that left a step, and the doses cross-table.
BASE, UNITS = "reports_tmp_base", "reports_tmp_units"
LEAVING, DOSES = "reports_tmp_leaving", "reports_tmp_doses"
TOUCHED = "reports_tmp_touched"  # the people and dose kinds with a version entered or replaced that day
TOUCHED_RECORDS = "reports_tmp_touched_records"  # and their records


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def json_text(column: str, key: str) -> str:
    """A top-level key of a JSON column, as text."""
    if is_postgres():
        return f"({column} ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def seconds_between(later: str, earlier: str) -> str:
    """Whole seconds from `earlier` to `later` (two timestamp expressions)."""
    if is_postgres():
        return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS BIGINT)"
    return f"CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER)"


def year_of(column: str) -> str:
    if is_postgres():
        return f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"
    return f"CAST(strftime('%%Y', {column}) AS INTEGER)"


def timestamp_param(name: str) -> str:
    """A timestamp parameter, typed where PostgreSQL needs the type to do arithmetic."""
    return f"CAST(%({name})s AS TIMESTAMPTZ)" if is_postgres() else f"%({name})s"


def adapt_instant(value: datetime):
    """An aware datetime as the driver stores it (SQLite: UTC text, as Django writes it)."""
    return connection.ops.adapt_datetimefield_value(value)


def step_of(column: str) -> str:
    """The step (1–4, 0 for rejected/withdrawn) of a case status column."""
    whens = " ".join(f"WHEN '{state}' THEN {step}" for state, step in STEP_OF_STATE.items())
    return f"(CASE {column} {whens} ELSE 0 END)"


def percentile_rank(count: str, numerator: int, denominator: int) -> str:
    """The nearest-rank position of a percentile among `count` ordered values:
    ceil(p * n) in integer arithmetic, which both databases compute the same way."""
    return f"(({numerator} * {count} + {denominator - 1}) / {denominator})"
