"""Writing around the trail's database guards, as someone holding the database superuser would.

Tests only: they tamper with plain SQL and assert that the product notices. On PostgreSQL
``session_replication_role = replica`` switches off every ordinary trigger (the append-only
guards and the audit chain's) for the transaction; on SQLite the guard triggers are dropped
and put back (SQLite has no switch).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import translation

from vaxrecon.sqlite.base import GUARDS_SQL


@contextmanager
def around_the_guards() -> Iterator:
    """A cursor whose statements no guard or chain trigger sees, in a transaction (savepoint)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            try:
                yield cursor
            finally:
                cursor.execute("SET LOCAL session_replication_role = origin")
            return
        cursor.execute(GUARDS_SQL)
        guards = cursor.fetchall()
        for name, _sql in guards:
            cursor.execute(f"DROP TRIGGER {name}")
        try:
            yield cursor
        finally:
            for _name, sql in guards:
                cursor.execute(sql)


def command_result(name: str, *args) -> tuple[str, int]:
    """Run a checking command in English; returns (its output, its exit status)."""
    out = StringIO()
    with translation.override("en"):
        try:
            call_command(name, *args, stdout=out)
        except CommandError as exc:
            return out.getvalue(), exc.returncode
    return out.getvalue(), 0
