"""Running a build's independent chains of statements at once, each on its own connection.

A range build at national scale is a few long chains of statements (the cases' timeline and
backlog, the records' versions, doses and people, the flows) that read the same source
tables but none of each other's scratch tables. PostgreSQL runs each connection in its own
server process, so chains run in lanes use as many cores as there are lanes; one
connection, as before, uses one.

- Every lane of a phase that reads the source tables works in the same exported snapshot
  (`pg_export_snapshot`, as pg_dump's parallel jobs do): the figures are those of one
  instant, whatever the clinics write meanwhile.
- What one chain hands to another goes through UNLOGGED tables of the build (`Shared`),
  named after the coordinating connection's server process and dropped at the end; if a
  build is killed, the next one drops them once that process is gone.
- The figures are still written in one transaction of the caller's connection, so a reader
  sees the old days or the new ones, never a mix.

Lanes read committed rows only, so a build inside a caller's open transaction (whose own
rows they would not see) runs on its one connection (`usable`).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connection

PREFIX = "reports_lane_"
Chain = list[tuple[str, str]]  # (label, statement)


def count() -> int:
    """How many connections a build may use at once (REPORTS_BUILD_LANES; 1 off PostgreSQL)."""
    if connection.vendor != "postgresql":
        return 1
    return max(1, int(getattr(settings, "REPORTS_BUILD_LANES", 2)))


def usable() -> bool:
    return count() > 1 and not connection.in_atomic_block


def _connect():
    """A connection of its own to the same database, in the time zone Django's sessions use."""
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = True
    with raw.cursor() as cursor:
        cursor.execute("SET TIME ZONE %s", [connection.timezone_name])
    return raw


class Shared:
    """The scratch tables chains hand to each other, as UNLOGGED tables of this build:
    `tables` maps each scratch name to its columns; `rename` rewrites a statement to use
    the build's own names."""

    def __init__(self, tables: dict[str, str]):
        self.tables = tables
        self.names: dict[str, str] = {}
        self.owner = None

    def __enter__(self) -> Shared:
        self.owner = _connect()
        try:
            with self.owner.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
                _drop_orphans(cursor)
                for name, columns in self.tables.items():
                    self.names[name] = f"{PREFIX}{pid}_{name.removeprefix('reports_')}"
                    cursor.execute(f"CREATE UNLOGGED TABLE {self.names[name]} ({columns})")
        except BaseException:
            self.__exit__()  # the tables made so far dropped, the connection closed
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            with self.owner.cursor() as cursor:
                for name in self.names.values():
                    cursor.execute(f"DROP TABLE IF EXISTS {name}")
        finally:
            self.owner.close()

    def rename(self, statement: str) -> str:
        for name, own in self.names.items():
            statement = re.sub(rf"\b{name}\b", own, statement)
        return statement

    def analyze(self, names: list[str]) -> None:
        """Statistics of tables another phase filled, for the planner of the next."""
        with self.owner.cursor() as cursor:
            for name in names:
                cursor.execute(f"ANALYZE {self.names[name]}")


def _drop_orphans(cursor) -> None:
    """Drop the shared tables of builds whose coordinating connection is gone (a killed build)."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                   "AND tablename LIKE %s", [PREFIX.replace("_", r"\_") + "%"])
    tables = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT pid FROM pg_stat_activity")
    alive = {str(row[0]) for row in cursor.fetchall()}
    for table in tables:
        pid = table.removeprefix(PREFIX).split("_", 1)[0]
        if pid not in alive:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def run(chains: list[Chain], params: dict, *, setup: list[str], snapshot: bool,
        progress: Callable[[str, int, int], None] | None = None) -> None:
    """Run each chain in its own transaction, on up to count() connections at once, taking
    the chains in the order given (longest first balances the lanes). `setup`: statements
    each transaction starts with (its settings and its own scratch tables); `snapshot`: all
    read one snapshot, exported before any starts. The first error cancels the other lanes
    and is raised once all have stopped."""
    queue, lock, errors, lanes = list(chains), threading.Lock(), [], []
    done, total = [0], sum(len(chain) for chain in chains)
    holder = _connect() if snapshot else None
    try:
        exported = None
        if holder is not None:
            with holder.cursor() as cursor:
                cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                exported = cursor.fetchone()[0]

        def lane() -> None:
            raw = _connect()
            with lock:
                lanes.append(raw)
            try:
                while True:
                    with lock:
                        if not queue or errors:
                            return
                        chain = queue.pop(0)
                    _run_chain(raw, chain, params, setup=setup, exported=exported, lock=lock,
                               progress=progress, done=done, total=total)
            except Exception as error:  # noqa: BLE001 - raised again below, once every lane stopped
                with lock:
                    errors.append(error)
                    for other in lanes:
                        if other is not raw:
                            other.cancel()
            finally:
                with lock:
                    lanes.remove(raw)
                raw.close()

        threads = [threading.Thread(target=lane, name=f"report-lane-{n}")
                   for n in range(min(count(), len(chains)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        if holder is not None:
            holder.close()
    if errors:
        raise errors[0]


def _run_chain(raw, chain: Chain, params: dict, *, setup: list[str], exported: str | None, lock,
               progress, done: list[int], total: int) -> None:
    with raw.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        try:
            if exported:
                cursor.execute("SET TRANSACTION SNAPSHOT %s", [exported])
            for statement in setup:
                cursor.execute(statement)
            for label, statement in chain:
                cursor.execute(statement, params)
                if progress:
                    with lock:
                        done[0] += 1
                        progress(label, done[0], total)
            cursor.execute("COMMIT")
        except BaseException:
            if not raw.closed:
                with contextlib.suppress(Exception):  # a cancelled lane: closing it rolls back too
                    cursor.execute("ROLLBACK")
            raise
