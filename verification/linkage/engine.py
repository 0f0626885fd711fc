"""Blocking, scoring and the decision for incoming records.

``Engine(index, config).match(record)`` returns a :class:`MatchResult`:

* ``linked`` – one citizen, only when the evidence is unambiguous: its score (log2
  posterior odds, prior included) reaches ``link_threshold`` *and* beats the runner-up by
  ``min_margin``;
* ``review`` – up to ``max_candidates`` citizens scoring at least ``review_threshold``,
  best first, each with per-field reasons;
* ``none`` – nobody plausible.

Blocking is tiered so the common case stays cheap: exact keys first (CCCD, CMND, phone,
name + birth year); only when they do not settle the record, typo variants of the IDs
and phone, then same birth date / same given name and year / same ward and year filtered
by fuzzy name similarity, and as a last resort a fuzzy scan of everyone born that year.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from .index import CitizenIndex, edit_variants
from .scoring import ModelParams, Probe, Scorer, make_probe, reason_dicts

# Defaults exposed by the Django settings as LINKAGE_LINK_THRESHOLD,
# LINKAGE_REVIEW_THRESHOLD and LINKAGE_MIN_MARGIN. Scores are log2 posterior odds: 10 is
# about 1000:1 that this citizen is the person.
LINK_THRESHOLD = 12.0
REVIEW_THRESHOLD = -12.0
MIN_MARGIN = 8.0
MAX_CANDIDATES = 5

LINKED, REVIEW, NONE = "linked", "review", "none"

# Fuzzy pre-filters (RapidFuzz 0..100) for the broad blocks; below these a candidate's
# name is too far off to be worth scoring.
_DOB_BLOCK_CUTOFF = 55.0
_GIVEN_BLOCK_CUTOFF = 60.0
_WARD_BLOCK_CUTOFF = 60.0
_SCAN_CUTOFF = 70.0
_SMALL_NAME_BLOCK = 64
# The last-resort scan runs when the best candidate so far is less likely than not.
_SCAN_BELOW = 0.0


@dataclass(frozen=True)
class LinkageConfig:
    link_threshold: float = LINK_THRESHOLD
    review_threshold: float = REVIEW_THRESHOLD
    min_margin: float = MIN_MARGIN
    max_candidates: int = MAX_CANDIDATES
    # None: the index's parameters (priors with u sampled from the citizen table).
    params: ModelParams | None = None

    @classmethod
    def from_settings(cls, settings) -> LinkageConfig:
        return cls(
            link_threshold=getattr(settings, "LINKAGE_LINK_THRESHOLD", LINK_THRESHOLD),
            review_threshold=getattr(settings, "LINKAGE_REVIEW_THRESHOLD", REVIEW_THRESHOLD),
            min_margin=getattr(settings, "LINKAGE_MIN_MARGIN", MIN_MARGIN),
        )


@dataclass
class Candidate:
    citizen_id: object
    score: float
    reasons: list = field(default_factory=list)  # (field, level, weight) tuples

    @property
    def probability(self) -> float:
        return 1.0 / (1.0 + 2.0 ** -self.score) if self.score > -60 else 0.0

    def reason_dicts(self) -> list[dict]:
        """``[{"field": "name", "level": "fuzzy", "weight": 4.1}, ...]`` for the review page."""
        return reason_dicts(self.reasons)


@dataclass
class MatchResult:
    decision: str
    citizen_id: object = None
    score: float | None = None
    candidates: list[Candidate] = field(default_factory=list)


class Engine:
    def __init__(self, index: CitizenIndex, config: LinkageConfig | None = None):
        self.index = index
        self.config = config or LinkageConfig()
        self.scorer = Scorer(index, self.config.params or index.params)

    # -- public API -------------------------------------------------------------------------

    def match(self, record: Mapping) -> MatchResult:
        """Match one record (a mapping with the reports.csv identity columns)."""
        return self.match_probe(make_probe(**record))

    def match_many(
        self, records: Iterable[Mapping], *, workers: int = 1, chunk_size: int = 2000
    ) -> Iterator[MatchResult]:
        """Results in input order. ``workers > 1`` forks processes that share the index
        copy-on-write (POSIX only); records and results cross the process boundary."""
        if workers <= 1 or "fork" not in mp.get_all_start_methods():
            for record in records:
                yield self.match(record)
            return
        global _WORKER_ENGINE
        _WORKER_ENGINE = self
        ctx = mp.get_context("fork")
        with ctx.Pool(workers) as pool:
            for chunk in pool.imap(_match_chunk, _chunks(records, chunk_size)):
                yield from chunk

    # -- blocking + decision ----------------------------------------------------------------

    def match_probe(self, probe: Probe) -> MatchResult:
        ix = self.index
        scored: dict[int, float] = {}
        reasons: dict[int, list] = {}
        self._score_all(probe, self._exact_candidates(probe), scored, reasons)
        if not self._settled(scored):
            self._score_all(probe, self._broad_candidates(probe, scored), scored, reasons)
            if not scored or max(scored.values()) < _SCAN_BELOW:
                self._score_all(probe, self._scan_candidates(probe), scored, reasons)
        return self._decide(scored, reasons, ix)

    def _score_all(self, probe, candidates, scored, reasons) -> None:
        score = self.scorer.score
        for i in candidates:
            if i not in scored:
                s, r = score(probe, i)
                scored[i] = s
                reasons[i] = r

    def _settled(self, scored: dict[int, float]) -> bool:
        if not scored:
            return False
        best = sorted(scored.values(), reverse=True)[:2]
        second = best[1] if len(best) > 1 else -math.inf
        return best[0] >= self.config.link_threshold and best[0] - second >= self.config.min_margin

    def _exact_candidates(self, p: Probe) -> set[int]:
        ix = self.index
        out: set[int] = set()
        _collect(out, ix.by_cccd, p.cccd)
        _collect(out, ix.by_cmnd, p.cmnd)
        _collect(out, ix.by_phone, p.phone)
        if p.folded:
            if p.year:
                _collect(out, ix.by_name_year, hash(p.folded) + p.year)
            else:
                _collect_small(out, ix.by_name.get(p.folded), ix, p)
        return out

    def _broad_candidates(self, p: Probe, already) -> set[int]:
        ix = self.index
        out: set[int] = set()
        for value, index in ((p.cccd, ix.by_cccd), (p.cmnd, ix.by_cmnd), (p.phone, ix.by_phone)):
            if value:
                for variant in edit_variants(value):
                    _collect(out, index, variant)
        if p.folded:
            # Same name, any birth year (a wrong year), when the name is not common.
            v = ix.by_name.get(p.folded)
            if v is not None and (v.__class__ is int or len(v) <= _SMALL_NAME_BLOCK):
                _collect(out, ix.by_name, p.folded)
            elif p.year:
                # Birth year typed one off.
                h = hash(p.folded)
                _collect(out, ix.by_name_year, h + p.year - 1)
                _collect(out, ix.by_name_year, h + p.year + 1)
            # Name typos: blocks that do not use the name, filtered by name similarity.
            if p.dob:
                _fuzzy_collect(out, ix, ix.by_dob.get(p.dob), p, _DOB_BLOCK_CUTOFF)
            if p.year and p.tokens:
                for tok in {p.tokens[-1], p.tokens[0]}:
                    _fuzzy_collect(out, ix, ix.by_given_year.get(hash(tok) + p.year), p, _GIVEN_BLOCK_CUTOFF)
            if p.year and p.ward:
                _fuzzy_collect(out, ix, ix.by_ward_year.get(p.ward * 10000 + p.year), p, _WARD_BLOCK_CUTOFF)
            elif p.ward:
                _fuzzy_collect(out, ix, ix.by_ward.get(p.ward), p, _WARD_BLOCK_CUTOFF)
        return out

    def _scan_candidates(self, p: Probe) -> list[int]:
        if not p.folded:
            return []
        ix = self.index
        found: set[int] = set()
        if p.ward:
            # Everyone in the ward, whatever their birth date.
            _fuzzy_collect(found, ix, ix.by_ward.get(p.ward), p, _WARD_BLOCK_CUTOFF)
        if p.year:
            entry = ix.year_names.get(p.year)
            if entry is not None:
                positions, names = entry
                best = process.extract(p.folded, names, scorer=fuzz.ratio, score_cutoff=_SCAN_CUTOFF, limit=20)
                found.update(positions[k] for _name, _sim, k in best)
        elif len(p.tokens) >= 2:
            # No birth year to scan by: same family and given name (a middle name left
            # out or misspelt), narrowed by sex, best names first.
            v = ix.by_ends.get(hash(p.tokens[0] + " " + p.tokens[-1]))
            if v is not None:
                if v.__class__ is int:
                    v = [v]
                sex = ix.sex
                v = [i for i in v if not p.sex or sex[i] in (0, p.sex)]
                folded = ix.folded
                best = process.extract(p.folded, [folded[i] for i in v], scorer=fuzz.token_sort_ratio, limit=20)
                found.update(v[k] for _name, _sim, k in best)
        return list(found)

    def _decide(self, scored, reasons, ix) -> MatchResult:
        cfg = self.config
        if not scored:
            return MatchResult(NONE)
        ranked = sorted(scored.items(), key=lambda kv: kv[1], reverse=True)
        top_i, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else -math.inf
        if top >= cfg.link_threshold and top - second >= cfg.min_margin:
            return MatchResult(LINKED, ix.ids[top_i], top, [Candidate(ix.ids[top_i], top, reasons[top_i])])
        if top < cfg.review_threshold:
            return MatchResult(NONE, None, top)
        candidates = [
            Candidate(ix.ids[i], s, reasons[i])
            for i, s in ranked[: cfg.max_candidates]
            if s >= cfg.review_threshold
        ]
        return MatchResult(REVIEW, None, top, candidates)


def _collect(out: set, index: dict, key) -> None:
    if key == "" or key is None:
        return
    v = index.get(key)
    if v is None:
        return
    if v.__class__ is int:
        out.add(v)
    else:
        out.update(v)


def _collect_small(out: set, v, ix: CitizenIndex, p: Probe) -> None:
    """Same-name citizens for a record without a birth year; a common name is narrowed by
    sex and ward so the block stays small."""
    if v is None:
        return
    if v.__class__ is int:
        out.add(v)
        return
    if len(v) <= _SMALL_NAME_BLOCK:
        out.update(v)
        return
    sex, ward = ix.sex, ix.ward
    out.update(i for i in v if (not p.ward or ward[i] == p.ward) and (not p.sex or sex[i] == p.sex))


def _fuzzy_collect(out: set, ix: CitizenIndex, v, p: Probe, cutoff: float) -> None:
    if v is None:
        return
    if v.__class__ is int:
        v = (v,)
    folded = ix.folded
    names = [folded[i] for i in v]
    for _name, _sim, k in process.extract(
        p.folded, names, scorer=fuzz.WRatio, score_cutoff=cutoff, limit=None
    ):
        out.add(v[k])


# -- multiprocessing helpers --------------------------------------------------------------

_WORKER_ENGINE: Engine | None = None


def _chunks(records: Iterable[Mapping], size: int):
    chunk = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _match_chunk(chunk):
    engine = _WORKER_ENGINE
    return [engine.match(record) for record in chunk]


def default_workers() -> int:
    return min(2, os.cpu_count() or 1)
