"""Fellegi–Sunter comparison of one incoming record against one candidate citizen.

Pure Python, no Django. Each field is compared into a *level* (exact, typo, disagree, ...)
and each level carries a log2 likelihood ratio ``log2(m / u)``:

* ``m`` = P(level | the record and the citizen are the same person). Defaults below are
  priors for typed-from-paper data; :func:`verification.linkage.training.estimate_m`
  re-estimates them from the batch being matched.
* ``u`` = P(level | different people). Taken from the citizen table itself: term
  frequencies for names, birth dates, phones and wards (so "Nguyễn Văn Hùng" weighs less
  than a rare name), one-in-N for identity numbers, and random-pair sampling for the fuzzy
  name levels (see :class:`~verification.linkage.index.CitizenIndex`).

A missing value on either side is no evidence: weight 0 and no reason.

Every comparison returns ``(weight, reasons)`` where a reason is the tuple
``(field, level, weight)``; :func:`reason_dicts` turns them into
``{"field": "name", "level": "fuzzy", "weight": 4.1}`` for the review page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from records.normalize import (
    digits_only,
    normalize_id,
    normalize_phone,
    parse_birth_date,
)

log2 = math.log2

# Sex codes in the compact columns.
SEX_UNKNOWN, SEX_M, SEX_F = 0, 1, 2
SEX_CODES = {"M": SEX_M, "F": SEX_F, "m": SEX_M, "f": SEX_F, "nam": SEX_M, "nữ": SEX_F, "nu": SEX_F}

# Name similarity on RapidFuzz's 0..100 scale (Indel ratio of the folded names, the better
# of as-written and tokens-sorted). Vietnamese names share long family + middle prefixes
# ("nguyen van "), so the ratio alone is not trusted: a "typo" is one token one edit away
# with the others equal, and "fuzzy" also needs the given name within one edit.
FUZZY_LOW = 70.0
# Birth dates at most this many days apart count as "close" (typed one day off, 10 off).
CLOSE_DAYS = 10


def default_m() -> dict[str, dict[str, float]]:
    """Prior m-probabilities, conditional on the value being present on both sides."""
    return {
        # Record name written with diacritics.
        "name": {
            "exact": 0.84, "folded": 0.04, "reordered": 0.02, "partial": 0.03,
            "typo": 0.04, "fuzzy": 0.02, "disagree": 0.01,
        },
        # Record name written without any diacritic: "exact" cannot happen.
        "name_plain": {
            "folded": 0.86, "reordered": 0.02, "partial": 0.04,
            "typo": 0.05, "fuzzy": 0.02, "disagree": 0.01,
        },
        # Both dates full.
        "dob": {"exact": 0.85, "swap": 0.02, "close": 0.09, "year": 0.02, "disagree": 0.02},
        # One side has the year only.
        "dob_year": {"year": 0.97, "disagree": 0.03},
        "sex": {"agree": 0.985, "disagree": 0.015},
        "id": {"exact": 0.82, "typo": 0.16, "disagree": 0.02},
        "phone": {"exact": 0.86, "typo": 0.02, "disagree": 0.12},
        "ward": {"ward": 0.83, "province": 0.02, "disagree": 0.15},
    }


@dataclass
class ModelParams:
    """m-probabilities plus the u-probabilities that do not come from term frequencies."""

    m: dict[str, dict[str, float]] = field(default_factory=default_m)
    # u for fuzzy name levels; CitizenIndex.estimate_u() replaces these by random sampling.
    u_name_typo: float = 2e-4
    u_name_fuzzy: float = 1e-3
    # P(a random other citizen's ID is one typo away), as a multiple of 1/N.
    id_typo_neighbours: float = 0.05
    phone_typo_neighbours: float = 0.5
    # Share of incoming records that have a citizen at all (prior odds of a match).
    match_rate: float = 0.9

    def with_m(self, m: dict[str, dict[str, float]]) -> ModelParams:
        return replace(self, m=m)


# ---------------------------------------------------------------------------------------
# Prepared values
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Probe:
    """An incoming record, normalised once before it is compared with its candidates."""

    accent: str = ""
    folded: str = ""
    tokens: tuple[str, ...] = ()
    sorted_folded: str = ""
    has_marks: bool = False
    dob: int = 0  # yyyymmdd when the full date is known
    year: int = 0
    sex: int = SEX_UNKNOWN
    cccd: str = ""
    cmnd: str = ""
    phone: str = ""
    ward: int = 0
    province: int = 0

    def as_tuple(self) -> tuple:
        """The fields in declaration order: ``Probe(*p.as_tuple()) == p``. Plain tuples
        pickle several times faster than the dataclass (batches cross processes)."""
        return (self.accent, self.folded, self.tokens, self.sorted_folded, self.has_marks, self.dob, self.year,
                self.sex, self.cccd, self.cmnd, self.phone, self.ward, self.province)


def _int_or_zero(value) -> int:
    if value is None or value == "":
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        digits = digits_only(str(value))
        return int(digits) if digits else 0


def birth_to_ints(value, birth_year=None) -> tuple[int, int]:
    """(yyyymmdd or 0, year or 0) from a date, an ISO / dd/mm/yyyy / year string or an int.

    Unparseable text counts as unknown: a wrong date is no evidence either way.
    """
    if isinstance(value, date):
        return value.year * 10000 + value.month * 100 + value.day, value.year
    if isinstance(value, int) and value:
        return 0, value
    if isinstance(value, str) and value.strip():
        try:
            parsed = parse_birth_date(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.value is not None:
            d = parsed.value
            return d.year * 10000 + d.month * 100 + d.day, d.year
        if parsed is not None and parsed.year:
            return 0, parsed.year
    year = _int_or_zero(birth_year)
    return 0, year if 1800 <= year <= 2200 else 0


_NAME_CACHE: dict[str, tuple[str, str]] = {}
_TOKEN_CACHE: dict[str, tuple[str, str]] = {}


def make_probe(
    *,
    full_name: str | None = "",
    date_of_birth=None,
    sex: str | None = "",
    id_number: str | None = "",
    phone: str | None = "",
    province_code=None,
    ward_code=None,
    **_ignored,
) -> Probe:
    """Normalise the identity columns of an incoming record (extra columns are ignored)."""
    return Probe(*probe_values(full_name, date_of_birth, sex, id_number, phone, province_code, ward_code))


def probe_values(full_name, date_of_birth, sex, id_number, phone, province_code, ward_code) -> tuple:
    """:func:`make_probe`'s fields as a plain tuple (``Probe(*probe_values(...))``), the
    arguments positional in the order of the reports' identity columns."""
    keys = _NAME_CACHE.get(full_name) if full_name else ("", "")
    if keys is None:
        if len(_NAME_CACHE) > 200_000:
            _NAME_CACHE.clear()
        if len(_TOKEN_CACHE) > 200_000:
            _TOKEN_CACHE.clear()
        # Token by token, as the index does (names repeat their words, not their spellings).
        from .index import name_keys

        keys = _NAME_CACHE[full_name] = name_keys(full_name, _TOKEN_CACHE)
    accent, folded = keys
    tokens = tuple(folded.split())
    if date_of_birth.__class__ is str and len(date_of_birth) == 10 and date_of_birth[4] == "-" \
            and date_of_birth[:4].isdigit() and date_of_birth[5:7].isdigit() and date_of_birth[8:].isdigit():
        year = int(date_of_birth[:4])
        dob = year * 10000 + int(date_of_birth[5:7]) * 100 + int(date_of_birth[8:])
        if not (1 <= dob // 100 % 100 <= 12 and 1 <= dob % 100 <= 28):
            dob, year = birth_to_ints(date_of_birth)  # the exact rules for day 29-31
    elif date_of_birth.__class__ is str and len(date_of_birth) == 4 and date_of_birth.isdigit():
        dob, year = 0, int(date_of_birth)
        if not 1880 <= year <= 2100:  # as parse_birth_date
            year = 0
    else:
        dob, year = birth_to_ints(date_of_birth)
    # Fast paths for values that are already clean digits (most of them).
    if id_number.__class__ is str and id_number.isdecimal() and id_number.isascii():
        n = len(id_number)
        cccd, cmnd = (id_number, "") if n == 12 else (("", id_number) if n == 9 else ("", ""))
    else:
        ident = normalize_id(id_number)
        cccd, cmnd = ident.cccd, ident.cmnd
    if not (phone.__class__ is str and len(phone) == 10 and phone[0] == "0" and phone.isdecimal() and phone.isascii()):
        phone = normalize_phone(phone)
    return (
        accent,
        folded,
        tokens,
        " ".join(sorted(tokens)),
        accent != folded,
        dob,
        year,
        SEX_CODES.get(sex, SEX_UNKNOWN) if sex.__class__ is str and len(sex) == 1
        else SEX_CODES.get((sex or "").strip(), SEX_UNKNOWN),
        cccd,
        cmnd,
        phone,
        int(ward_code) if ward_code.__class__ is str and ward_code.isdecimal() else _int_or_zero(ward_code),
        int(province_code) if province_code.__class__ is str and province_code.isdecimal()
        else _int_or_zero(province_code),
    )


# ---------------------------------------------------------------------------------------
# Field comparisons (pure functions on prepared values)
# ---------------------------------------------------------------------------------------


def one_edit_apart(a: str, b: str) -> bool:
    """Same length and one digit changed, or two adjacent digits swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def name_level(probe: Probe, accent: str, folded: str) -> str:
    """Comparison level of two names (record's prepared in ``probe``)."""
    if probe.has_marks and probe.accent == accent:
        return "exact"
    if probe.folded == folded:
        return "folded"
    ctoks = folded.split()
    if probe.sorted_folded == " ".join(sorted(ctoks)):
        return "reordered"
    ptoks = probe.tokens
    if ptoks and ctoks and len(ptoks) != len(ctoks):
        short, long_ = (ptoks, ctoks) if len(ptoks) < len(ctoks) else (ctoks, ptoks)
        # A middle name left out: family and given names agree, the rest is contained.
        if len(short) >= 2 and short[0] == long_[0] and short[-1] == long_[-1] and set(short) <= set(long_):
            return "partial"
    # One token one edit (OSA: substitution, insertion, deletion, adjacent swap) away.
    if len(ptoks) == len(ctoks):
        for a_toks, b_toks in ((ptoks, ctoks), (sorted(ptoks), sorted(ctoks))):
            diffs = [(a, b) for a, b in zip(a_toks, b_toks) if a != b]
            if len(diffs) == 1 and OSA.distance(diffs[0][0], diffs[0][1], score_cutoff=1) <= 1:
                return "typo"
    if ptoks and ctoks:
        given_close = OSA.distance(ptoks[-1], ctoks[-1], score_cutoff=1) <= 1 or (
            OSA.distance(ptoks[0], ctoks[-1], score_cutoff=1) <= 1
            or OSA.distance(ptoks[-1], ctoks[0], score_cutoff=1) <= 1
        )
        if given_close:
            sim = fuzz.ratio(probe.folded, folded)
            if sim < FUZZY_LOW:
                sim = fuzz.ratio(probe.sorted_folded, " ".join(sorted(ctoks)))
            if sim >= FUZZY_LOW:
                return "fuzzy"
    return "disagree"


def _ymd_days(v: int) -> int:
    try:
        return date(v // 10000, v // 100 % 100, v % 100).toordinal()
    except ValueError:
        return 0


def dob_level(a: int, b: int) -> str:
    """Level of two full dates as yyyymmdd ints."""
    if a == b:
        return "exact"
    ay, am, ad = a // 10000, a // 100 % 100, a % 100
    by, bm, bd = b // 10000, b // 100 % 100, b % 100
    if ay == by and am == bd and ad == bm:
        return "swap"
    if (
        abs(_ymd_days(a) - _ymd_days(b)) <= CLOSE_DAYS
        or one_edit_apart(str(a), str(b))
        or (am == bm and ad == bd and abs(ay - by) == 1)
    ):
        return "close"
    if ay == by:
        return "year"
    return "disagree"


def reason_dicts(reasons) -> list[dict]:
    return [{"field": f, "level": lvl, "weight": round(w, 2)} for f, lvl, w in reasons]




# ---------------------------------------------------------------------------------------
# Vectorised scoring of (record, citizen) pairs
# ---------------------------------------------------------------------------------------

# Level codes per field (0 = a value missing on either side: no evidence, no reason).
NAME_LEVELS = ("", "exact", "folded", "reordered", "partial", "typo", "fuzzy", "disagree")
DOB_LEVELS = ("", "exact", "swap", "close", "year", "disagree", "year", "disagree")  # 6-7: year only
SEX_LEVELS = ("", "agree", "disagree")
ID_LEVELS = ("", "exact", "typo", "disagree")
PHONE_LEVELS = ("", "exact", "typo", "disagree")
WARD_LEVELS = ("", "ward", "province", "disagree")
FIELDS = ("name", "dob", "sex", "id", "phone", "ward")
_NAME_CODE = {lvl: k for k, lvl in enumerate(NAME_LEVELS) if lvl}


class ProbeBatch:
    """Records of one batch as columns, their names resolved to the index's ids."""

    def __init__(self, index, probes: list[Probe]):
        import numpy as np

        from .index import digit_key, dob_ordinals

        self.probes = probes
        ix = index
        name_ids, accent_ids, sorted_ids = ix.name_ids, ix.accent_ids, ix.sorted_ids
        tok_ids, ends_ids = ix.tok_ids, ix.ends_ids
        n = len(probes)
        nid = np.full(n, -1, np.int32)
        aid = np.full(n, -1, np.int32)
        sid = np.full(n, -1, np.int32)
        eid = np.full(n, -1, np.int32)
        first = np.full(n, -1, np.int32)
        last = np.full(n, -1, np.int32)
        for k, p in enumerate(probes):
            if p.folded:
                nid[k] = name_ids.get(p.folded, -1)
                aid[k] = accent_ids.get(p.accent, -1)
                sid[k] = sorted_ids.get(p.sorted_folded, -1)
                t = p.tokens
                eid[k] = ends_ids.get(t[0] + " " + t[-1], -1)
                first[k] = tok_ids.get(t[0], -1)
                last[k] = tok_ids.get(t[-1], -1)
        self.nid, self.aid, self.sid, self.eid, self.first, self.last = nid, aid, sid, eid, first, last
        self.has_name = np.array([bool(p.folded) for p in probes], dtype=bool)
        self.marks = np.array([p.has_marks for p in probes], dtype=bool)
        self.dob = np.array([p.dob for p in probes], dtype=np.int32)
        self.dord = dob_ordinals(self.dob)
        self.year = np.array([p.year for p in probes], dtype=np.int32)
        self.sex = np.array([p.sex for p in probes], dtype=np.int8)
        self.cccd = np.array([digit_key(p.cccd) for p in probes], dtype=np.int64)
        self.cmnd = np.array([digit_key(p.cmnd) for p in probes], dtype=np.int64)
        self.phone = np.array([digit_key(p.phone) for p in probes], dtype=np.int64)
        self.ward = np.array([p.ward for p in probes], dtype=np.int64)
        self.province = np.array([p.province for p in probes], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.probes)

    def folded_list(self) -> list[str]:
        got = getattr(self, "_folded", None)
        if got is None:
            got = self._folded = [p.folded for p in self.probes]
        return got


class BatchScorer:
    """Fellegi–Sunter scores of many (record, citizen) pairs at once.

    ``score(batch, r, c)`` takes pair arrays (``r`` positions in the :class:`ProbeBatch`,
    ``c`` positions in the index) and returns ``(total, levels, weights)``: the log2
    posterior odds per pair, and per field (rows in :data:`FIELDS` order) the level codes
    and the weights that make up the total. The string comparisons that cannot be done on
    integer ids (partial, typo and fuzzy names) run in Python on the few pairs that need
    them, through a cache.
    """

    def __init__(self, index, params: ModelParams | None = None):
        import numpy as np

        self.np = np
        self.index = index
        self.params = p = params or ModelParams()
        self.n = max(index.size, 1)
        self.log_n = log2(self.n)
        m = p.m
        lm = {f: {lvl: log2(max(v, 1e-9)) for lvl, v in levels.items()} for f, levels in m.items()}
        self.lm = lm
        # Name weights before the term-frequency part: [table][level code].
        tab = np.zeros((2, len(NAME_LEVELS)))
        for t, table in enumerate(("name", "name_plain")):
            for code, lvl in enumerate(NAME_LEVELS):
                if code:
                    tab[t, code] = lm[table].get(lvl, log2(1e-9))
            tab[t, 5] -= log2(p.u_name_typo)
            tab[t, 6] -= log2(p.u_name_fuzzy)
        self.name_tab = tab
        self.sex_w = np.array([0.0, lm["sex"]["agree"] - log2(0.5), lm["sex"]["disagree"] - log2(0.5)])
        self.id_w = np.array([0.0, lm["id"]["exact"] + self.log_n,
                              lm["id"]["typo"] + self.log_n - log2(max(p.id_typo_neighbours, 1e-3)),
                              lm["id"]["disagree"]])
        self.prior = log2(p.match_rate / (1 - p.match_rate)) - self.log_n
        self._name_cache: dict = {}

    def _tf(self, count):
        np = self.np
        return self.log_n - np.log2(np.maximum(count, 1))

    def score(self, pb: ProbeBatch, r, c):
        np = self.np
        ix = self.index
        lm = self.lm
        r = np.asarray(r, dtype=np.int64)
        c = np.asarray(c, dtype=np.int64)
        n = len(r)
        levels = np.zeros((6, n), np.int8)
        weights = np.zeros((6, n))
        if not n:
            return np.zeros(0), levels, weights

        # Name ---------------------------------------------------------------------------
        cn = ix.name[c]
        pn = pb.nid[r]
        present = pb.has_name[r] & (cn >= 0)
        cn0 = np.where(cn >= 0, cn, 0)
        marks = pb.marks[r]
        lv = np.zeros(n, np.int8)
        lv[present] = 7
        reordered = present & (pb.sid[r] == ix.name_sorted[cn0]) & (pb.sid[r] >= 0)
        lv[reordered] = 3
        folded = present & (pn == cn)
        lv[folded] = 2
        lv[folded & marks & (pb.aid[r] == ix.accent[c])] = 1
        rest = np.flatnonzero(lv == 7)
        if len(rest):
            cache = self._name_cache
            if len(cache) > 500_000:
                cache.clear()
            probes, names = pb.probes, ix.names
            codes = []
            for k, ci in zip(r[rest].tolist(), cn[rest].tolist()):
                p = probes[k]
                key = (p.folded, ci)
                code = cache.get(key)
                if code is None:
                    code = cache[key] = _NAME_CODE[name_level(p, "", names[ci])]
                codes.append(code)
            lv[rest] = codes
        table = np.where(marks, 0, 1)
        w = self.name_tab[table, lv]
        tfl = (lv >= 1) & (lv <= 3)
        w = np.where(tfl, w + self._tf(ix.name_count[cn0]), w)
        part = lv == 4
        if part.any():
            w = np.where(part, w + self._tf(ix.ends_count[np.maximum(ix.name_ends[cn0], 0)]), w)
        levels[0] = lv
        weights[0] = np.where(present, w, 0.0)

        # Date of birth -------------------------------------------------------------------
        py, cy = pb.year[r], ix.year[c]
        pd, cd = pb.dob[r].astype(np.int64), ix.dob[c].astype(np.int64)
        present = (py > 0) & (cy > 0)
        full = present & (pd > 0) & (cd > 0)
        yonly = present & ~full
        lv = np.zeros(n, np.int8)
        same_year = pd // 10000 == cd // 10000
        pm, pdd, cm, cdd = pd // 100 % 100, pd % 100, cd // 100 % 100, cd % 100
        lv[full] = 5
        lv[full & same_year] = 4
        from .index import one_edit_apart_keys

        close = (np.abs(pb.dord[r].astype(np.int64) - ix.dord[c]) <= CLOSE_DAYS) & (pb.dord[r] > 0) & (ix.dord[c] > 0)
        close |= (pm == cm) & (pdd == cdd) & (np.abs(pd // 10000 - cd // 10000) == 1)
        cand = full & ~close
        if cand.any():
            # One digit typed wrong or two adjacent digits swapped (8-digit dates).
            k = np.flatnonzero(cand)
            oe = one_edit_apart_keys(pd[k] + 100_000_000, cd[k] + 100_000_000)
            close[k[oe]] = True
        lv[full & close] = 3
        lv[full & same_year & (pm == cdd) & (pdd == cm)] = 2
        lv[full & (pd == cd)] = 1
        lv[yonly] = np.where(py[yonly] == cy[yonly], 6, 7)
        ycount = ix.year_count[cy]
        w = np.zeros(n)
        dl = lm["dob"]
        w = np.where(lv == 1, dl["exact"] + self._tf(ix.dob_count[c]), w)
        w = np.where(lv == 2, dl["swap"] + self.log_n - np.log2(np.maximum(ycount / 365.0, 1)), w)
        w = np.where(lv == 3, dl["close"] + self.log_n - np.log2(np.maximum(ycount * (2 * CLOSE_DAYS + 8) / 365.0, 1)), w)
        w = np.where(lv == 4, dl["year"] + self._tf(ycount), w)
        w = np.where(lv == 5, dl["disagree"], w)
        w = np.where(lv == 6, lm["dob_year"]["year"] + self._tf(ycount), w)
        w = np.where(lv == 7, lm["dob_year"]["disagree"], w)
        levels[1] = lv
        weights[1] = w

        # Sex ---------------------------------------------------------------------------
        ps, cs = pb.sex[r], ix.sex[c]
        lv = np.where((ps > 0) & (cs > 0), np.where(ps == cs, 1, 2), 0).astype(np.int8)
        levels[2] = lv
        weights[2] = self.sex_w[lv]

        # Identity number ---------------------------------------------------------------
        pcccd = pb.cccd[r]
        use_cccd = pcccd > 0
        mine = np.where(use_cccd, pcccd, pb.cmnd[r])
        theirs = np.where(use_cccd, ix.cccd[c], ix.cmnd[c])
        present = (mine > 0) & (theirs > 0)
        lv = np.where(present, 3, 0).astype(np.int8)
        diff = present & (mine != theirs)
        if diff.any():
            k = np.flatnonzero(diff)
            lv[k[one_edit_apart_keys(mine[k], theirs[k])]] = 2
        lv[present & (mine == theirs)] = 1
        levels[3] = lv
        weights[3] = self.id_w[lv]

        # Phone -------------------------------------------------------------------------
        pp, cp = pb.phone[r], ix.phone[c]
        present = (pp > 0) & (cp > 0)
        lv = np.where(present, 3, 0).astype(np.int8)
        diff = present & (pp != cp)
        if diff.any():
            k = np.flatnonzero(diff)
            lv[k[one_edit_apart_keys(pp[k], cp[k])]] = 2
        lv[present & (pp == cp)] = 1
        ph = lm["phone"]
        w = np.where(lv == 1, ph["exact"] + self._tf(ix.phone_count[c]), 0.0)
        w = np.where(lv == 2, ph["typo"] + self.log_n - log2(max(self.params.phone_typo_neighbours, 1e-3)), w)
        w = np.where(lv == 3, ph["disagree"], w)
        levels[4] = lv
        weights[4] = w

        # Ward / province ---------------------------------------------------------------
        pw, cw = pb.ward[r], ix.ward[c]
        pp, cp = pb.province[r], ix.province[c]
        both_ward = (pw > 0) & (cw > 0)
        both_prov = (pp > 0) & (cp > 0)
        lv = np.zeros(n, np.int8)
        lv[both_ward] = 3
        lv[both_ward & both_prov & (pp == cp)] = 2
        lv[both_ward & (pw == cw)] = 1
        prov_only = ~both_ward & both_prov
        lv[prov_only] = np.where(pp[prov_only] == cp[prov_only], 2, 3)
        wd = lm["ward"]
        m = self.params.m["ward"]
        w = np.zeros(n)
        w = np.where(lv == 1, wd["ward"] + self._tf(ix.ward_count[cw]), w)
        pcount = self._tf(ix.province_count[cp])
        w = np.where((lv == 2) & both_ward, wd["province"] + pcount, w)
        w = np.where((lv == 2) & prov_only, log2(m["ward"] + m["province"]) + pcount, w)
        w = np.where(lv == 3, wd["disagree"], w)
        levels[5] = lv
        weights[5] = w

        total = self.prior + weights.sum(axis=0)
        return total, levels, weights


def pair_reasons(probe, levels, weights) -> list[tuple[str, str, float]]:
    """``(field, level, weight)`` reasons of one pair from its level and weight columns.
    ``probe``: the record's :class:`Probe`, or just whether its ID number is a CCCD."""
    out = []
    lv = [int(x) for x in levels]
    w = [float(x) for x in weights]
    if lv[0]:
        out.append(("name", NAME_LEVELS[lv[0]], w[0]))
    if lv[1]:
        out.append(("date_of_birth" if lv[1] <= 5 else "birth_year", DOB_LEVELS[lv[1]], w[1]))
    if lv[2]:
        out.append(("sex", SEX_LEVELS[lv[2]], w[2]))
    if lv[3]:
        uses_cccd = probe if isinstance(probe, bool) else bool(probe.cccd)
        out.append(("cccd" if uses_cccd else "cmnd", ID_LEVELS[lv[3]], w[3]))
    if lv[4]:
        out.append(("phone", PHONE_LEVELS[lv[4]], w[4]))
    if lv[5]:
        out.append(("ward", WARD_LEVELS[lv[5]], w[5]))
    return out
