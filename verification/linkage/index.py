"""In-memory citizen index: integer-encoded numpy columns, sorted blocking keys and term
frequencies.

Built once, then shared read-only (forked workers see the same pages: numpy buffers are
never touched by reference counting, so copy-on-write does not copy them).

Three ways in:

* ``CitizenIndex.from_postgres(connection)`` – the fast path on PostgreSQL: one
  ``COPY (SELECT ...) TO STDOUT`` with dates, sex and province already turned into integers
  by the server (a million citizens in a few seconds);
* ``CitizenIndex.from_rows(rows)`` – any iterator of tuples, e.g.
  ``Citizen.objects.values_list(*CITIZEN_ROW_FIELDS).iterator()`` (works on SQLite too);
* ``CitizenIndex.from_registry_csv(path)`` – the registry CSV export.

Row layout (``from_rows``), one tuple per citizen::

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

Encodings: names become ids into ``names`` (diacritics-folded) and ``accents`` (accents
kept); ID numbers and phones become ``int("1" + digits)`` (so leading zeros survive and
equal strings give equal ints; 0 = absent); dates become ``yyyymmdd`` ints and day
ordinals; years are kept as ints (0 = unknown).
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import random
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import islice

import numpy as np

from records.normalize import accent_key, fold_name, normalize_phone

from .scoring import SEX_CODES, ModelParams, birth_to_ints

# The Django side selects exactly these, in this order.
CITIZEN_ROW_FIELDS = (
    "pk", "cccd", "cmnd", "full_name", "date_of_birth", "birth_year", "sex",
    "ward__province_id", "ward_id", "phone",
)

# Keys that combine an id with a birth year: id * YEAR_SLOTS + (year - YEAR_BASE).
YEAR_BASE = 1800
YEAR_SLOTS = 512

_CHUNK = 100_000
_POW10 = np.array([10**k for k in range(19)], dtype=np.int64)



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
_COUNT = "SELECT count(*) FROM records_citizen"


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
        import threading

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
            import psycopg2

            params = dict(connection.info.dsn_parameters)
            if connection.info.password:
                params["password"] = connection.info.password
            other = psycopg2.connect(**{k: v for k, v in params.items() if k in _DSN_KEYS})
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
            try:
                other.close()
            except Exception:  # noqa: BLE001
                pass

    def result(self, cur) -> np.ndarray:
        if self.thread is not None:
            self.thread.join()
            if self.cols is not None:
                return self.cols
        return _copy_numbers(cur, self.rows)


_DSN_KEYS = ("host", "port", "user", "dbname", "password", "sslmode", "sslrootcert", "sslcert", "sslkey",
             "options", "application_name", "connect_timeout", "target_session_attrs", "hostaddr")


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


def digit_key(value) -> int:
    """``int("1" + digits)`` for a digit string, 0 for empty or non-digit values."""
    if value and value.isdigit():
        return int("1" + value)
    return 0


def key_digits(key: int) -> str:
    """Inverse of :func:`digit_key`."""
    return str(key)[1:] if key else ""


def year_slot(year):
    return year - YEAR_BASE


def name_keys(name: str, token_cache: dict) -> tuple[str, str]:
    """(accent_key, fold_name) of ``name``, token by token through a cache: a registry has
    a million names but only a few thousand distinct words."""
    accents = []
    foldeds = []
    for token in (name or "").split():
        keys = token_cache.get(token)
        if keys is None:
            keys = token_cache[token] = (accent_key(token), fold_name(token))
        if keys[1]:
            accents.append(keys[0])
            foldeds.append(keys[1])
    return " ".join(accents), " ".join(foldeds)


class Block:
    """A multimap key -> citizen positions as one sorted key array plus the positions in
    that order. ``get`` is a slice; ``ranges`` looks up many keys at once."""

    __slots__ = ("keys", "order")

    def __init__(self, keys: np.ndarray, valid: np.ndarray | None = None):
        idx = np.flatnonzero(valid) if valid is not None else np.arange(len(keys))
        k = keys[idx]
        o = np.argsort(k)
        self.keys = np.ascontiguousarray(k[o])
        self.order = idx[o].astype(np.int32)

    def get(self, key) -> np.ndarray:
        lo = int(self.keys.searchsorted(key, "left"))
        hi = int(self.keys.searchsorted(key, "right"))
        return self.order[lo:hi]

    def count(self, key) -> int:
        return int(self.keys.searchsorted(key, "right") - self.keys.searchsorted(key, "left"))

    def ranges(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.keys.searchsorted(keys, "left"), self.keys.searchsorted(keys, "right")


def expand(block: Block, rec: np.ndarray, keys: np.ndarray, cap: int = 0):
    """All (rec, position) pairs for ``keys`` looked up in ``block`` (vectorised).
    Blocks larger than ``cap`` (when given) are skipped."""
    lo, hi = block.ranges(keys)
    n = hi - lo
    if cap:
        n = np.where(n > cap, 0, n)
    total = int(n.sum())
    if not total:
        return np.empty(0, np.int64), np.empty(0, np.int32)
    r = np.repeat(rec, n)
    starts = np.repeat(lo - (np.cumsum(n) - n), n)
    pos = np.arange(total, dtype=np.int64) + starts
    return r, block.order[pos]


class CitizenIndex:
    """Columns indexed by a dense position ``i``; ``ids[i]`` is the caller's citizen id."""

    def __init__(self) -> None:
        self.ids: list = []
        # Name tables (ids are positions in these lists).
        self.names: list[str] = []  # folded
        self.name_ids: dict[str, int] = {}
        self.accents: list[str] = []
        self.accent_ids: dict[str, int] = {}
        self.sorted_ids: dict[str, int] = {}  # tokens-sorted folded name -> id
        self.tok_ids: dict[str, int] = {}  # folded token -> id
        self.ends_ids: dict[str, int] = {}  # "family given" -> id
        self._raw: dict[str, tuple[int, int]] = {}
        self._tokens: dict[str, tuple[str, str]] = {}
        self._cols: dict[str, list] = {k: [] for k in ("name", "accent", "dob", "year", "sex", "province",
                                                       "ward", "cccd", "cmnd", "phone")}
        self.params = ModelParams()
        self.name_sorted = None
        self.finished = False

    @property
    def size(self) -> int:
        return len(self.ids)

    # -- building -----------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[tuple], *, estimate_u: bool = True) -> CitizenIndex:
        ix = cls()
        ix.extend(rows)
        ix.finish(estimate_u=estimate_u)
        return ix

    @classmethod
    def from_registry_csv(cls, path, *, estimate_u: bool = True) -> CitizenIndex:
        """Registry CSV with columns ``citizen_id, legacy_id, full_name, date_of_birth, sex,
        province_code, ward_code, phone`` (``citizen_id`` is the CCCD)."""
        return cls.from_rows(iter_registry_csv(path), estimate_u=estimate_u)

    @classmethod
    def from_postgres(cls, connection, *, estimate_u: bool = True) -> CitizenIndex:
        """All of ``records_citizen`` through two ``COPY ... TO STDOUT`` (one of integers the
        server computes, one of names), read in one REPEATABLE READ snapshot.

        ``connection``: Django's ``django.db.connection`` (PostgreSQL backend) or a raw
        psycopg2 connection (``connection.connection``). Citizen ids are the primary keys,
        as with ``from_rows`` fed from ``values_list(*CITIZEN_ROW_FIELDS)``.
        """
        if hasattr(connection, "ensure_connection"):  # Django's wrapper
            connection.ensure_connection()
            connection = connection.connection
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            ix = cls()
            with _snapshot(connection) as cur:
                # The integers are read on a second connection sharing this snapshot, in a
                # thread (the server formats them while the names are processed here).
                numbers = _NumbersReader(connection, cur)
                names = _copy_names(cur)
                numbers.expect(len(names))
                ix._add_names(names)
                del names
                ix._name_tables()
                cols = numbers.result(cur)
                cur.execute(_WARD_PROVINCES)
                ward_province = cur.fetchall()
            wards = np.array([w for w, _p in ward_province] or [0], dtype=np.int64)
            provs = np.array([p for _w, p in ward_province] or [0], dtype=np.int64)
            order = np.argsort(wards)
            wards, provs = wards[order], provs[order]
            ward = cols[:, 6]
            at = np.clip(np.searchsorted(wards, ward), 0, len(wards) - 1)
            province = np.where((ward > 0) & (wards[at] == ward), provs[at], 0)
            # Column 3 is the day ordinal (date.toordinal()) of the birth date, 0 when unknown.
            ix._add_columns(
                cols[:, 0].tolist(), cols[:, 1], cols[:, 2], None, ordinals_to_ymd(cols[:, 3]), cols[:, 4],
                cols[:, 5], province, ward, cols[:, 7], encoded=True,
            )
            del cols
            ix.finish(estimate_u=estimate_u)
        finally:
            if was_enabled:
                gc.enable()
        return ix

    def extend(self, rows: Iterable[tuple]) -> None:
        # The cyclic GC would rescan millions of fresh row tuples over and over.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._extend(rows)
        finally:
            if was_enabled:
                gc.enable()

    def _extend(self, rows: Iterable[tuple]) -> None:
        it = iter(rows)
        while True:
            chunk = list(islice(it, _CHUNK))
            if not chunk:
                break
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
            self._add_columns(
                list(cid), cccd, cmnd, name, np.array(dob_i, dtype=np.int32),
                np.array(year_i, dtype=np.int32), sex,
                np.array([_as_int(p) for p in prov], dtype=np.int32),
                np.array([_as_int(w) for w in ward], dtype=np.int32), phone,
            )

    def _add_columns(self, cid, cccd, cmnd, name, dob, year, sex, prov, ward, phone, *, encoded=False) -> None:
        """One chunk of columns; ``dob`` yyyymmdd ints (0 = unknown), ``year`` ints (0 =
        unknown, taken from ``dob`` when it is known). ``encoded``: cccd, cmnd and phone
        are already :func:`digit_key` ints and sex already a code."""
        if self.finished:
            raise RuntimeError("the index is finished; build a new one")
        if name is not None:
            self._add_names(name)
        cols = self._cols
        dob = np.asarray(dob, dtype=np.int32)
        year = np.where(dob > 0, dob // 10000, np.asarray(year, dtype=np.int32))
        year = np.where((year >= YEAR_BASE) & (year < YEAR_BASE + YEAR_SLOTS), year, 0)
        cols["dob"].append(dob)
        cols["year"].append(year.astype(np.int16))
        codes = SEX_CODES
        if encoded:
            cols["sex"].append(np.asarray(sex, dtype=np.int8))
        else:
            cols["sex"].append(np.array([codes.get(s or "", 0) for s in sex], dtype=np.int8))
        cols["province"].append(np.asarray(prov, dtype=np.int32))
        cols["ward"].append(np.asarray(ward, dtype=np.int32))
        for key, col in (("cccd", cccd), ("cmnd", cmnd), ("phone", phone)):
            if encoded:
                cols[key].append(np.asarray(col, dtype=np.int64))
            else:
                cols[key].append(np.array([int("1" + v) if v and v.isdigit() else 0 for v in col], dtype=np.int64))
        self.ids.extend(cid)

    def _add_names(self, names) -> None:
        raw, add_name = self._raw, self._add_name
        pairs = [raw.get(n) or add_name(n) for n in names]
        self._cols["name"].append(np.array([p[0] for p in pairs], dtype=np.int32))
        self._cols["accent"].append(np.array([p[1] for p in pairs], dtype=np.int32))

    def _add_name(self, raw: str) -> tuple[int, int]:
        acc, fol = name_keys(raw, self._tokens)
        nid = self.name_ids.get(fol)
        if nid is None:
            nid = self.name_ids[fol] = len(self.names)
            self.names.append(fol)
        aid = self.accent_ids.get(acc)
        if aid is None:
            aid = self.accent_ids[acc] = len(self.accents)
            self.accents.append(acc)
        pair = self._raw[raw] = (nid, aid)
        return pair

    def _name_tables(self) -> None:
        """Per folded name: tokens-sorted id, "family given" id, first and last token ids."""
        names = self.names
        sorted_ids, tok_ids, ends_ids = self.sorted_ids, self.tok_ids, self.ends_ids
        m = len(names)
        n_sorted, n_ends, n_first, n_last, n_ntok = [], [], [], [], []
        for fol in names:
            toks = fol.split()
            if not toks:
                n_sorted.append(-1)
                n_ends.append(-1)
                n_first.append(-1)
                n_last.append(-1)
                n_ntok.append(0)
                continue
            s = " ".join(sorted(toks))
            n_sorted.append(sorted_ids.setdefault(s, len(sorted_ids)))
            n_ends.append(ends_ids.setdefault(toks[0] + " " + toks[-1], len(ends_ids)))
            n_first.append(tok_ids.setdefault(toks[0], len(tok_ids)))
            n_last.append(tok_ids.setdefault(toks[-1], len(tok_ids)))
            n_ntok.append(min(len(toks), 127))
        self.name_sorted = np.array(n_sorted, dtype=np.int32).reshape(m)
        self.name_ends = np.array(n_ends, dtype=np.int32).reshape(m)
        self.name_first = np.array(n_first, dtype=np.int32).reshape(m)
        self.name_last = np.array(n_last, dtype=np.int32).reshape(m)
        self.name_ntok = np.array(n_ntok, dtype=np.int8).reshape(m)
        self.tokens = list(tok_ids)  # id -> token

    def finish(self, *, estimate_u: bool = True) -> None:
        """Columns, per-name tables, blocks, frequencies and (optionally) sampled u."""
        cols = self._cols
        cat = {k: (np.concatenate(v) if v else np.empty(0, np.int32)) for k, v in cols.items()}
        self._cols = {}
        self._raw = {}
        self.name = cat["name"].astype(np.int32)
        self.accent = cat["accent"].astype(np.int32)
        self.dob = cat["dob"].astype(np.int32)
        self.year = cat["year"].astype(np.int32)
        self.sex = cat["sex"].astype(np.int8)
        self.province = cat["province"].astype(np.int32)
        self.ward = cat["ward"].astype(np.int32)
        self.cccd = cat["cccd"].astype(np.int64)
        self.cmnd = cat["cmnd"].astype(np.int64)
        self.phone = cat["phone"].astype(np.int64)
        self.dord = dob_ordinals(self.dob)
        n = self.size

        if getattr(self, "name_sorted", None) is None or len(self.name_sorted) != len(self.names):
            self._name_tables()
        names = self.names
        m = len(names)
        empty = self.name_ids.get("")
        n_ends, n_last = self.name_ends, self.name_last
        ends_ids = self.ends_ids
        has_name = self.name != (empty if empty is not None else -2)
        self.name = np.where(has_name, self.name, -1).astype(np.int32)
        self.has_name = has_name

        # Term frequencies.
        nm = np.where(has_name, self.name, 0)
        self.name_count = np.bincount(nm[has_name], minlength=m).astype(np.int32)
        self.ends_count = np.bincount(n_ends[nm[has_name]], minlength=max(len(ends_ids), 1)).astype(np.int32)
        self.year_count = np.bincount(self.year, minlength=YEAR_BASE + YEAR_SLOTS).astype(np.int32)
        self.ward_count = np.bincount(self.ward, minlength=1).astype(np.int32)
        self.province_count = np.bincount(self.province, minlength=1).astype(np.int32)

        # Blocks.
        yr = self.year
        known_year = yr > 0
        ys = np.where(known_year, yr - YEAR_BASE, 0).astype(np.int64)
        name64 = self.name.astype(np.int64)
        given = np.where(has_name, n_last[nm], -1).astype(np.int64)
        ward64 = self.ward.astype(np.int64)
        specs = {
            "by_cccd": (self.cccd, self.cccd > 0),
            "by_cmnd": (self.cmnd, self.cmnd > 0),
            "by_phone": (self.phone, self.phone > 0),
            "by_name": (name64, has_name),
            "by_name_year": (name64 * YEAR_SLOTS + ys, has_name & known_year),
            "by_given_year": (given * YEAR_SLOTS + ys, has_name & known_year),
            "by_dob": (self.dob.astype(np.int64), self.dob > 0),
            "by_ward": (ward64, self.ward > 0),
            "by_ward_year": (ward64 * YEAR_SLOTS + ys, (self.ward > 0) & known_year),
            "by_ends": (np.where(has_name, n_ends[nm], -1).astype(np.int64), has_name),
        }
        # numpy sorts release the GIL: two threads use both cores.
        with ThreadPoolExecutor(2) as pool:
            for attr, block in zip(specs, pool.map(lambda kv: Block(*kv), specs.values())):
                setattr(self, attr, block)
        del specs
        # Per-citizen counts used by the scorer.
        self.dob_count = _value_counts(self.dob)
        self.phone_count = _value_counts(self.phone)
        self.citizen_ends = np.where(has_name, n_ends[nm], -1).astype(np.int32)
        self.finished = True
        if estimate_u and n:
            self.params = self.estimate_u(self.params)

    def estimate_u(self, params: ModelParams, *, sample: int = 2000, seed: int = 7) -> ModelParams:
        """u for the levels that have no term frequency, from random citizen pairs.

        Random pairs of distinct citizens are non-matches, so the share that lands in a
        level is that level's u. Deterministic (fixed seed) so runs are reproducible.
        """
        from rapidfuzz import fuzz, process

        from .scoring import FUZZY_LOW, make_probe, name_level

        n = self.size
        if n < 50:
            return params
        rng = random.Random(seed)
        picks = [rng.randrange(n) for _ in range(min(sample, n))]
        names = self.names
        name = self.name
        others = []
        for _ in range(min(sample, n)):
            k = int(name[rng.randrange(n)])
            others.append(names[k] if k >= 0 else "")
        name_picks = picks[: sample // 8]
        typo = fuzzy = total = 0
        queries = [names[int(name[i])] for i in name_picks if name[i] >= 0]
        if queries:
            # The ratio pre-filter is a superset of the typo and fuzzy levels.
            sims = process.cdist(queries, others, scorer=fuzz.ratio, score_cutoff=FUZZY_LOW, dtype=np.uint8)
            for qi, oi in zip(*np.nonzero(sims)):
                q, choice = queries[qi], others[oi]
                if choice == q:
                    continue
                level = name_level(make_probe(full_name=q), choice, choice)
                if level == "typo":
                    typo += 1
                elif level == "fuzzy":
                    fuzzy += 1
            total = len(queries) * len(others)
        # Half a pair of pseudo-count keeps tiny samples from claiming u = 0.
        u_typo = (typo + 0.5) / max(total, 1)
        u_fuzzy = (fuzzy + 0.5) / max(total, 1)
        id_neigh = _typo_neighbours(self.by_cccd, self.cccd[picks])
        phone_neigh = _typo_neighbours(self.by_phone, self.phone[picks])
        return ModelParams(
            m=params.m,
            u_name_typo=u_typo,
            u_name_fuzzy=u_fuzzy,
            id_typo_neighbours=max(id_neigh, 0.05),
            phone_typo_neighbours=max(phone_neigh, 0.05),
            match_rate=params.match_rate,
        )

    # -- convenience lookups ----------------------------------------------------------------

    def folded(self, i: int) -> str:
        k = int(self.name[i])
        return self.names[k] if k >= 0 else ""

    def accented(self, i: int) -> str:
        return self.accents[int(self.accent[i])] if self.name[i] >= 0 else ""


def _value_counts(values: np.ndarray) -> np.ndarray:
    """For each element, how many elements hold the same value (0 for the value 0)."""
    if not len(values):
        return np.zeros(0, np.int32)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    out = counts[inverse].astype(np.int32)
    out[values == 0] = 0
    return out


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def ordinals_to_ymd(ordinal: np.ndarray) -> np.ndarray:
    """yyyymmdd ints of ``date.toordinal()`` day numbers (0 stays 0), vectorised."""
    o = np.asarray(ordinal, dtype=np.int64)
    z = o - 719163 + 719468  # days since 0000-03-01 (H. Hinnant's civil_from_days)
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = y + (m <= 2)
    return np.where(o > 0, y * 10000 + m * 100 + d, 0).astype(np.int32)


def dob_ordinals(dob: np.ndarray) -> np.ndarray:
    """``date.toordinal()`` of yyyymmdd ints, vectorised (0 for unknown or impossible
    dates)."""
    dob = np.asarray(dob, dtype=np.int64)
    y, m, d = dob // 10000, dob // 100 % 100, dob % 100
    ok = (dob > 0) & (m >= 1) & (m <= 12) & (d >= 1) & (y >= 1)
    mm = np.where(ok, m, 1)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    ok &= d <= _MONTH_DAYS[mm] + ((mm == 2) & leap)
    # Days from civil (H. Hinnant), shifted so 0001-01-01 is 1 as in date.toordinal().
    yy = y - (mm <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (mm + np.where(mm > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468 + 719163
    return np.where(ok, days, 0).astype(np.int32)


def one_edit_apart_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Vectorised ``one_edit_apart`` on :func:`digit_key` ints: same length, and one digit
    changed or two adjacent digits swapped."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    la = np.searchsorted(_POW10, a, side="right")
    lb = np.searchsorted(_POW10, b, side="right")
    ok = (la == lb) & (a != b) & (a > 0)
    if not ok.any():
        return ok
    ndiff = np.zeros(len(a), np.int8)
    first = np.full(len(a), -1, np.int8)
    second = np.full(len(a), -1, np.int8)
    for k in range(18):
        da = a // _POW10[k] % 10
        db = b // _POW10[k] % 10
        neq = da != db
        ndiff += neq
        first = np.where(neq & (first < 0), k, first)
        second = np.where(neq & (first >= 0) & (first != k), np.where(second < 0, k, second), second)
    one = ndiff == 1
    two = (ndiff == 2) & (second == first + 1)
    if two.any():
        f = np.clip(first, 0, 17).astype(np.int64)
        p1, p2 = _POW10[f], _POW10[np.clip(f + 1, 0, 18)]
        swapped = (a // p1 % 10 == b // p2 % 10) & (a // p2 % 10 == b // p1 % 10)
        two &= swapped
    return ok & (one | two)


def _typo_neighbours(block: Block, values: np.ndarray) -> float:
    """Mean number of other citizens whose value is one typo away."""
    values = values[values > 0]
    if not len(values):
        return 0.0
    variants, owner = edit_variant_keys(values)
    lo, hi = block.ranges(variants)
    return float((hi - lo).sum()) / len(values)


def edit_variant_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every :func:`digit_key` one digit substitution or one adjacent swap away from each
    key; returns (variants, index of the key each came from)."""
    keys = np.asarray(keys, dtype=np.int64)
    lens = np.searchsorted(_POW10, keys, side="right") - 1  # digits after the leading 1
    out, owner = [], []
    idx = np.arange(len(keys))
    for pos in range(int(lens.max(initial=0))):
        has = lens > pos
        k = keys[has]
        w = idx[has]
        p = _POW10[pos]
        cur = k // p % 10
        for d in range(1, 10):
            out.append(k + ((cur + d) % 10 - cur) * p)
            owner.append(w)
        has2 = lens > pos + 1
        k2 = keys[has2]
        w2 = idx[has2]
        a = k2 // p % 10
        b = k2 // (p * 10) % 10
        diff = a != b
        out.append((k2 + (b - a) * p + (a - b) * p * 10)[diff])
        owner.append(w2[diff])
    if not out:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out), np.concatenate(owner)


def _as_int(value) -> int:
    if value is None or value == "":
        return 0
    if value.__class__ is int:
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def edit_variants(value: str):
    """Every string one digit substitution or one adjacent swap away from ``value``."""
    digits = "0123456789"
    n = len(value)
    for pos in range(n):
        head, cur, tail = value[:pos], value[pos], value[pos + 1:]
        for d in digits:
            if d != cur:
                yield head + d + tail
    for pos in range(n - 1):
        a, b = value[pos], value[pos + 1]
        if a != b:
            yield value[:pos] + b + a + value[pos + 2:]


def iter_registry_csv(path):
    """Rows in :data:`CitizenIndex` layout from the registry CSV export."""
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
