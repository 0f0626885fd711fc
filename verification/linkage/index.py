"""In-memory citizen index: integer-encoded numpy columns, sorted blocking keys and term
frequencies.

Built once, then shared read-only (forked workers see the same pages: numpy buffers are
never touched by reference counting, so copy-on-write does not copy them).

Three ways in (the reading itself is in :mod:`~verification.linkage.loaders`):

* ``CitizenIndex.from_postgres(connection)`` – the fast path on PostgreSQL (COPY);
* ``CitizenIndex.from_rows(rows)`` – any iterator of tuples in the loaders' row layout, e.g.
  ``Citizen.objects.values_list(*CITIZEN_ROW_FIELDS).iterator()`` (works on SQLite too);
* ``CitizenIndex.from_registry_csv(path)`` – the registry CSV export.

Encodings (:mod:`~verification.linkage.keys`): names become ids into ``names``
(diacritics-folded) and ``accents`` (accents kept); ID numbers and phones become digit keys
(0 = absent); dates become ``yyyymmdd`` ints and day ordinals; years are kept as ints
(0 = unknown).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

import numpy as np

from .keys import SEX_CODES, YEAR_BASE, YEAR_SLOTS, dob_ordinals, name_keys
from .loaders import iter_registry_csv, read_postgres, row_columns
from .scoring import sampling
from .scoring.params import ModelParams

_CHUNK = 100_000
# The columns, each of its final type (``finish``); chunks are appended as they come.
_COLUMN_TYPES = {"name": np.int32, "accent": np.int32, "dob": np.int32, "year": np.int32, "sex": np.int8,
                 "province": np.int32, "ward": np.int32,
                 "cccd": np.int64, "cmnd": np.int64, "phone": np.int64}


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


@contextmanager
def _gc_paused():
    """The cyclic GC would rescan millions of fresh row tuples over and over."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
        self._cols: dict[str, list] = {k: [] for k in _COLUMN_TYPES}
        self.params = ModelParams()
        self.name_sorted = None
        self.finished = False
        self.population = 0  # the registry's size when the index holds only part of it (``calibrate``)
        # A shard of the registry: what the whole registry holds (``RegistryVocabulary``).
        self.vocabulary: RegistryVocabulary | None = None

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def registry_size(self) -> int:
        """N of the scores' 1/N prior and term frequencies: the registry's, not only this index's."""
        return max(self.population, self.size)

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
        """All of ``records_citizen`` through :func:`~verification.linkage.loaders.read_postgres`
        (two ``COPY ... TO STDOUT`` in one snapshot). ``connection``: Django's
        ``django.db.connection`` (PostgreSQL backend) or a raw psycopg2 connection. Citizen
        ids are the primary keys, as with ``from_rows`` fed from
        ``values_list(*CITIZEN_ROW_FIELDS)``."""
        with _gc_paused():
            ix = cls()
            ids, cccd, cmnd, dob, year, sex, province, ward, phone = read_postgres(connection, ix._take_names)
            ix._add_columns((ids, cccd, cmnd, None, dob, year, sex, province, ward, phone), encoded=True)
            del ids, cccd, cmnd, dob, year, sex, province, ward, phone
            ix.finish(estimate_u=estimate_u)
        return ix

    def _take_names(self, names: list[str]) -> None:
        """The names of a whole table, encoded before its other columns arrive."""
        self._add_names(names)
        self._name_tables()

    def extend(self, rows: Iterable[tuple]) -> None:
        with _gc_paused():
            it = iter(rows)
            while (columns := row_columns(list(islice(it, _CHUNK)))) is not None:
                self._add_columns(columns)
                del columns

    def _add_columns(self, columns: tuple, *, encoded=False) -> None:
        """One chunk of columns ``(cid, cccd, cmnd, name, dob, year, sex, prov, ward, phone)``
        (``loaders.row_columns``); ``dob`` yyyymmdd ints (0 = unknown), ``year`` ints (0 =
        unknown, taken from ``dob`` when it is known). ``encoded``: cccd, cmnd and phone
        are already digit keys and sex already a code."""
        cid, cccd, cmnd, name, dob, year, sex, prov, ward, phone = columns
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
            else:  # digit_key, inlined: millions of values
                cols[key].append(np.array([int("1" + v) if v and v.isdigit() else 0 for v in col],
                                          dtype=np.int64))
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
        """Per folded name: tokens-sorted id, "family given" id and last token id (the first
        token gets a token id too)."""
        names = self.names
        sorted_ids, tok_ids, ends_ids = self.sorted_ids, self.tok_ids, self.ends_ids
        m = len(names)
        n_sorted, n_ends, n_last = [], [], []
        for fol in names:
            toks = fol.split()
            if not toks:
                n_sorted.append(-1)
                n_ends.append(-1)
                n_last.append(-1)
                continue
            s = " ".join(sorted(toks))
            n_sorted.append(sorted_ids.setdefault(s, len(sorted_ids)))
            n_ends.append(ends_ids.setdefault(toks[0] + " " + toks[-1], len(ends_ids)))
            tok_ids.setdefault(toks[0], len(tok_ids))
            n_last.append(tok_ids.setdefault(toks[-1], len(tok_ids)))
        self.name_sorted = np.array(n_sorted, dtype=np.int32).reshape(m)
        self.name_ends = np.array(n_ends, dtype=np.int32).reshape(m)
        self.name_last = np.array(n_last, dtype=np.int32).reshape(m)
        self.tokens = list(tok_ids)  # id -> token

    def finish(self, *, estimate_u: bool = True) -> None:
        """Columns, per-name tables, blocks, frequencies and (optionally) sampled u."""
        self._concatenate()
        if getattr(self, "name_sorted", None) is None or len(self.name_sorted) != len(self.names):
            self._name_tables()
        empty = self.name_ids.get("")
        has_name = self.name != (empty if empty is not None else -2)
        self.name = np.where(has_name, self.name, -1).astype(np.int32)
        self.has_name = has_name
        nm = np.where(has_name, self.name, 0)
        self._frequencies(has_name, nm)
        self._blocks(has_name, nm)
        # Per-citizen counts used by the scorer.
        self.dob_count = _value_counts(self.dob)
        self.phone_count = _value_counts(self.phone)
        self.citizen_ends = np.where(has_name, self.name_ends[nm], -1).astype(np.int32)
        self.finished = True
        if estimate_u and self.size:
            self.params = self.estimate_u(self.params)

    def _concatenate(self) -> None:
        """The chunks of every column as one array of its final type."""
        cat = {k: (np.concatenate(v) if v else np.empty(0, np.int32)) for k, v in self._cols.items()}
        self._cols = {}
        self._raw = {}
        for key, dtype in _COLUMN_TYPES.items():
            setattr(self, key, cat.pop(key).astype(dtype))
        self.dord = dob_ordinals(self.dob)

    def _frequencies(self, has_name: np.ndarray, nm: np.ndarray) -> None:
        """Term frequencies: per name, "family given", birth year, ward and province."""
        self.name_count = np.bincount(nm[has_name], minlength=len(self.names)).astype(np.int32)
        self.ends_count = np.bincount(self.name_ends[nm[has_name]],
                                      minlength=max(len(self.ends_ids), 1)).astype(np.int32)
        self.year_count = np.bincount(self.year, minlength=YEAR_BASE + YEAR_SLOTS).astype(np.int32)
        self.ward_count = np.bincount(self.ward, minlength=1).astype(np.int32)
        self.province_count = np.bincount(self.province, minlength=1).astype(np.int32)

    def _blocks(self, has_name: np.ndarray, nm: np.ndarray) -> None:
        """The sorted blocking keys (``by_*``), two sorts at a time."""
        yr = self.year
        known_year = yr > 0
        ys = np.where(known_year, yr - YEAR_BASE, 0).astype(np.int64)
        name64 = self.name.astype(np.int64)
        given = np.where(has_name, self.name_last[nm], -1).astype(np.int64)
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
            "by_ends": (np.where(has_name, self.name_ends[nm], -1).astype(np.int64), has_name),
        }
        # numpy sorts release the GIL: two threads use both cores.
        with ThreadPoolExecutor(2) as pool:
            for attr, block in zip(specs, pool.map(lambda kv: Block(*kv), specs.values())):
                setattr(self, attr, block)

    def calibrate(self, counts: RegistryCounts) -> None:
        """Score this index's few citizens as the whole registry would: N and every term
        frequency taken from ``counts`` (never below what the index itself holds), so a block
        read from the database weighs a name, a date or a commune by how common it is in the
        registry, not in the block."""
        ends = {v: k for k, v in self.ends_ids.items()}
        self.population = counts.population
        self.name_count = _at_least(self.name_count, [counts.names.get(n, 0) for n in self.names])
        self.ends_count = _at_least(self.ends_count, [counts.ends.get(ends.get(i, ""), 0)
                                                      for i in range(len(self.ends_count))])
        for attr, registry in (("year_count", counts.years), ("ward_count", counts.wards),
                               ("province_count", counts.provinces)):
            mine = getattr(self, attr)
            setattr(self, attr, _at_least(mine, [registry.get(v, 0) for v in range(len(mine))]))
        self.dob_count = _at_least(self.dob_count, [counts.dobs.get(int(d), 0) for d in self.dob])
        self.phone_count = _at_least(self.phone_count, [counts.phones.get(int(p), 0) for p in self.phone])

    def estimate_u(self, params: ModelParams, *, sample: int = 2000, seed: int = 7) -> ModelParams:
        """``params`` with u sampled from random citizen pairs
        (:func:`~verification.linkage.scoring.sampling.estimate_u`)."""
        return sampling.estimate_u(self, params, sample=sample, seed=seed)

    # -- what the registry holds (a shard answers for the whole registry) ---------------------

    def knows_token(self, token: str) -> bool:
        """Whether a registry name starts or ends with ``token``."""
        return token in self.tok_ids or (self.vocabulary is not None and token in self.vocabulary.tokens)

    def name_block_sizes(self, nid: np.ndarray) -> np.ndarray:
        """How many citizens bear each name id (>= 0): in the whole registry for a shard, so its
        blocking takes the same path for a common name as one index of everybody would."""
        if self.vocabulary is not None:
            return self.name_count[nid]
        lo, hi = self.by_name.ranges(nid)
        return hi - lo

    # -- convenience lookups ----------------------------------------------------------------

    def folded(self, i: int) -> str:
        k = int(self.name[i])
        return self.names[k] if k >= 0 else ""

    def accented(self, i: int) -> str:
        return self.accents[int(self.accent[i])] if self.name[i] >= 0 else ""


