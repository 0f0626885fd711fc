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
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from .engine import Engine, LinkageConfig
from .index import CitizenIndex
from .probes import Probe, make_probe
from .scoring import (
    DOB_LEVELS,
    FIELDS,
    ID_LEVELS,
    NAME_LEVELS,
    PHONE_LEVELS,
    SEX_LEVELS,
    WARD_LEVELS,
    ModelParams,
)

# Evidence required from the other fields (log2 posterior odds) before a pair counts.
ANCHOR_SCORE = 14.0
ANCHOR_MARGIN = 10.0
PRIOR_PSEUDO_COUNT = 50.0
MAX_SAMPLE = 5_000
M_FLOOR = 0.002
MATCH_RATE_LOW, MATCH_RATE_HIGH = 0.5, 0.99

_LEVELS = {"sex": SEX_LEVELS, "id": ID_LEVELS, "phone": PHONE_LEVELS, "ward": WARD_LEVELS}


def estimate_m(index: CitizenIndex, records: Sequence[Mapping | Probe], params: ModelParams, *,
               rounds: int = 2) -> ModelParams:
    """``records``: mappings with the reports.csv identity columns, or prepared probes."""
    step = max(1, len(records) // MAX_SAMPLE)
    probes = [r if isinstance(r, Probe) else make_probe(**r) for r in records[::step]]
    prior = params.m
    current = params
    for _ in range(rounds):
        engine = Engine(index, LinkageConfig(params=current))
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        pb, r, c, total, levels, weights = engine.scored_exact(probes)
        if len(r):
            # Best and runner-up per record.
            order = np.lexsort((-total, r))
            rs, ts = r[order], total[order]
            starts = np.flatnonzero(np.r_[True, rs[1:] != rs[:-1]])
            ends = np.r_[starts[1:], len(rs)]
            second = np.where(ends - starts > 1, ts[np.minimum(starts + 1, len(ts) - 1)], -1e9)
            top = ts[starts]
            anchors = order[starts[top - second >= ANCHOR_MARGIN]]
            lv = levels[:, anchors]
            w = weights[:, anchors]
            top_a = total[anchors]
            marks = pb.marks[r[anchors]]
            for f, field_name in enumerate(FIELDS):
                use = (lv[f] > 0) & (top_a - w[f] >= ANCHOR_SCORE)
                for code, plain in zip(lv[f][use].tolist(), (~marks[use]).tolist()):
                    if field_name == "name":
                        table, level = ("name_plain" if plain else "name"), NAME_LEVELS[code]
                    elif field_name == "dob":
                        table, level = ("dob" if code <= 5 else "dob_year"), DOB_LEVELS[code]
                    else:
                        table, level = field_name, _LEVELS[field_name][code]
                    counts[table][level] += 1
        m = copy.deepcopy(prior)
        for table, levels_ in m.items():
            observed = counts.get(table, {})
            n_obs = sum(observed.values())
            for level, p in levels_.items():
                estimate = (observed.get(level, 0.0) + PRIOR_PSEUDO_COUNT * p) / (n_obs + PRIOR_PSEUDO_COUNT)
                # A level never seen in this batch may still happen in the next one.
                levels_[level] = max(estimate, M_FLOOR)
        current = current.with_m(m)
    return current


def estimate_match_rate(index: CitizenIndex, records: Sequence[Mapping | Probe], params: ModelParams, *,
                        rounds: int = 20) -> ModelParams:
    """``params`` with ``match_rate`` (the share of incoming records whose person is in the
    registry: the prior odds, with 1/N, of every score) estimated on ``records`` by EM.

    One matching pass gives each record its odds mass ``S`` (sum of 2^score over the citizens
    scored, at the current rate). A new rate shifts every score of the record by the same
    constant, so the E-step (P(in the registry) = S'/(1 + S')) and M-step (the rate = its mean)
    iterate without matching again. Blended with the prior rate (PRIOR_PSEUDO_COUNT records'
    worth) and bounded to [MATCH_RATE_LOW, MATCH_RATE_HIGH]: a file of a few rows, or of
    strangers, must not make the engine believe every namesake is the person."""
    step = max(1, len(records) // MAX_SAMPLE)
    probes = [r if isinstance(r, Probe) else make_probe(**r) for r in records[::step]]
    if not probes:
        return params
    sel = Engine(index, LinkageConfig(params=params)).select_probes(probes)
    return match_rate_em(sel.top, sel.posterior, params, rounds=rounds)


def match_rate_em(top: np.ndarray, posterior: np.ndarray, params: ModelParams, *,
                  rounds: int = 20) -> ModelParams:
    """The EM of :func:`estimate_match_rate` from one matching pass's best scores and posteriors
    (NaN where nobody was scored), however the pass was run (one index, or shards merged)."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        mass = np.where(np.isnan(top), 0.0, np.exp2(top) / posterior - 1.0)
    mass = np.nan_to_num(np.maximum(mass, 0.0), posinf=1e300)
    base = _logit(params.match_rate)
    rate = params.match_rate
    prior = params.match_rate * PRIOR_PSEUDO_COUNT  # as for m: a small file cannot move it far
    for _ in range(rounds):
        shifted = mass * 2.0 ** (_logit(rate) - base)
        estimate = (float(np.sum(shifted / (1.0 + shifted))) + prior) / (len(mass) + PRIOR_PSEUDO_COUNT)
        rate = float(np.clip(estimate, MATCH_RATE_LOW, MATCH_RATE_HIGH))
    return replace(params, match_rate=rate)


def _logit(p: float) -> float:
    return math.log2(p / (1.0 - p))


def fit_m(index: CitizenIndex, records: Sequence[Mapping | Probe],
          config: LinkageConfig | None = None) -> LinkageConfig:
    """``config`` with m-probabilities and the match rate estimated on ``records``
    (thresholds unchanged)."""
    config = config or LinkageConfig()
    params = estimate_m(index, records, config.params or index.params)
    params = estimate_match_rate(index, records, params)
    return replace(config, params=params)
