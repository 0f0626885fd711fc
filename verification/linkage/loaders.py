"""The ways citizens come into a :class:`~verification.linkage.index.CitizenIndex`: row
tuples, the registry CSV export, and PostgreSQL.

This is the one module of the package that reads a database, and it does so through the
DB-API connection it is handed (psycopg2; no Django import): the rest of the package only
sees columns.

Row layout (``CitizenIndex.from_rows``), one tuple per citizen::

    (citizen_id, cccd, cmnd, full_name, date_of_birth, birth_year, sex,
     province_code, ward_code, phone)

* ``citizen_id`` – any hashable id handed back in results (the database pk, or the CSV id);
* ``cccd`` / ``cmnd`` – 12- / 9-digit strings, ``""`` or ``None`` when absent;
* ``full_name`` – as stored (accents kept);
* ``date_of_birth`` – ``datetime.date``, ``"yyyy-mm-dd"`` / ``"dd/mm/yyyy"`` / ``"yyyy"``
  text, or ``None``; ``birth_year`` is used when the date is missing (year-only people);
* ``sex`` – ``"M"`` / ``"F"`` / ``""``;
* ``province_code``, ``ward_code`` – ints (or digit strings), ``None`` when unknown;
* ``phone`` – already normalised ``0xxxxxxxxx`` or ``""``.

PostgreSQL (:func:`read_postgres`): one ``COPY (SELECT ...) TO STDOUT`` with dates, sex and
ID numbers already turned into integers by the server, read on a second connection that
shares the snapshot while the names are read and encoded on the first (a million citizens in
a few seconds).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import warnings
from collections.abc import Callable
from contextlib import contextmanager, suppress

import numpy as np
import psycopg2

from records.normalize import normalize_phone

from .keys import as_int, birth_to_ints, ordinals_to_ymd

# The Django side selects exactly these, in this order.
CITIZEN_ROW_FIELDS = (
    "pk", "cccd", "cmnd", "full_name", "date_of_birth", "birth_year", "sex",
    "ward__province_id", "ward_id", "phone",
)


# -- rows -----------------------------------------------------------------------------------

def row_columns(chunk: list[tuple]) -> tuple | None:
    """One chunk of rows (layout above) as columns: ``(ids, cccd, cmnd, names, dob, year,
    sex, province, ward, phone)``, dates and codes as int arrays (0 = unknown); None for an
    empty chunk. Hand over the only reference to ``chunk``: its row tuples are freed as soon
    as they are split into columns."""
    if not chunk:
        return None
    cid, cccd, cmnd, name, dob, by, sex, prov, ward, phone = zip(*chunk)
    del chunk
    dob_i, year_i = [], []
    for v, b in zip(dob, by):
        if v.__class__ is str and len(v) == 10 and v[4] == "-":
            dob_i.append(int(v[:4] + v[5:7] + v[8:10]))
            year_i.append(int(v[:4]))
        elif isinstance(v, dt.date):
            dob_i.append(v.year * 10000 + v.month * 100 + v.day)
            year_i.append(v.year)
        else:
            d, y = birth_to_ints(v, b)
            dob_i.append(d)
            year_i.append(y)
    return (
        list(cid), cccd, cmnd, name, np.array(dob_i, dtype=np.int32),
        np.array(year_i, dtype=np.int32), sex,
        np.array([as_int(p) for p in prov], dtype=np.int32),
        np.array([as_int(w) for w in ward], dtype=np.int32), phone,
    )


# -- the registry CSV export ----------------------------------------------------------------

def iter_registry_csv(path):
    """Rows in :data:`CitizenIndex` layout from the registry CSV export (columns
    ``citizen_id, legacy_id, full_name, date_of_birth, sex, province_code, ward_code,
    phone``; ``citizen_id`` is the CCCD)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        col = {name: k for k, name in enumerate(header)}
        c_id, c_leg, c_name = col["citizen_id"], col["legacy_id"], col["full_name"]
        c_dob, c_sex, c_prov = col["date_of_birth"], col["sex"], col["province_code"]
        c_ward, c_phone = col["ward_code"], col["phone"]
        for r in reader:
            cid = r[c_id]
            legacy = r[c_leg]
            phone = r[c_phone]
            if phone and not (len(phone) == 10 and phone[0] == "0" and phone.isdigit()):
                phone = normalize_phone(phone)
            yield (
                cid,
                cid if len(cid) == 12 else "",
                legacy if len(legacy) == 9 else "",
                r[c_name],
                r[c_dob] or None,
                None,
                r[c_sex],
                r[c_prov],
                r[c_ward],
                phone,
            )


