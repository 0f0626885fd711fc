"""PostgreSQL restarted in the middle of a bulk import (a private cluster of this test: the
shared server is never restarted). The worker's transaction dies with the restart; its task
retries once the database is back, takes its own job again and lands the rest: every row
once, the batches landed before the restart kept."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg2
import pytest
from django.core.files.base import ContentFile
from django.db import connection

from tests.faults import SecondSession, wait_for
from tests.imports.test_worker_killed import BATCH, WORKER_ENV, _ledger_key, _log
from verification.imports.tasks import run_import_job
from verification.models import ImportJob

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


@pytest.mark.services
def test_postgres_restarted_mid_import_the_task_takes_its_job_back_and_lands_every_row_once(
        private_cluster, celery_worker_factory, registry, clinic_user, hanoi_facility, tmp_path):
    # private_cluster first: it is torn down after the worker, which still talks to it.
    path = _log(tmp_path)
    job = ImportJob(facility=hanoi_facility, uploaded_by=clinic_user, original_name="log.csv")
    job.file.save("restart.csv", ContentFile(path.read_bytes()))
    database_url = private_cluster.copy_of_test_database()
    blocker = SecondSession(**private_cluster.params())  # holds the fifth batch of the engine's rows
    blocker.execute("INSERT INTO verification_importedrow (source_record_id, content_hash, outcome, "
                    "created_at) VALUES (%s, %s, 'none', now())", _ledger_key(path, "K-200"))
    worker = celery_worker_factory(DATABASE_URL=database_url, **WORKER_ENV)
    run_import_job.delay(job.pk)
    wait_for(blocker.waiting_on_locks, timeout=60, what="the import to reach the blocked batch")
    landed = private_cluster.rows("SELECT count(*) FROM verification_importedrow")[0][0]

    private_cluster.restart()

    blocker.close()
    statement = "SELECT status, attempts, linked_rows + review_rows + unmatched_rows, skipped_rows " \
                "FROM verification_importjob WHERE id = %s"
    wait_for(lambda: private_cluster.rows(statement, [job.pk])[0][0] == "done", timeout=60,
             what="the retried task to finish the import")
    assert worker.poll() is None  # the worker lived through it
    assert landed == 1 + 4 * BATCH  # what landed before the restart: whole batches
    assert private_cluster.rows(statement, [job.pk])[0][1:] == (2, 303, 0)
    ledger = private_cluster.rows("SELECT count(*), count(DISTINCT source_record_id), count(*) FILTER "
                                  "(WHERE job_id = %s) FROM verification_importedrow", [job.pk])
    assert ledger == [(303, 303, 303)]
    assert private_cluster.rows("SELECT count(*) FROM records_injectionrecord WHERE source_record_id = "
                                "'R-LINK'") == [(1,)]
    events, distinct = private_cluster.rows("SELECT count(*), count(DISTINCT data->>'record_id') FROM "
                                            "verification_caseevent WHERE transition = 'import'")[0]
    cases = private_cluster.rows("SELECT count(*) FROM verification_reconciliationcase")[0][0]
    assert events == distinct == cases > 0