@dataclass
class RegistryCounts:
    """How many citizens the whole registry holds (``population``) and how many share each
    value a block's citizens have, keyed as the index encodes them: folded name, "family
    given", birth year, ward and province code, yyyymmdd date, phone digit key
    (``int("1" + digits)``)."""

    population: int
    names: dict[str, int] = field(default_factory=dict)
    ends: dict[str, int] = field(default_factory=dict)
    years: dict[int, int] = field(default_factory=dict)
    wards: dict[int, int] = field(default_factory=dict)
    provinces: dict[int, int] = field(default_factory=dict)
    dobs: dict[int, int] = field(default_factory=dict)
    phones: dict[int, int] = field(default_factory=dict)


@dataclass
class RegistryVocabulary:
    """For an index holding one shard of the registry: which folded names of the records being
    matched the registry holds (``names``), and the first and last words (``tokens``) and
    "family given" pairs (``ends``) of every registry name. Blocking treats a name the registry
    holds elsewhere as known (no typo search for it), as one index of everybody would."""

    names: frozenset[str] = frozenset()
    tokens: frozenset[str] = frozenset()
    ends: frozenset[str] = frozenset()


def _at_least(mine: np.ndarray, registry: list[int]) -> np.ndarray:
    return np.maximum(mine, np.asarray(registry, dtype=np.int64)).astype(np.int32)


def _value_counts(values: np.ndarray) -> np.ndarray:
    """For each element, how many elements hold the same value (0 for the value 0)."""
    if not len(values):
        return np.zeros(0, np.int32)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    out = counts[inverse].astype(np.int32)
    out[values == 0] = 0
    return out
