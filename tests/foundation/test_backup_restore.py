"""The documented backup and restore, done for real on a small database (PostgreSQL only):
a fresh database is migrated and given demo rows, dumped with the commands of
docs/OPERATIONS.md, restored into another new database, and every table's row count compared."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from psycopg2 import sql

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- backup-commands[^>]*-->\s*```\n(.*?)```\s*<!-- /backup-commands -->", re.S)


def _documented_commands() -> list[str]:
    found = BLOCK.search((ROOT / "docs" / "OPERATIONS.md").read_text())
    assert found, "docs/OPERATIONS.md has lost its backup-commands block"
    return [line for line in found.group(1).splitlines() if line.strip()]


def _server(dbname: str = "postgres"):
    db = connection.settings_dict
    conn = psycopg2.connect(dbname=dbname, user=db["USER"], password=db["PASSWORD"] or None,
                            host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432)
    conn.autocommit = True
    return conn


def _tools_dir(major: int) -> str:
    """The folder of pg_dump/pg_restore of the server's major version (they refuse a newer server)."""
    for candidate in (f"/usr/lib/postgresql/{major}/bin", str(Path(shutil.which("pg_dump") or "x").parent)):
        tool = Path(candidate) / "pg_dump"
        if tool.exists():
            version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
            if re.search(rf"\b{major}\.", version):
                return candidate
    pytest.skip(f"no pg_dump of PostgreSQL {major} on this machine")


def _row_counts(dbname: str) -> dict[str, int]:
    conn = _server(dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            tables = [name for (name,) in cursor.fetchall()]
            counts = {}
            for table in tables:
                cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
                counts[table] = cursor.fetchone()[0]
    finally:
        conn.close()
    return counts


def _drop(cursor, *names: str) -> None:
    for name in names:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_an_operator_backs_up_and_restores_the_database_as_documented(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore need PostgreSQL")
    base = connection.settings_dict["NAME"]
    source, restored = f"{base}_backup_src", f"{base}_backup_restored"
    db = connection.settings_dict
    server = _server()
    cursor = server.cursor()
    cursor.execute("SHOW server_version_num")
    major = int(cursor.fetchone()[0]) // 10_000
    tools = _tools_dir(major)
    _drop(cursor, source, restored)
    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(source)))
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{source}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "vaxrecon.settings.test",
           "SIGNING_PKI_DIR": str(tmp_path / "pki"), "PATH": f"{tools}:{os.environ['PATH']}",
           "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432), "PGUSER": db["USER"],
           "PGPASSWORD": db["PASSWORD"] or "", "DATABASE": source, "RESTORED": restored,
           "BACKUP": str(tmp_path / "vaxrecon.dump")}
    try:
        for step in (["migrate", "--noinput", "-v0"], ["seed_demo", "--citizens", "30"]):
            subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, timeout=300)
        for command in _documented_commands():
            done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True,
                                  timeout=300, check=False)
            assert done.returncode == 0, f"{command}: {done.stderr}"
        before, after = _row_counts(source), _row_counts(restored)
        assert before["records_citizen"] == 30 and before["auth_user"] >= 7
        assert before["records_auditevent"] > 0 and before["signing_authoritycertificate"] == 2
        assert after == before
    finally:
        _drop(cursor, source, restored)
        server.close()