# -- PostgreSQL -----------------------------------------------------------------------------

# Integers only, so numpy parses the whole answer at once. ID numbers and phones go as
# "1" + digits (their digit_key); the schema keeps them short digit strings, and anything
# else makes the parse come out misaligned, which _copy_numbers detects (then the slower
# query below, which checks every value, is used).
_COPY_NUMBERS = """
COPY (
    SELECT c.id,
           CASE WHEN c.cccd > '' THEN '1' || c.cccd ELSE '0' END,
           CASE WHEN c.cmnd > '' THEN '1' || c.cmnd ELSE '0' END,
           COALESCE(c.date_of_birth - DATE '0001-01-01' + 1, 0),
           COALESCE(c.birth_year, 0),
           CASE c.sex WHEN 'M' THEN 1 WHEN 'F' THEN 2 ELSE 0 END,
           COALESCE(c.ward_id, 0),
           CASE WHEN c.phone > '' THEN '1' || c.phone ELSE '0' END
    FROM records_citizen c
    ORDER BY c.id
) TO STDOUT
"""
_DIGITS = "COLLATE \"C\" ~ '^[0-9]+$' AND length({col}) < 18"
_COPY_NUMBERS_CHECKED = _COPY_NUMBERS
for _col in ("cccd", "cmnd", "phone"):
    _COPY_NUMBERS_CHECKED = _COPY_NUMBERS_CHECKED.replace(
        f"c.{_col} > ''", f"c.{_col} {_DIGITS.format(col='c.' + _col)}")
_NUMBER_COLUMNS = 8
_WARD_PROVINCES = "SELECT code, province_id FROM records_ward"
# Names as CSV (quoted, so any character survives), in the same order.
_COPY_NAMES = "COPY (SELECT full_name FROM records_citizen ORDER BY id) TO STDOUT WITH (FORMAT csv)"
_DSN_KEYS = ("host", "port", "user", "dbname", "password", "sslmode", "sslrootcert", "sslcert", "sslkey",
             "options", "application_name", "connect_timeout", "target_session_attrs", "hostaddr")


def read_postgres(connection, take_names: Callable[[list[str]], None]) -> tuple:
    """All of ``records_citizen`` in one REPEATABLE READ snapshot: ``take_names(names)`` is
    called with the full names (in primary-key order) while the integers are still being
    read on a second connection; returns the encoded columns ``(ids, cccd, cmnd, dob, year,
    sex, province, ward, phone)`` (ID numbers and phones as digit keys, sex as codes).

    ``connection``: Django's ``django.db.connection`` (PostgreSQL backend) or a raw
    psycopg2 connection (``connection.connection``).
    """
    if hasattr(connection, "ensure_connection"):  # Django's wrapper
        connection.ensure_connection()
        connection = connection.connection
    with _snapshot(connection) as cur:
        # The server formats the integers on the other connection while the names are
        # processed here.
        numbers = _NumbersReader(connection, cur)
        names = _copy_names(cur)
        numbers.expect(len(names))
        take_names(names)
        del names
        cols = numbers.result(cur)
        cur.execute(_WARD_PROVINCES)
        ward_province = cur.fetchall()
    ward = cols[:, 6]
    # Column 3 is the day ordinal (date.toordinal()) of the birth date, 0 when unknown.
    return (cols[:, 0].tolist(), cols[:, 1], cols[:, 2], ordinals_to_ymd(cols[:, 3]), cols[:, 4],
            cols[:, 5], _provinces(ward_province, ward), ward, cols[:, 7])


def _provinces(ward_province: list[tuple[int, int]], ward: np.ndarray) -> np.ndarray:
    """The province of each ward code (0 for no ward or a code the table lacks)."""
    wards = np.array([w for w, _p in ward_province] or [0], dtype=np.int64)
    provs = np.array([p for _w, p in ward_province] or [0], dtype=np.int64)
    order = np.argsort(wards)
    wards, provs = wards[order], provs[order]
    at = np.clip(np.searchsorted(wards, ward), 0, len(wards) - 1)
    return np.where((ward > 0) & (wards[at] == ward), provs[at], 0)


