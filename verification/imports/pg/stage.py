"""The fast path's session (a schema of work tables, two connections) and step 1: the file into vr_raw."""

from __future__ import annotations

import csv
import io
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _

from records.bulk import copy_rows, copy_text
from verification.imports.files import (
    CSV,
    REPORT_COLUMNS,
    MalformedFile,
    Table,
    _header,
    checked_chunks,
    detect_kind,
)

WORK_MEM = "256MB"  # per sort/hash node, for this session only while the import runs
PARALLEL_MIN_ROWS = 20_000  # below this, one statement on one connection
WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())  # what str.strip() strips
SPACE_PARAMS = {"ws": WHITESPACE, "odd_ws": "[" + WHITESPACE.replace(" ", "") + "]",
                "blank_re": "^[" + WHITESPACE + "]*$"}
_FIELD = rb'(?:"(?:[^"]|"")*"|[^",\r\n]*)'
_CSV_LINE = re.compile(_FIELD + rb"(?:," + _FIELD + rb")*\r?\n?")


class Session:
    """The run's connection: a schema of its own on the search path, a larger work_mem, and
    `halves` to share a costly statement with a second connection."""

    def __init__(self):
        self.schema = None
        self._search_path = None
        self._work_mem = None

    def exec(self, sql, params=None):
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def scalar(self, sql, params=None):
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]

    def fetch(self, sql, params=None):
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def stream(self, sql, params=None, size=20_000):
        """Rows of a query through a server-side cursor (memory stays flat)."""
        with transaction.atomic():
            raw = connection.connection
            with raw.cursor(name="vr_stream") as cur:
                cur.itersize = size
                cur.execute(sql, params)
                while rows := cur.fetchmany(size):
                    yield from rows

    def copy_in(self, table: str, columns: str, rows) -> None:
        copy_rows(table, columns, rows)

    def setup(self):
        self._search_path = self.scalar("SHOW search_path")
        # Sorts and hashes of a million rows in memory rather than in external merges on disk.
        self._work_mem = self.scalar("SHOW work_mem")
        self.exec(f"SET work_mem = '{WORK_MEM}'")
        self._drop_stale_schemas()
        schema = f"vr_import_{self.scalar('SELECT pg_backend_pid()')}_{secrets.token_hex(4)}"
        self.exec(f"CREATE SCHEMA {schema}")
        self.schema = schema
        self.exec(f"SET search_path TO {schema}, {self._search_path}")
        self.exec("CREATE UNLOGGED TABLE vr_err (line int, seq int, record_id text, col text, val text, "
                  "reason text)")

    def _drop_stale_schemas(self):
        """Schemas of runs whose session is gone (a killed process never reached `drop`): the
        name carries the backend pid of the session that made it."""
        stale = [n for (n,) in self.fetch(
            r"SELECT nspname FROM pg_namespace WHERE nspname ~ '^vr_import_[0-9]+_[0-9a-f]+$' "
            r"AND split_part(nspname, '_', 3)::int NOT IN (SELECT pid FROM pg_stat_activity)")]
        for name in stale:
            self.exec(f"DROP SCHEMA IF EXISTS {name} CASCADE")

    def drop(self):
        if self.schema:
            self.exec(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            self.exec(f"SET search_path TO {self._search_path}")
            self.exec("SELECT set_config('work_mem', %s, false)", [self._work_mem])
            self.schema = None

    def halves(self, sql: str, params: dict, table: str) -> None:
        """Runs `sql`, whose `{part}` is a condition on `line`, once per half of the lines of
        `table`: one half here, the other at the same time on a second connection. Inside an
        outer transaction (the work tables are not visible to another session) or for a
        small file, runs it once for all lines."""
        lo, hi = self.fetch(f"SELECT min(line), max(line) FROM {table}")[0]  # nosec B608 # constant SQL
        if connection.in_atomic_block or lo is None or hi - lo < PARALLEL_MIN_ROWS:
            self.exec(sql.replace("{part}", "true"), params)
            return
        mid = (lo + hi) // 2
        part = "line >= %(part_lo)s AND line < %(part_hi)s"
        with ThreadPoolExecutor(1) as pool:
            side = pool.submit(self._on_side_connection, sql.replace("{part}", part),
                               {**params, "part_lo": mid, "part_hi": hi + 1})
            try:
                self.exec(sql.replace("{part}", part), {**params, "part_lo": lo, "part_hi": mid})
            finally:
                side.result()

    def _on_side_connection(self, sql: str, params: dict) -> None:
        conn = connection.get_new_connection(connection.get_connection_params())
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"SET search_path TO {self.schema}, {self._search_path}")
                cur.execute(f"SET work_mem = '{WORK_MEM}'")
                cur.execute(sql, params)
        finally:
            conn.close()


