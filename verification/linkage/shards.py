"""One decision from several indexes: the registry split into shards (a province's citizens
each), every record matched in the shards that may hold its person, the evidence merged.

A citizen lives in exactly one shard, so the pairs scored for a record in different shards
never overlap, and what the decision needs from each shard is small
(:class:`ShardEvidence`, from :meth:`Engine.evidence_probes
<verification.linkage.engine.Engine.evidence_probes>`): its best ``max_candidates + 1``
citizens with their scores and field levels, its best score, the odds mass of everyone it
scored (the link rule's posterior is ``1 / (2^-top + sum of the shards' mass, rescaled to
the best top)``) and, where its list was cut inside a run of equal scores, how many share
it. :func:`merge` applies the engine's rule to that union: linked when the best candidate's
posterior over every shard reaches ``link_probability`` with the margin and score floors,
else review (the best ``max_candidates`` of all shards, ties counted over all of them), else
none.

Scores are the same in every shard only if each shard scores as the whole registry would:
its index calibrated with the national counts (``CitizenIndex.calibrate``) and one set of
model parameters for the whole job (``LinkageConfig.params``). Which shards a record goes to
(its province, the provinces its exact identifiers and its exact name lead to, and every
shard for records no routed shard settles) is the caller's: ``verification.imports.shards``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .engine import Engine, tie_tolerance
from .probes import Probe
from .results import LINKED, NONE, REVIEW, Candidate, LinkageConfig, MatchResult


@dataclass
class ShardEvidence:
    """What one shard found for some records of a file, as columns. ``records[j]``: the
    record's position in the file; its listed citizens are ``citizens[bounds[j]:bounds[j+1]]``
    (the shard's index ids, best first) with ``scores`` and ``levels`` / ``weights`` (6 rows,
    one column per citizen); ``top[j]`` its best score (-inf: nobody scored), ``mass[j]`` the
    sum of 2^(s - top) over everyone it scored, ``ties[j]`` > 0 when its list was cut inside a
    run of equal scores: how many share the last listed score."""

    records: np.ndarray
    top: np.ndarray
    mass: np.ndarray
    bounds: np.ndarray
    citizens: list
    scores: np.ndarray
    levels: np.ndarray
    weights: np.ndarray
    ties: np.ndarray

    def only(self, keep: np.ndarray) -> ShardEvidence:
        """The evidence of the records whose ``keep[position in the file]`` is true."""
        mine = np.asarray(keep)[self.records]
        sizes = np.diff(self.bounds)
        rows = np.repeat(mine, sizes)
        bounds = np.r_[0, np.cumsum(sizes[mine])].astype(np.int64)
        at = np.flatnonzero(rows)
        return ShardEvidence(self.records[mine], self.top[mine], self.mass[mine], bounds,
                             [self.citizens[k] for k in at.tolist()], self.scores[at], self.levels[:, at],
                             self.weights[:, at], self.ties[mine])


def shard_evidence(engine: Engine, probes: Sequence[Probe], records: Sequence[int], *,
                   through: str) -> ShardEvidence:
    """The evidence of ``engine``'s index (one shard) for ``probes``, the file's records at
    positions ``records``, from the passes up to ``through`` ("exact", "broad" or "scan", see
    :meth:`Engine.evidence_probes <verification.linkage.engine.Engine.evidence_probes>`)."""
    sel = engine.evidence_probes(list(probes), through=through)
    ids = engine.index.ids
    top = np.where(np.isnan(sel.top), -math.inf, sel.top)
    return ShardEvidence(np.asarray(records, np.int64), top, sel.mass, sel.bounds,
                         [ids[c] for c in sel.positions.tolist()], sel.scores, sel.levels, sel.weights,
                         sel.ties)


@dataclass
class _Rows:
    """Every listed (record, citizen) of all the shards, each record's best first."""

    rec: np.ndarray
    score: np.ndarray
    part: np.ndarray  # which evidence (shard) the row came from
    at: np.ndarray  # position inside that evidence's columns
    starts: np.ndarray  # per record: its first row (len(rec) when it has none)
    count: np.ndarray  # per record: how many rows


def _rows(n: int, evidence: list[ShardEvidence]) -> _Rows:
    recs, scores, parts, ats, ranks = [], [], [], [], []
    for k, ev in enumerate(evidence):
        sizes = np.diff(ev.bounds)
        recs.append(np.repeat(ev.records, sizes))
        scores.append(np.asarray(ev.scores, float))
        parts.append(np.full(len(ev.scores), k, np.int64))
        ats.append(np.arange(len(ev.scores), dtype=np.int64))
        ranks.append(np.arange(len(ev.scores)) - np.repeat(ev.bounds[:-1], sizes))
    rec, score, part, at, rank = (np.concatenate(x) if x else np.zeros(0, np.int64)
                                  for x in (recs, scores, parts, ats, ranks))
    # Best first; equal scores keep each shard's own order (its tie-break), then shard order.
    order = np.lexsort((part, rank, -score, rec))
    rec, score, part, at = rec[order], score[order], part[order], at[order]
    starts = np.searchsorted(rec, np.arange(n), "left")
    count = np.searchsorted(rec, np.arange(n), "right") - starts
    return _Rows(rec, score, part, at, starts, count)


