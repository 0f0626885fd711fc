"""The model's parameters (m and the u that term frequencies do not give) and what every
field scorer shares: the per-field log2 m table and the term-frequency weight."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

log2 = math.log2


def default_m() -> dict[str, dict[str, float]]:
    """Prior m-probabilities, conditional on the value being present on both sides."""
    return {
        # Record name written with diacritics.
        "name": {
            "exact": 0.84, "folded": 0.04, "reordered": 0.02, "partial": 0.03,
            "typo": 0.04, "fuzzy": 0.02, "merged": 0.005, "disagree": 0.005,
        },
        # Record name written without any diacritic: "exact" cannot happen.
        "name_plain": {
            "folded": 0.86, "reordered": 0.02, "partial": 0.04,
            "typo": 0.05, "fuzzy": 0.02, "merged": 0.005, "disagree": 0.005,
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


def log_m(params: ModelParams) -> dict[str, dict[str, float]]:
    """log2 of every m-probability (floored at 1e-9), per table and level."""
    return {f: {lvl: log2(max(v, 1e-9)) for lvl, v in levels.items()} for f, levels in params.m.items()}


class FieldScorer:
    """One field's comparison of many (record, citizen) pairs: ``score(batch, r, c)`` gives
    the level code (0 = a value missing on either side: no evidence) and the log2 weight of
    each pair (``r`` positions in the batch, ``c`` positions in the index)."""

    def __init__(self, index, params: ModelParams, lm: dict[str, dict[str, float]], log_n: float):
        self.index = index
        self.params = params
        self.lm = lm
        self.log_n = log_n

    def tf(self, count):
        """The u part of a level that term frequencies weigh: log2(N / how many share it)."""
        return self.log_n - np.log2(np.maximum(count, 1))

    def score(self, pb, r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError
