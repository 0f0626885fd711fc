"""All fields at once: :class:`BatchScorer` adds up the field scorers' weights and the prior
into each pair's log2 posterior odds, and :func:`pair_reasons` turns a pair's level codes
back into the reasons a reviewer reads."""

from __future__ import annotations

import numpy as np

from .birth import DOB_LEVELS, BirthScorer
from .identity import ID_LEVELS, IdScorer
from .name import NAME_LEVELS, NameScorer
from .params import ModelParams, log2, log_m
from .phone import PHONE_LEVELS, PhoneScorer
from .sex import SEX_LEVELS, SexScorer
from .ward import WARD_LEVELS, WardScorer

# One scorer per field, in the order of the rows of the level and weight arrays.
FIELD_SCORERS = (NameScorer, BirthScorer, SexScorer, IdScorer, PhoneScorer, WardScorer)
FIELDS = tuple(s.field for s in FIELD_SCORERS)


class BatchScorer:
    """Fellegi–Sunter scores of many (record, citizen) pairs at once.

    ``score(batch, r, c)`` takes pair arrays (``r`` positions in the
    :class:`~verification.linkage.probes.ProbeBatch`, ``c`` positions in the index) and
    returns ``(total, levels, weights)``: the log2 posterior odds per pair, and per field
    (rows in :data:`FIELDS` order) the level codes and the weights that make up the total.
    The string comparisons that cannot be done on integer ids (partial, typo and fuzzy
    names) run in Python on the few pairs that need them, through a cache.
    """

    def __init__(self, index, params: ModelParams | None = None):
        self.index = index
        self.params = p = params or ModelParams()
        self.n = max(index.registry_size, 1)
        self.log_n = log2(self.n)
        self.lm = log_m(p)
        self.fields = tuple(scorer(index, p, self.lm, self.log_n) for scorer in FIELD_SCORERS)
        self.prior = log2(p.match_rate / (1 - p.match_rate)) - self.log_n

    def score(self, pb, r, c):
        r = np.asarray(r, dtype=np.int64)
        c = np.asarray(c, dtype=np.int64)
        n = len(r)
        levels = np.zeros((len(FIELDS), n), np.int8)
        weights = np.zeros((len(FIELDS), n))
        if not n:
            return np.zeros(0), levels, weights
        for f, field in enumerate(self.fields):
            levels[f], weights[f] = field.score(pb, r, c)
        total = self.prior + weights.sum(axis=0)
        return total, levels, weights


def pair_reasons(probe, levels, weights) -> list[tuple[str, str, float]]:
    """``(field, level, weight)`` reasons of one pair from its level and weight columns.
    ``probe``: the record's :class:`~verification.linkage.probes.Probe`, or just whether its
    ID number is a CCCD."""
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


# What a field is called when it is missing on either side (no level, no weight).
_MISSING_LABELS = ("name", "date_of_birth", "sex", "id_number", "phone", "ward")


def explain_pair(uses_cccd: bool, levels, weights, prior: float) -> str:
    """One pair's score in words for ``match_records --explain``: each field's level and
    log2 contribution (agreeing fields add, disagreeing ones subtract), the fields missing on
    either side (no evidence), and the prior; e.g. ``name folded +9.12; date_of_birth exact
    +14.20; ward disagree -2.74; missing: id_number, phone; prior -16.83``."""
    parts = [f"{f} {lvl} {w:+.2f}" for f, lvl, w in pair_reasons(uses_cccd, levels, weights)]
    missing = [label for label, lv in zip(_MISSING_LABELS, levels) if not int(lv)]
    if missing:
        parts.append("missing: " + ", ".join(missing))
    parts.append(f"prior {prior:+.2f}")
    return "; ".join(parts)


def reason_dicts(reasons) -> list[dict]:
    """``[{"field": "name", "level": "fuzzy", "weight": 4.1}, ...]`` for the review page."""
    return [{"field": f, "level": lvl, "weight": round(w, 2)} for f, lvl, w in reasons]
