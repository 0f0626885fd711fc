"""Helpers of the fault-injection tests: processes, a second database session that holds a
lock, waiting for a condition."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import psycopg2
from django.db import connection


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (a killed orphan waits for init to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def descendants(pid: int) -> set[int]:
    """The living processes below `pid` (children, their children...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return {p for p in found if alive(p)}


def wait_for(condition: Callable[[], object], *, timeout: float, what, every: float = 0.05):
    """Poll `condition` until it returns something true (returned), or fail saying `what` (a
    text, or a function giving one: the state at the time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s: {what() if callable(what) else what}")


def assert_all_die(pids: set[int], *, timeout: float = 5) -> None:
    """Every one of `pids` is gone within `timeout`; any survivor is killed, then reported."""
    try:
        wait_for(lambda: not any(alive(p) for p in pids), timeout=timeout, what="the helpers to die")
    except AssertionError:
        survivors = {p for p in pids if alive(p)}
        for p in survivors:
            os.kill(p, signal.SIGKILL)
        raise AssertionError(f"orphans still running after their parent's death: {survivors}") from None


def kill_when_held(worker, blocker: SecondSession, *, ready: Callable[[], object], what) -> None:
    """Once `ready()` (the worker held up at `blocker`), kill -9 the worker: its forked helpers
    must die with it. The blocker then lets go, whatever happened."""
    try:
        wait_for(ready, timeout=60, what=what)
        helpers = descendants(worker.pid)
        assert helpers, "the work runs in forked helpers"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        assert_all_die(helpers)
    finally:
        blocker.release()
        blocker.close()


class SecondSession:
    """Another PostgreSQL session on the test database (or the one `params` name), its
    transaction left open: what it locks (a row, a unique key it inserted) holds the worker up
    until `release()`."""

    def __init__(self, **params):
        db = connection.settings_dict
        params = params or {"dbname": db["NAME"], "user": db["USER"], "host": db["HOST"] or "127.0.0.1",
                            "port": db["PORT"] or 5432, "password": db["PASSWORD"] or None}
        self.conn = psycopg2.connect(**params)
        # Looks at the others from outside any transaction: one keeps the activity it first saw.
        self.observer = psycopg2.connect(**params)
        self.observer.autocommit = True

    def execute(self, sql: str, params=None) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)

    def waiting_on_locks(self) -> int:
        """How many other sessions of this database wait for a lock."""
        with self.observer.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'")
            return cur.fetchone()[0]

    def release(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()
        self.observer.close()
