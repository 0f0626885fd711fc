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
    accent_key,
    digits_only,
    fold_name,
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
    accent = accent_key(full_name)
    folded = fold_name(full_name)
    tokens = tuple(folded.split())
    dob, year = birth_to_ints(date_of_birth)
    ident = normalize_id(id_number)
    return Probe(
        accent=accent,
        folded=folded,
        tokens=tokens,
        sorted_folded=" ".join(sorted(tokens)),
        has_marks=accent != folded,
        dob=dob,
        year=year,
        sex=SEX_CODES.get((sex or "").strip(), SEX_UNKNOWN),
        cccd=ident.cccd,
        cmnd=ident.cmnd,
        phone=normalize_phone(phone),
        ward=_int_or_zero(ward_code),
        province=_int_or_zero(province_code),
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


class Scorer:
    """Scores a probe against citizens held in a :class:`CitizenIndex`.

    ``index`` supplies compact per-citizen columns and frequency counts; the scorer knows
    nothing about where they came from.
    """

    def __init__(self, index, params: ModelParams | None = None):
        self.index = index
        self.params = params or ModelParams()
        self.n = max(index.size, 1)
        self.log_n = log2(self.n)
        m = self.params.m
        self.lm = {f: {lvl: log2(max(p, 1e-9)) for lvl, p in levels.items()} for f, levels in m.items()}
        p = self.params
        # Levels whose u does not depend on the value.
        self.w_fixed = {
            ("name", "typo"): self.lm["name"]["typo"] - log2(p.u_name_typo),
            ("name", "fuzzy"): self.lm["name"]["fuzzy"] - log2(p.u_name_fuzzy),
            ("name_plain", "typo"): self.lm["name_plain"]["typo"] - log2(p.u_name_typo),
            ("name_plain", "fuzzy"): self.lm["name_plain"]["fuzzy"] - log2(p.u_name_fuzzy),
            ("sex", "agree"): self.lm["sex"]["agree"] - log2(0.5),
            ("sex", "disagree"): self.lm["sex"]["disagree"] - log2(0.5),
            ("id", "exact"): self.lm["id"]["exact"] + self.log_n,
            ("id", "typo"): self.lm["id"]["typo"] + self.log_n - log2(max(p.id_typo_neighbours, 1e-3)),
            ("phone", "typo"): self.lm["phone"]["typo"] + self.log_n - log2(max(p.phone_typo_neighbours, 1e-3)),
        }
        for f in ("name", "name_plain", "dob", "dob_year", "id", "phone", "ward"):
            # "disagree" levels: u is close to 1.
            self.w_fixed[(f, "disagree")] = self.lm[f]["disagree"]
        self.prior = log2(p.match_rate / (1 - p.match_rate)) - self.log_n

    # -- per-field --------------------------------------------------------------------

    def _tf_weight(self, lm: float, count: int) -> float:
        """log2(m / u) with u = count / N (term frequency in the citizen table)."""
        return lm + self.log_n - log2(max(count, 1))

    def score(self, probe: Probe, i: int, with_reasons: bool = True):
        """Total log2 posterior odds that citizen ``i`` is the record's person, and reasons."""
        ix = self.index
        total = self.prior
        reasons = [] if with_reasons else None
        wf = self.w_fixed

        # Name -------------------------------------------------------------------------
        if probe.folded:
            folded = ix.folded[i]
            if folded:
                table = "name" if probe.has_marks else "name_plain"
                level = name_level(probe, ix.accent[i], folded)
                if level in ("exact", "folded", "reordered"):
                    w = self._tf_weight(self.lm[table][level], ix.name_count(folded))
                elif level == "partial":
                    w = self._tf_weight(self.lm[table][level], ix.ends_count(folded))
                else:
                    w = wf[(table, level)]
                total += w
                if with_reasons:
                    reasons.append(("name", level, w))

        # Date of birth ------------------------------------------------------------------
        if probe.year:
            cdob, cyear = ix.dob[i], ix.year[i]
            if cyear:
                if probe.dob and cdob:
                    level = dob_level(probe.dob, cdob)
                    lm = self.lm["dob"][level]
                    if level == "exact":
                        w = self._tf_weight(lm, ix.dob_count(cdob))
                    elif level == "swap":
                        # u ~ chance of hitting one given date
                        w = lm + self.log_n - log2(max(ix.year_count(cyear) / 365.0, 1))
                    elif level == "close":
                        w = lm + self.log_n - log2(max(ix.year_count(cyear) * (2 * CLOSE_DAYS + 8) / 365.0, 1))
                    elif level == "year":
                        w = self._tf_weight(lm, ix.year_count(cyear))
                    else:
                        w = wf[("dob", "disagree")]
                    field_name = "date_of_birth"
                else:
                    if probe.year == cyear:
                        level, w = "year", self._tf_weight(self.lm["dob_year"]["year"], ix.year_count(cyear))
                    else:
                        level, w = "disagree", wf[("dob_year", "disagree")]
                    field_name = "birth_year"
                total += w
                if with_reasons:
                    reasons.append((field_name, level, w))

        # Sex ---------------------------------------------------------------------------
        if probe.sex:
            csex = ix.sex[i]
            if csex:
                level = "agree" if csex == probe.sex else "disagree"
                w = wf[("sex", level)]
                total += w
                if with_reasons:
                    reasons.append(("sex", level, w))

        # Identity number ---------------------------------------------------------------
        mine, theirs, kind = "", "", ""
        if probe.cccd:
            mine, theirs, kind = probe.cccd, ix.cccd[i], "cccd"
        elif probe.cmnd:
            mine, theirs, kind = probe.cmnd, ix.cmnd[i], "cmnd"
        if mine and theirs:
            if mine == theirs:
                level = "exact"
            elif one_edit_apart(mine, theirs):
                level = "typo"
            else:
                level = "disagree"
            w = wf[("id", level)]
            total += w
            if with_reasons:
                reasons.append((kind, level, w))

        # Phone -------------------------------------------------------------------------
        if probe.phone:
            cphone = ix.phone[i]
            if cphone:
                if cphone == probe.phone:
                    level, w = "exact", self._tf_weight(self.lm["phone"]["exact"], ix.phone_count(cphone))
                elif one_edit_apart(probe.phone, cphone):
                    level, w = "typo", wf[("phone", "typo")]
                else:
                    level, w = "disagree", wf[("phone", "disagree")]
                total += w
                if with_reasons:
                    reasons.append(("phone", level, w))

        # Ward / province ---------------------------------------------------------------
        if probe.ward or probe.province:
            cward, cprov = ix.ward[i], ix.province[i]
            level = ""
            if probe.ward and cward:
                if probe.ward == cward:
                    level, w = "ward", self._tf_weight(self.lm["ward"]["ward"], ix.ward_count(cward))
                elif probe.province and cprov and probe.province == cprov:
                    level, w = "province", self._tf_weight(self.lm["ward"]["province"], ix.province_count(cprov))
                else:
                    level, w = "disagree", wf[("ward", "disagree")]
            elif probe.province and cprov:
                if probe.province == cprov:
                    # Only the province is known: agreement is weaker than a ward agreement.
                    lm = log2(self.params.m["ward"]["ward"] + self.params.m["ward"]["province"])
                    level, w = "province", self._tf_weight(lm, ix.province_count(cprov))
                else:
                    level, w = "disagree", wf[("ward", "disagree")]
            if level:
                total += w
                if with_reasons:
                    reasons.append(("ward", level, w))

        return total, reasons
