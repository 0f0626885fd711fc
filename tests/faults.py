"""Helpers of the fault-injection tests: processes, a second database session that holds a
lock, waiting for a condition, a private PostgreSQL cluster to restart."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg2
import pytest
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


PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateCluster:
    """initdb + pg_ctl in a temporary folder, on a free port, run as the postgres OS user when
    this test runs as root (PostgreSQL refuses root)."""

    def __init__(self):
        self.home = Path(tempfile.mkdtemp(prefix="vaxrecon-pg-"))
        self.data, self.port = self.home / "data", _free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            os.chown(self.home, pwd.getpwnam("postgres").pw_uid, -1)

    def _pg(self, *command: str) -> None:
        # No pipes: the server started by pg_ctl would hold them open (its output goes to the log).
        subprocess.run([*self.as_user, *command], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)

    def start(self) -> None:
        self._pg(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
                 "-E", "UTF8")
        self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "log"), "-w", "-o",
                 f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def restart(self) -> None:
        """A fast shutdown (every session ended, open transactions rolled back) and a start."""
        self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "log"), "-w",
                 "-m", "fast", "restart")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", "immediate", "stop")
        shutil.rmtree(self.home, ignore_errors=True)

    def params(self, dbname: str = "vaxrecon") -> dict:
        return {"dbname": dbname, "user": "postgres", "host": "127.0.0.1", "port": self.port}

    def copy_of_test_database(self) -> str:
        """The test database (schema and the rows committed so far) copied in; returns its URL."""
        psycopg2.connect(**self.params("postgres")).close()
        subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "vaxrecon"],
                       check=True, timeout=30)
        db = connection.settings_dict
        dump = subprocess.Popen(["pg_dump", "--no-owner", "-h", db["HOST"] or "127.0.0.1", "-p",
                                 str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"]],
                                stdout=subprocess.PIPE)
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                        "postgres", "vaxrecon"], stdin=dump.stdout, check=True, timeout=120,
                       stdout=subprocess.DEVNULL)
        assert dump.wait(timeout=60) == 0
        return f"postgres://postgres@127.0.0.1:{self.port}/vaxrecon"

    def rows(self, sql: str, params=None) -> list[tuple]:
        with psycopg2.connect(**self.params()) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()


@pytest.fixture
def private_cluster():
    if PG_BIN is None or not (PG_BIN / "initdb").exists() or not shutil.which("pg_dump"):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed: no private cluster")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser: cannot start PostgreSQL as the postgres user")
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def django_on_private_cluster(private_cluster, transactional_db):
    """This process's Django (ORM, test client, sessions, commands) on a copy of the test
    database in `private_cluster` for the test; yields the copy's URL for the workers. Set up
    after the test database and given back before it is flushed."""
    url = private_cluster.copy_of_test_database()
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    connection.close()
    settings_dict.update(NAME="vaxrecon", USER="postgres", PASSWORD="", HOST="127.0.0.1",
                         PORT=str(private_cluster.port))
    try:
        yield url
    finally:
        connection.close()
        settings_dict.clear()
        settings_dict.update(saved)