@contextmanager
def _snapshot(conn):
    """A cursor in one read-only REPEATABLE READ transaction (both COPYs see the same rows)."""
    started = False
    if conn.autocommit:
        conn.autocommit = False
        started = True
    try:
        with conn.cursor() as cur:
            if started:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cur
    finally:
        if started:
            conn.rollback()
            conn.autocommit = True


def _copy_names(cur) -> list[str]:
    buf = io.BytesIO()
    cur.copy_expert(_COPY_NAMES, buf)
    text = buf.getvalue().decode("utf-8")
    del buf
    if '"' in text:
        return [row[0] for row in csv.reader(io.StringIO(text))]
    names = text.split("\n")
    if names and names[-1] == "":
        names.pop()
    return names


def _copy_numbers(cur, expected_rows: int) -> np.ndarray:
    """(rows, 8) int64: id, cccd key, cmnd key, birth ordinal, birth year, sex, ward, phone key."""
    for query in (_COPY_NUMBERS, _COPY_NUMBERS_CHECKED):
        buf = io.BytesIO()
        cur.copy_expert(query, buf)
        cols = _parse_numbers(buf, expected_rows)
        del buf
        if cols is not None:
            return cols
    raise ValueError("records_citizen could not be read as numbers")


class _NumbersReader:
    """:func:`_copy_numbers` on a second connection that imports the snapshot of ``cur``'s
    transaction (``pg_export_snapshot``), in a thread. Anything unusual (a transaction
    that already wrote, no second connection possible) falls back to reading on ``cur``
    afterwards: same rows, just not overlapped."""

    def __init__(self, connection, cur):
        self.rows = None
        self.cols = None
        self.thread = None
        self._ready = threading.Event()
        try:
            if connection.autocommit is not False or connection.server_version < 130000 \
                    or not _read_only_snapshot(cur):
                return
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            other = _second_connection(connection)
        except Exception:  # noqa: BLE001 - any failure: read on the main connection
            return
        self.thread = threading.Thread(target=self._run, args=(other, snapshot), daemon=True)
        self.thread.start()

    def expect(self, rows: int) -> None:
        self.rows = rows
        self._ready.set()

    def _run(self, other, snapshot) -> None:
        try:
            with other.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cur.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))
                buf = io.BytesIO()
                cur.copy_expert(_COPY_NUMBERS, buf)
                self._ready.wait()
                self.cols = _parse_numbers(buf, self.rows)
        except Exception:  # noqa: BLE001 - read again on the main connection
            self.cols = None
        finally:
            with suppress(Exception):  # a side connection that will not close is dropped anyway
                other.close()

    def result(self, cur) -> np.ndarray:
        if self.thread is not None:
            self.thread.join()
            if self.cols is not None:
                return self.cols
        return _copy_numbers(cur, self.rows)


def _second_connection(connection):
    """A new psycopg2 connection with the same parameters as ``connection``."""
    params = dict(connection.info.dsn_parameters)
    if connection.info.password:
        params["password"] = connection.info.password
    return psycopg2.connect(**{k: v for k, v in params.items() if k in _DSN_KEYS})


def _read_only_snapshot(cur) -> bool:
    """Whether ``cur`` runs in a REPEATABLE READ transaction that has written nothing (only
    then does an imported snapshot see exactly what ``cur`` sees)."""
    cur.execute("SELECT current_setting('transaction_isolation'), pg_current_xact_id_if_assigned() IS NULL")
    level, clean = cur.fetchone()
    return level == "repeatable read" and bool(clean)


def _parse_numbers(buf: io.BytesIO, expected_rows: int) -> np.ndarray | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a misparse is detected below
        flat = np.fromstring(buf.getvalue(), dtype=np.int64, sep=" ")
    if len(flat) == expected_rows * _NUMBER_COLUMNS:
        cols = flat.reshape(-1, _NUMBER_COLUMNS)
        if expected_rows < 2 or bool((np.diff(cols[:, 0]) > 0).all()):
            return cols
    return None
