"""In-memory citizen index: compact columns, blocking keys and term frequencies.

Built once from an iterator of plain tuples, so it can be fed from the database
(``Citizen.objects.values_list(*CITIZEN_ROW_FIELDS).iterator()``, or a PostgreSQL
``COPY ... TO STDOUT``) or from a CSV file. One million citizens take well under a
gigabyte: values live in ``array`` columns and shared (interned) strings, not in one Python
object per citizen.

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
"""

from __future__ import annotations

import csv
import gc
import random
import sys
from array import array
from collections import Counter
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from records.normalize import accent_key, fold_name, normalize_phone

from .scoring import FUZZY_LOW, SEX_CODES, ModelParams, birth_to_ints, make_probe, name_level

# The Django side selects exactly these, in this order.
CITIZEN_ROW_FIELDS = (
    "pk", "cccd", "cmnd", "full_name", "date_of_birth", "birth_year", "sex",
    "ward__province_id", "ward_id", "phone",
)

_intern = sys.intern


def _add(multimap: dict, key, i: int) -> None:
    """Multimap with an int for a single entry (most keys) and a list beyond."""
    v = multimap.get(key)
    if v is None:
        multimap[key] = i
    elif v.__class__ is int:
        multimap[key] = [v, i]
    else:
        v.append(i)


def _count(multimap: dict, key) -> int:
    v = multimap.get(key)
    if v is None:
        return 0
    return 1 if v.__class__ is int else len(v)


