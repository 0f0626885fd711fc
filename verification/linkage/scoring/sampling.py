"""u for the levels that have no term frequency (name typo and fuzzy, ID and phone typos),
sampled from the citizen table itself."""

from __future__ import annotations

import random

import numpy as np
from rapidfuzz import fuzz, process

from ..keys import edit_variant_keys
from ..probes import make_probe
from .name import FUZZY_LOW, name_level
from .params import ModelParams

# The share of the sampled citizens whose names are compared with every other sampled name.
QUERY_SHARE = 2


def estimate_u(index, params: ModelParams, *, sample: int = 2000, seed: int = 7) -> ModelParams:
    """``params`` with u for the levels that have no term frequency, from random citizen
    pairs of ``index`` (a finished :class:`~verification.linkage.index.CitizenIndex`).

    Random pairs of distinct citizens are non-matches, so the share that lands in a level
    is that level's u. Deterministic (fixed seed) so runs are reproducible.
    """
    n = index.size
    if n < 50:
        return params
    rng = random.Random(seed)
    picks = [rng.randrange(n) for _ in range(min(sample, n))]
    names = index.names
    name = index.name
    others = []
    for _ in range(min(sample, n)):
        k = int(name[rng.randrange(n)])
        others.append(names[k] if k >= 0 else "")
    # Half the sample as query names: the typo level's u hangs on a few hundred pairs, most of
    # them from the commonest names, so 250 queries (an eighth) gave 2.4e-4 to 4.0e-4 on one
    # registry of 1,000,000 by seed (0.7 bit on every typo pair); 1,000 give 3.0e-4 to 3.3e-4.
    name_picks = picks[: sample // QUERY_SHARE]
    queries = [names[int(name[i])] for i in name_picks if name[i] >= 0]
    typo, fuzzy, total = _name_levels(queries, others)
    # Half a pair of pseudo-count keeps tiny samples from claiming u = 0.
    u_typo = (typo + 0.5) / max(total, 1)
    u_fuzzy = (fuzzy + 0.5) / max(total, 1)
    id_neigh = _typo_neighbours(index.by_cccd, index.cccd[picks])
    phone_neigh = _typo_neighbours(index.by_phone, index.phone[picks])
    return ModelParams(
        m=params.m,
        u_name_typo=u_typo,
        u_name_fuzzy=u_fuzzy,
        id_typo_neighbours=max(id_neigh, 0.05),
        phone_typo_neighbours=max(phone_neigh, 0.05),
        match_rate=params.match_rate,
    )


def _name_levels(queries: list[str], others: list[str]) -> tuple[int, int, int]:
    """(typo pairs, fuzzy pairs, all pairs) of every query name against every other name."""
    typo = fuzzy = 0
    if not queries:
        return 0, 0, 0
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
    return typo, fuzzy, len(queries) * len(others)


def _typo_neighbours(block, values: np.ndarray) -> float:
    """Mean number of other citizens whose value is one typo away."""
    values = values[values > 0]
    if not len(values):
        return 0.0
    variants, _owner = edit_variant_keys(values)
    lo, hi = block.ranges(variants)
    return float((hi - lo).sum()) / len(values)
