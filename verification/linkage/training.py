"""Re-estimate the m-probabilities from the batch being matched (no labels needed).

Leave-one-field-out anchors: a pair whose evidence is overwhelming *without* field F (say
exact CCCD, name and birth date when F is the phone) is taken as a true match, and the
level F shows on it is a draw from F's m-distribution. Because F itself did not select
the pair, its typos, swaps and blanks are counted fairly. The counts are blended with
the priors (pseudo-counts), so a small or odd batch cannot push a level to zero. Two
rounds are enough: the second uses the weights learnt in the first.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping, Sequence

from .engine import Engine, LinkageConfig
from .index import CitizenIndex
from .scoring import ModelParams, make_probe

# Evidence required from the other fields (log2 posterior odds) before a pair counts.
ANCHOR_SCORE = 14.0
ANCHOR_MARGIN = 10.0
PRIOR_PSEUDO_COUNT = 50.0
MAX_SAMPLE = 5_000
M_FLOOR = 0.002

_TABLE = {"date_of_birth": "dob", "birth_year": "dob_year", "cccd": "id", "cmnd": "id",
          "sex": "sex", "phone": "phone", "ward": "ward"}


def estimate_m(index: CitizenIndex, records: Sequence[Mapping], params: ModelParams, *, rounds: int = 2) -> ModelParams:
    step = max(1, len(records) // MAX_SAMPLE)
    sample = records[::step]
    prior = params.m
    current = params
    for _ in range(rounds):
        engine = Engine(index, LinkageConfig(params=current))
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for record in sample:
            probe = make_probe(**record)
            scored: dict[int, float] = {}
            reasons: dict[int, list] = {}
            engine._score_all(probe, engine._exact_candidates(probe), scored, reasons)
            if not scored:
                continue
            ranked = sorted(scored.items(), key=lambda kv: kv[1], reverse=True)
            top_i, top = ranked[0]
            second = ranked[1][1] if len(ranked) > 1 else -1e9
            if top - second < ANCHOR_MARGIN:
                continue
            for field_name, level, weight in reasons[top_i]:
                if top - weight < ANCHOR_SCORE:
                    continue
                if field_name == "name":
                    table = "name" if probe.has_marks else "name_plain"
                else:
                    table = _TABLE[field_name]
                counts[table][level] += 1
        m = copy.deepcopy(prior)
        for table, levels in m.items():
            observed = counts.get(table, {})
            total = sum(observed.values())
            for level, p in levels.items():
                estimate = (observed.get(level, 0.0) + PRIOR_PSEUDO_COUNT * p) / (total + PRIOR_PSEUDO_COUNT)
                # A level never seen in this batch may still happen in the next one.
                levels[level] = max(estimate, M_FLOOR)
        current = current.with_m(m)
    return current


def fit_m(index: CitizenIndex, records: Sequence[Mapping], config: LinkageConfig | None = None) -> LinkageConfig:
    """``config`` with m-probabilities estimated on ``records`` (thresholds unchanged)."""
    config = config or LinkageConfig()
    params = estimate_m(index, records, config.params or index.params)
    return LinkageConfig(
        link_threshold=config.link_threshold,
        review_threshold=config.review_threshold,
        min_margin=config.min_margin,
        max_candidates=config.max_candidates,
        params=params,
    )