def _as_int(value) -> int:
    if value is None or value == "":
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class CitizenIndex:
    """Columns indexed by a dense position ``i``; ``ids[i]`` is the caller's citizen id."""

    def __init__(self) -> None:
        self.ids: list = []
        self.cccd: list[str] = []
        self.cmnd: list[str] = []
        self.phone: list[str] = []
        self.accent: list[str] = []
        self.folded: list[str] = []
        self.dob = array("i")
        self.year = array("h")
        self.sex = bytearray()
        self.ward = array("i")
        self.province = array("i")
        # Blocking keys -> position or list of positions.
        self.by_cccd: dict = {}
        self.by_cmnd: dict = {}
        self.by_phone: dict = {}
        self.by_name: dict = {}  # folded name
        self.by_name_year: dict = {}  # hash(folded name) + year
        self.by_given_year: dict = {}  # hash(given name token) + year
        self.by_dob: dict = {}  # yyyymmdd
        self.by_ward_year: dict = {}  # ward * 10000 + year
        self.by_ward: dict = {}  # ward (for records without a birth year)
        self.by_ends: dict = {}  # hash("family given") (for records without a birth year)
        # Frequencies for u-probabilities.
        self.year_counts: Counter = Counter()
        self.ward_counts: Counter = Counter()
        self.province_counts: Counter = Counter()
        self.ends_counts: Counter = Counter()  # "family given" pairs
        # For the last-resort fuzzy scan: year -> (positions, folded names).
        self.year_names: dict[int, tuple[list[int], list[str]]] = {}
        self.params = ModelParams()

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

    def extend(self, rows: Iterable[tuple]) -> None:
        # The cyclic GC would rescan millions of fresh containers over and over.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._extend(rows)
        finally:
            if was_enabled:
                gc.enable()
            # What the index holds lives as long as the index: keep the collector (and
            # copy-on-write pages in forked workers) off it.
            gc.freeze()

    def _extend(self, rows: Iterable[tuple]) -> None:
        # Local names and inlined dict updates: this loop runs a million times.
        name_cache: dict[str, tuple[str, str]] = {}
        token_cache: dict[str, tuple[str, str]] = {}
        ids, cccds, cmnds, phones = self.ids, self.cccd, self.cmnd, self.phone
        accents, foldeds = self.accent, self.folded
        dobs, years, sexes, wards, provinces = self.dob, self.year, self.sex, self.ward, self.province
        by_cccd, by_cmnd, by_phone = self.by_cccd, self.by_cmnd, self.by_phone
        by_name, by_name_year, by_given_year = self.by_name, self.by_name_year, self.by_given_year
        by_dob, by_ward_year, by_ward = self.by_dob, self.by_ward_year, self.by_ward
        given_hash: dict[str, int] = {}
        sex_codes = SEX_CODES
        i = len(ids)
        for cid, cccd, cmnd, name, dob, birth_year, sex, prov, ward, phone in rows:
            keys = name_cache.get(name)
            if keys is None:
                keys = name_cache[name] = name_keys(name, token_cache)
            acc, fol = keys
            if dob.__class__ is str and len(dob) == 10 and dob[4] == "-":
                y = int(dob[:4])
                d = y * 10000 + int(dob[5:7]) * 100 + int(dob[8:10])
            else:
                d, y = birth_to_ints(dob, birth_year)
            ward = int(ward) if ward.__class__ is int or (ward and ward.isdigit()) else 0
            prov = int(prov) if prov.__class__ is int or (prov and prov.isdigit()) else 0
            ids.append(cid)
            cccds.append(cccd or "")
            cmnds.append(cmnd or "")
            phones.append(phone or "")
            accents.append(acc)
            foldeds.append(fol)
            dobs.append(d)
            years.append(y)
            sexes.append(sex_codes.get(sex or "", 0))
            wards.append(ward)
            provinces.append(prov)
            if cccd:
                if cccd in by_cccd:
                    _add(by_cccd, cccd, i)
                else:
                    by_cccd[cccd] = i
            if cmnd:
                if cmnd in by_cmnd:
                    _add(by_cmnd, cmnd, i)
                else:
                    by_cmnd[cmnd] = i
            if phone:
                if phone in by_phone:
                    _add(by_phone, phone, i)
                else:
                    by_phone[phone] = i
            if fol:
                v = by_name.get(fol)
                if v is None:
                    by_name[fol] = i
                elif v.__class__ is int:
                    by_name[fol] = [v, i]
                else:
                    v.append(i)
                if y:
                    k = hash(fol) + y
                    v = by_name_year.get(k)
                    if v is None:
                        by_name_year[k] = i
                    elif v.__class__ is int:
                        by_name_year[k] = [v, i]
                    else:
                        v.append(i)
                    gh = given_hash.get(fol)
                    if gh is None:
                        gh = given_hash[fol] = hash(fol.rsplit(" ", 1)[-1])
                    by_given_year.setdefault(gh + y, []).append(i)
            if d:
                by_dob.setdefault(d, []).append(i)
            if ward:
                by_ward.setdefault(ward, []).append(i)
                if y:
                    by_ward_year.setdefault(ward * 10000 + y, []).append(i)
            i += 1

    def finish(self, *, estimate_u: bool = True) -> None:
        """Frequency tables, scan lists and (optionally) sampled u-probabilities."""
        ends_counts: Counter = Counter()
        by_ends: dict = {}
        for fol, v in self.by_name.items():
            toks = fol.split()
            ends = toks[0] + " " + toks[-1]
            if v.__class__ is int:
                ends_counts[ends] += 1
                by_ends.setdefault(hash(ends), []).append(v)
            else:
                ends_counts[ends] += len(v)
                by_ends.setdefault(hash(ends), []).extend(v)
        self.ends_counts, self.by_ends = ends_counts, by_ends
        self.year_counts = Counter(self.year)
        self.ward_counts = Counter(self.ward)
        self.province_counts = Counter(self.province)
        year_names: dict[int, tuple[list[int], list[str]]] = {}
        folded = self.folded
        for i, y in enumerate(self.year):
            entry = year_names.get(y)
            if entry is None:
                entry = year_names[y] = ([], [])
            entry[0].append(i)
            entry[1].append(folded[i])
        self.year_names = year_names
        if estimate_u:
            self.params = self.estimate_u(self.params)

    def estimate_u(self, params: ModelParams, *, sample: int = 2000, seed: int = 7) -> ModelParams:
        """u for the levels that have no term frequency, from random citizen pairs.

        Random pairs of distinct citizens are non-matches, so the share that lands in a
        level is that level's u. Deterministic (fixed seed) so runs are reproducible.
        """
        n = self.size
        if n < 50:
            return params
        rng = random.Random(seed)
        picks = [rng.randrange(n) for _ in range(min(sample, n))]
        others = [self.folded[rng.randrange(n)] for _ in range(min(sample, n))]
        name_picks = picks[: sample // 4]
        typo = fuzzy = total = 0
        for i in name_picks:
            q = self.folded[i]
            probe = None
            # The ratio pre-filter is a superset of the typo and fuzzy levels.
            for choice, _sim, _k in process.extract(
                q, others, scorer=fuzz.ratio, score_cutoff=FUZZY_LOW, limit=None
            ):
                if choice == q:
                    continue
                probe = probe or make_probe(full_name=q)
                level = name_level(probe, choice, choice)
                if level == "typo":
                    typo += 1
                elif level == "fuzzy":
                    fuzzy += 1
            total += len(others)
        # Half a pair of pseudo-count keeps tiny samples from claiming u = 0.
        u_typo = (typo + 0.5) / total
        u_fuzzy = (fuzzy + 0.5) / total
        id_neigh = self._typo_neighbours(self.cccd, self.by_cccd, picks)
        phone_neigh = self._typo_neighbours(self.phone, self.by_phone, picks)
        return ModelParams(
            m=params.m,
            u_name_typo=u_typo,
            u_name_fuzzy=u_fuzzy,
            id_typo_neighbours=max(id_neigh, 0.05),
            phone_typo_neighbours=max(phone_neigh, 0.05),
            match_rate=params.match_rate,
        )

    @staticmethod
    def _typo_neighbours(column: list[str], index: dict, picks: list[int]) -> float:
        """Mean number of other citizens whose value is one typo away."""
        found = tried = 0
        for i in picks:
            value = column[i]
            if not value:
                continue
            tried += 1
            for variant in edit_variants(value):
                found += _count(index, variant)
        return found / tried if tried else 0.0

    # -- lookups used by the scorer ---------------------------------------------------------

    def name_count(self, folded: str) -> int:
        return _count(self.by_name, folded)

    def ends_count(self, folded: str) -> int:
        toks = folded.split()
        return self.ends_counts.get(toks[0] + " " + toks[-1], 0) if toks else 0

    def dob_count(self, dob: int) -> int:
        return _count(self.by_dob, dob)

    def year_count(self, year: int) -> int:
        return self.year_counts.get(year, 0)

    def phone_count(self, phone: str) -> int:
        return _count(self.by_phone, phone)

    def ward_count(self, ward: int) -> int:
        return self.ward_counts.get(ward, 0)

    def province_count(self, province: int) -> int:
        return self.province_counts.get(province, 0)


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
    fol = _intern(" ".join(foldeds))
    acc = " ".join(accents)
    return (_intern(acc) if acc != fol else fol), fol


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