class _RowSource(io.RawIOBase):
    """Table rows as COPY text (line, short, the 12 columns), read by copy_expert in chunks."""

    def __init__(self, rows):
        self._rows = rows
        self._buf = b""

    def readable(self):
        return True

    def read(self, size=-1):
        size = 1 << 20 if size is None or size < 0 else size
        parts, n = [self._buf], len(self._buf)
        while n < size:
            item = next(self._rows, None)
            if item is None:
                break
            line, row = item
            text = "\t".join([str(line), "t" if row.get("__short__") else "f",
                              *(copy_text(row.get(c, "")) for c in REPORT_COLUMNS)]) + "\n"
            data = text.encode()
            parts.append(data)
            n += len(data)
        blob = b"".join(parts)
        self._buf = blob[size:]
        return blob[:size]


def _csv_line_ok(line: bytes) -> bool:
    """A physical line whose quotes are all whole quoted fields (Python's csv and
    PostgreSQL's COPY read those the same way)."""
    return _CSV_LINE.fullmatch(line) is not None


def scan_csv(path: Path) -> int | None:
    """Checks the bytes with `files.checked_chunks` (raises MalformedFile) and returns the
    number of physical lines when the file can go to COPY as it is, else None."""
    newlines = crs = crlfs = 0
    quotes = False
    last = b""
    for chunk in checked_chunks(path, 1 << 22):
        newlines += chunk.count(b"\n")
        crs += chunk.count(b"\r")
        crlfs += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")  # a CRLF across chunks
        quotes = quotes or b'"' in chunk
        last = chunk[-1:]
    if crs != crlfs:
        return None
    if quotes:
        with open(path, "rb") as fh:
            for raw in fh:
                if b'"' in raw and not _csv_line_ok(raw):
                    return None
    return newlines + (1 if last and last != b"\n" else 0)


def stage(session: Session, path: Path) -> tuple[dict[str, str], str]:
    """COPY the file into vr_raw. Returns (column -> SQL expression, the SQL test of a blank line)."""
    if detect_kind(path) == CSV:
        lines = scan_csv(path)
        with open(path, newline="", encoding="utf-8-sig") as fh:
            first = next(csv.reader(fh), None)
        if first is None:
            raise MalformedFile(_("The file is empty."))
        header = _header(first, REPORT_COLUMNS)
        if lines is not None and _copy_csv(session, path, header, lines):
            exprs = {c: f"c{header.index(c)}" for c in REPORT_COLUMNS}
            blank = ("(" + " || ".join(f"coalesce(c{k}, '')" for k in range(len(header)))
                     + ") ~ %(blank_re)s")
            return exprs, blank
    table = Table(path, REPORT_COLUMNS)  # checks and counts; raises MalformedFile
    session.exec("CREATE UNLOGGED TABLE vr_raw (line int, short bool, "
                 + ", ".join(f"c{k} text" for k in range(len(REPORT_COLUMNS))) + ")")
    with connection.cursor() as cur:
        cur.cursor.copy_expert("COPY vr_raw FROM STDIN WITH (FORMAT text)", _RowSource(iter(table.rows())),
                               size=1 << 20)
    return {c: f"c{k}" for k, c in enumerate(REPORT_COLUMNS)}, "false"


class _Mismatch(Exception):
    pass


def _copy_csv(session: Session, path: Path, header: list[str], lines: int) -> bool:
    cols = ", ".join(f"c{k}" for k in range(len(header)))
    session.exec("CREATE UNLOGGED TABLE vr_raw (line int GENERATED BY DEFAULT AS IDENTITY (START 2), "
                 "short bool DEFAULT false, " + ", ".join(f"c{k} text" for k in range(len(header))) + ")")
    try:
        with transaction.atomic(), open(path, "rb") as fh, connection.cursor() as cur:
            cur.cursor.copy_expert(f"COPY vr_raw ({cols}) FROM STDIN WITH (FORMAT csv, HEADER true)", fh,
                                   size=1 << 20)
            if cur.cursor.rowcount != lines - 1:
                raise _Mismatch
    except Exception:  # noqa: BLE001 - the exact reader decides (and raises MalformedFile)
        session.exec("DROP TABLE IF EXISTS vr_raw")
        return False
    return True


def load_vaccines(session: Session, lookups, expr_vaccine: str, blank: str) -> None:
    """vr_vaccine: each distinct vaccine text of the file, resolved once by the Python lookup."""
    session.exec("CREATE UNLOGGED TABLE vr_vaccine (text text PRIMARY KEY, id bigint, name text)")
    rows = session.fetch(f"SELECT DISTINCT btrim(coalesce({expr_vaccine}, ''), %(ws)s) FROM "
                         f"(SELECT DISTINCT {expr_vaccine} FROM vr_raw "
                         f"WHERE NOT ({blank})) v",  # nosec B608 # constant SQL
                         SPACE_PARAMS)
    texts = [t for (t,) in rows if t]
    session.copy_in(
        "vr_vaccine", "text, id, name", [(t, *(lookups.vaccine(t) or (None, None))) for t in texts]
    )