def _totals(n: int, evidence: list[ShardEvidence]) -> tuple[np.ndarray, np.ndarray]:
    """(best score over every shard, the posterior of that best candidate) per record."""
    top = np.full(n, -math.inf)
    for ev in evidence:
        np.maximum.at(top, ev.records, ev.top)
    mass = np.zeros(n)
    for ev in evidence:
        seen = np.isfinite(ev.top)
        np.add.at(mass, ev.records[seen], ev.mass[seen] * np.exp2(ev.top[seen] - top[ev.records[seen]]))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        posterior = np.where(np.isfinite(top), 1.0 / (np.exp2(-top) + mass), np.nan)
    return top, posterior


def settled(n: int, evidence: list[ShardEvidence], config: LinkageConfig) -> np.ndarray:
    """Which records the exact keys of every shard settle, by the engine's test before its
    broad pass (best score, margin, and the posterior against the runner-up and nobody)."""
    rows = _rows(n, [ev for ev in evidence if len(ev.records)])
    top = np.full(n, -math.inf)
    second = np.full(n, -math.inf)
    has = rows.count > 0
    top[has] = rows.score[rows.starts[has]]
    two = rows.count > 1
    second[two] = rows.score[rows.starts[two] + 1]
    with np.errstate(invalid="ignore", over="ignore"):
        sure = 1.0 / (np.exp2(-top) + 1.0 + np.exp2(second - top)) >= config.link_probability
        return (top >= config.link_threshold) & (top - second >= config.min_margin) & sure


def posteriors(n: int, evidence: list[ShardEvidence]) -> tuple[np.ndarray, np.ndarray]:
    """(best score, posterior of the best candidate) of every record over every shard (NaN
    where nobody was scored), as ``Selection.top`` and ``Selection.posterior`` of one index."""
    top, posterior = _totals(n, [ev for ev in evidence if len(ev.records)])
    return np.where(np.isfinite(top), top, np.nan), posterior


def best_scores(n: int, evidence: list[ShardEvidence]) -> np.ndarray:
    """The best score of every record over every shard (-inf: nobody scored)."""
    return _totals(n, [ev for ev in evidence if len(ev.records)])[0]


def _tie_count(rows: _Rows, b: int, cut: float, evidence: list[ShardEvidence], tolerance: float) -> int:
    """How many citizens of every shard share the score ``cut`` of record ``b``'s last slot: a
    shard whose own list was cut inside that run says how many it holds; the others listed
    all of theirs (at most ``max_candidates`` - 1 citizens of all shards score higher)."""
    lo, hi = int(rows.starts[b]), int(rows.starts[b] + rows.count[b])
    total = 0
    for k in sorted(set(rows.part[lo:hi].tolist())):
        ev = evidence[k]
        j = int(np.flatnonzero(ev.records == b)[0])
        last = ev.bounds[j + 1] - 1
        if ev.ties[j] and abs(ev.scores[last] - cut) < tolerance:
            total += int(ev.ties[j])
        else:
            total += int(np.sum(np.abs(ev.scores[ev.bounds[j]:ev.bounds[j + 1]] - cut) < tolerance))
    return total


def merge(probes: Sequence[Probe], evidence: Iterable[ShardEvidence],
          config: LinkageConfig) -> list[MatchResult]:
    """The decision of every record of the file (``probes``, in file order) from what the
    shards found for it, by the engine's rule (see the module docstring)."""
    evidence = [ev for ev in evidence if len(ev.records)]
    n = len(probes)
    rows = _rows(n, evidence)
    top, posterior = _totals(n, evidence)
    k_max, review = config.max_candidates, config.review_threshold
    tolerance = tie_tolerance(config)
    out = []
    for b in range(n):
        t = float(top[b])
        lo, cnt = int(rows.starts[b]), int(rows.count[b])
        if cnt == 0:
            out.append(MatchResult(NONE, None, None))
            continue
        scores = rows.score[lo:lo + cnt]
        second = float(scores[1]) if cnt > 1 else -math.inf
        if (t >= config.link_threshold and t - second >= config.min_margin
                and posterior[b] >= config.link_probability):
            best = _candidate(rows, lo, probes[b], evidence)
            out.append(MatchResult(LINKED, best.citizen_id, t, [best]))
            continue
        if t < review:
            out.append(MatchResult(NONE, None, t))
            continue
        slots = [j for j in range(min(k_max, cnt)) if scores[j] >= review]
        ties = 0
        if cnt > k_max and len(slots) == k_max and abs(scores[k_max - 1] - scores[k_max]) < tolerance:
            ties = _tie_count(rows, b, float(scores[k_max - 1]), evidence, tolerance)
        listed = [_candidate(rows, lo + j, probes[b], evidence) for j in slots]
        out.append(MatchResult(REVIEW, None, t, listed, ties=ties))
    return out


def _candidate(rows: _Rows, row: int, probe: Probe, evidence: list[ShardEvidence]) -> Candidate:
    ev, at = evidence[int(rows.part[row])], int(rows.at[row])
    return Candidate(ev.citizens[at], float(ev.scores[at]),
                     compact=(bool(probe.cccd), ev.levels[:, at].tolist(), ev.weights[:, at].tolist()))
