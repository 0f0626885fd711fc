"""The SQL error query of the PostgreSQL import, generated from the rule table `records.rules`.

The same entries give the Python row validator (`validation.validate_report_row`), so an error
line of the fast path has the column, value, reason and order the Python path gives.
"""

from __future__ import annotations

from datetime import date

from records import rules


def _sql_checks(fields) -> list[tuple[int, str, str, str, str]]:
    """(seq, column literal, value expression, reason expression, condition) per SQL check."""
    out = []
    for f in fields:
        for k, check in enumerate(f.checks):
            if check.sql is None:
                continue
            name = f"m_{f.seq}_{k}"
            value = check.value_sql or (f"r.{check.value}" if check.value else "''")
            reason = f"%({name})s"
            if check.code is not None:  # the message's %(code)s, filled in SQL
                reason = f"%({name}_a)s || r.{check.code} || %({name}_b)s"
            out.append((f.seq, f"'{f.column}'", value, reason, check.sql))
    return out


def _message_params(fields) -> dict[str, str]:
    params: dict[str, str] = {}
    marker = "\x00"
    for f in fields:
        for k, check in enumerate(f.checks):
            name = f"m_{f.seq}_{k}"
            if check.code is None:
                params[name] = str(check.message)
            else:
                params[f"{name}_a"], params[f"{name}_b"] = (str(check.message) % {"code": marker}).split(
                    marker
                )
    return params


def error_insert_sql(*, source: str, fields=rules.REPORT_FIELDS) -> str:
    """INSERT INTO vr_err (line, seq, record_id, col, val, reason) of every failing check of the
    rows `r` of `source` (a FROM item). Only the rows with at least one problem are expanded."""
    checks = _sql_checks(fields)
    values = ",\n".join(f"({seq}, {col}, {val}, {reason}, coalesce({cond}, false))"
                        for seq, col, val, reason, cond in checks)
    any_bad = " OR ".join(f"coalesce({c[4]}, false)" for c in checks)
    return f"""
        INSERT INTO vr_err (line, seq, record_id, col, val, reason)
        SELECT r.line, e.seq, r.rid, e.col, e.val, e.reason
        FROM (SELECT * FROM {source} r WHERE {any_bad} OFFSET 0) r,
        LATERAL (VALUES {values}) e(seq, col, val, reason, cond)
        WHERE e.cond"""  # nosec B608 # constant SQL


def error_params(*, today: date, fields=rules.REPORT_FIELDS) -> dict[str, object]:
    """The messages (in the active language) and the rules' parameters of `error_insert_sql`."""
    return {**_message_params(fields), **rules.sql_params(today)}
