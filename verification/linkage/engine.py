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

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .index import YEAR_BASE, YEAR_SLOTS, CitizenIndex, edit_variant_keys, expand
from .scoring import BatchScorer, ModelParams, Probe, ProbeBatch, make_probe, pair_reasons, reason_dicts

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


# Exact-key blocks bigger than this are junk values shared by many (a facility's phone).
_ID_BLOCK_CAP = 50
_NAME_BLOCK_CAP = 2000
_SCAN_LIMIT = 20
_IDENTITY = ("full_name", "date_of_birth", "sex", "id_number", "phone", "province_code", "ward_code")
_EMPTY = np.empty(0, np.int64)


class Engine:
    def __init__(self, index: CitizenIndex, config: LinkageConfig | None = None):
        self.index = index
        self.config = config or LinkageConfig()
        self.scorer = BatchScorer(index, self.config.params or index.params)
        self._neighbours: dict[str, np.ndarray] = {}

    # -- public API -------------------------------------------------------------------------

    def match(self, record: Mapping) -> MatchResult:
        """Match one record (a mapping with the reports.csv identity columns)."""
        return self.match_probes([make_probe(**record)])[0]

    def match_probe(self, probe: Probe) -> MatchResult:
        return self.match_probes([probe])[0]

    def match_many(
        self, records: Iterable[Mapping], *, workers: int = 1, chunk_size: int = 5000
    ) -> Iterator[MatchResult]:
        """Results in input order, matched in batches of ``chunk_size``. ``workers > 1``
        forks processes that share the index copy-on-write (POSIX only); only the identity
        columns of the records cross the process boundary."""
        if workers <= 1 or "fork" not in mp.get_all_start_methods():
            for chunk in _chunks(records, chunk_size):
                yield from self.match_probes([make_probe(**r) for r in chunk])
            return
        global _WORKER_ENGINE
        _WORKER_ENGINE = self
        ctx = mp.get_context("fork")
        with ctx.Pool(workers) as pool:
            for chunk in pool.imap(_match_chunk, _identity_chunks(records, chunk_size)):
                yield from chunk

    # -- batch pipeline ---------------------------------------------------------------------

    def match_probes(self, probes: list[Probe]) -> list[MatchResult]:
        """Blocking in tiers, each tier for the records the previous ones did not settle:
        exact keys; typo variants and fuzzy-filtered broad blocks; a last-resort scan."""
        cfg = self.config
        pb = ProbeBatch(self.index, probes)
        n = len(pb)
        pairs = _Pairs(self.index.size)
        everyone = np.arange(n, dtype=np.int64)
        pairs.add(self.scorer, pb, *self._exact_pairs(pb, everyone))
        top, second = pairs.top2(n)
        with np.errstate(invalid="ignore"):
            settled = (top >= cfg.link_threshold) & (top - second >= cfg.min_margin)
        unsettled = np.flatnonzero(~settled)
        if len(unsettled):
            pairs.add(self.scorer, pb, *self._broad_pairs(pb, unsettled))
            top, _ = pairs.top2(n)
            scan = unsettled[(top[unsettled] < _SCAN_BELOW) & pb.has_name[unsettled]]
            if len(scan):
                pairs.add(self.scorer, pb, *self._scan_pairs(pb, scan))
        return pairs.decide(pb, cfg, self.index)

    def scored_exact(self, probes: list[Probe]):
        """(batch, r, c, total, levels, weights) for the exact-key tier (m estimation)."""
        pb = ProbeBatch(self.index, probes)
        r, c = self._exact_pairs(pb, np.arange(len(pb), dtype=np.int64))
        key, first = np.unique(r * max(self.index.size, 1) + c, return_index=True)
        r, c = r[first], c[first]
        return (pb, r, c, *self.scorer.score(pb, r, c))

    def _exact_pairs(self, pb: ProbeBatch, idx: np.ndarray):
        ix = self.index
        rs, cs = [], []
        for keys, block in ((pb.cccd, ix.by_cccd), (pb.cmnd, ix.by_cmnd), (pb.phone, ix.by_phone)):
            k = keys[idx]
            m = k > 0
            if m.any():
                r, c = expand(block, idx[m], k[m], _ID_BLOCK_CAP)
                rs.append(r)
                cs.append(c)
        nid, yr = pb.nid[idx].astype(np.int64), pb.year[idx].astype(np.int64)
        m = (nid >= 0) & (yr > 0)
        if m.any():
            r, c = expand(ix.by_name_year, idx[m], nid[m] * YEAR_SLOTS + (yr[m] - YEAR_BASE), _NAME_BLOCK_CAP)
            rs.append(r)
            cs.append(c)
        m = (nid >= 0) & (yr == 0)
        if m.any():
            # No birth year: the same name; a common name narrowed by ward and sex.
            sub, keys = idx[m], nid[m]
            lo, hi = ix.by_name.ranges(keys)
            small = (hi - lo) <= _SMALL_NAME_BLOCK
            r, c = expand(ix.by_name, sub[small], keys[small])
            rs.append(r)
            cs.append(c)
            big = ~small
            if big.any():
                r, c = expand(ix.by_name, sub[big], keys[big], _NAME_BLOCK_CAP * 10)
                pw, ps = pb.ward[r], pb.sex[r]
                ok = ((pw == 0) | (ix.ward[c] == pw)) & ((ps == 0) | (ix.sex[c] == ps))
                rs.append(r[ok])
                cs.append(c[ok])
        return _cat(rs, cs)

    def _broad_pairs(self, pb: ProbeBatch, idx: np.ndarray):
        ix = self.index
        rs, cs = [], []
        # One digit wrong or two swapped in the ID numbers and the phone.
        for keys, block in ((pb.cccd, ix.by_cccd), (pb.cmnd, ix.by_cmnd), (pb.phone, ix.by_phone)):
            k = keys[idx]
            m = k > 0
            if m.any():
                variants, owner = edit_variant_keys(k[m])
                r, c = expand(block, idx[m][owner], variants, _ID_BLOCK_CAP)
                rs.append(r)
                cs.append(c)
        # Same name, any birth year (a wrong year) when the name is not common; else the
        # birth year typed one off.
        nid, yr = pb.nid[idx].astype(np.int64), pb.year[idx].astype(np.int64)
        has = nid >= 0
        lo, hi = ix.by_name.ranges(nid)
        small = has & ((hi - lo) <= _SMALL_NAME_BLOCK)
        r, c = expand(ix.by_name, idx[small], nid[small])
        rs.append(r)
        cs.append(c)
        big = has & ~small & (yr > 0)
        for delta in (-1, 1):
            r, c = expand(ix.by_name_year, idx[big], nid[big] * YEAR_SLOTS + (yr[big] + delta - YEAR_BASE),
                          _NAME_BLOCK_CAP)
            rs.append(r)
            cs.append(c)
        # Name typos: blocks that do not use the name, filtered by name similarity.
        probes = pb.probes
        first, last = pb.first, pb.last
        for b in idx.tolist():
            p = probes[b]
            if not p.folded:
                continue
            found = []
            if p.dob:
                found.append(self._fuzzy(ix.by_dob.get(p.dob), p.folded, _DOB_BLOCK_CUTOFF))
            if p.year:
                ys = p.year - YEAR_BASE
                for tok in {int(first[b]), int(last[b])}:
                    if tok >= 0:
                        found.append(self._fuzzy(ix.by_given_year.get(tok * YEAR_SLOTS + ys), p.folded,
                                                 _GIVEN_BLOCK_CUTOFF))
                if p.ward:
                    found.append(self._fuzzy(ix.by_ward_year.get(p.ward * YEAR_SLOTS + ys), p.folded,
                                             _WARD_BLOCK_CUTOFF))
            elif p.ward:
                found.append(self._fuzzy(ix.by_ward.get(p.ward), p.folded, _WARD_BLOCK_CUTOFF))
            found = [f for f in found if len(f)]
            if found:
                c = np.concatenate(found)
                rs.append(np.full(len(c), b, np.int64))
                cs.append(c)
        return _cat(rs, cs)

    def _scan_pairs(self, pb: ProbeBatch, idx: np.ndarray):
        """Last resort for records nothing plausible was found for: everyone in the ward;
        people born that year whose given name is one edit from one of the record's end
        tokens (best names first); without a year, same family and given name."""
        ix = self.index
        rs, cs = [], []
        for b in idx.tolist():
            p = pb.probes[b]
            found = []
            if p.ward:
                found.append(self._fuzzy(ix.by_ward.get(p.ward), p.folded, _WARD_BLOCK_CUTOFF))
            if p.year:
                ys = p.year - YEAR_BASE
                blocks = [ix.by_given_year.get(t * YEAR_SLOTS + ys)
                          for tok in {p.tokens[0], p.tokens[-1]} for t in self._neighbour_tokens(tok)]
                pos = np.concatenate(blocks) if blocks else _EMPTY
                found.append(self._best(pos, p, fuzz.ratio, _SCAN_CUTOFF))
            elif len(p.tokens) >= 2:
                eid = int(pb.eid[b])
                if eid >= 0:
                    found.append(self._best(ix.by_ends.get(eid), p, fuzz.token_sort_ratio, 0))
            found = [f for f in found if len(f)]
            if found:
                c = np.concatenate(found)
                rs.append(np.full(len(c), b, np.int64))
                cs.append(c)
        return _cat(rs, cs)

    def _fuzzy(self, pos: np.ndarray, query: str, cutoff: float, scorer=fuzz.WRatio) -> np.ndarray:
        """The citizens at ``pos`` whose folded name is at least ``cutoff`` similar."""
        if not len(pos):
            return pos
        ix = self.index
        nids = ix.name[pos]
        uniq, inv = np.unique(nids, return_inverse=True)
        names = ix.names
        strings = [names[k] if k >= 0 else "" for k in uniq.tolist()]
        sims = process.cdist([query], strings, scorer=scorer, score_cutoff=cutoff, dtype=np.float32)[0]
        keep = (sims >= cutoff) & (uniq >= 0)
        return pos[keep[inv]]

    def _best(self, pos: np.ndarray, p: Probe, scorer, cutoff: float) -> np.ndarray:
        """Up to ``_SCAN_LIMIT`` citizens at ``pos`` (sex not contradicting) with the most
        similar names, at least ``cutoff``."""
        if not len(pos):
            return pos
        ix = self.index
        if p.sex:
            s = ix.sex[pos]
            pos = pos[(s == 0) | (s == p.sex)]
            if not len(pos):
                return pos
        nids = ix.name[pos]
        uniq, inv = np.unique(nids, return_inverse=True)
        names = ix.names
        strings = [names[k] if k >= 0 else "" for k in uniq.tolist()]
        sims = process.cdist([p.folded], strings, scorer=scorer, score_cutoff=cutoff or None, dtype=np.float32)[0]
        per = sims[inv]
        ok = np.flatnonzero((per >= cutoff) & (per > 0))
        if len(ok) > _SCAN_LIMIT:
            ok = ok[np.argsort(-per[ok], kind="stable")[:_SCAN_LIMIT]]
        return pos[ok]

    def _neighbour_tokens(self, tok: str) -> np.ndarray:
        """Ids of the registry's name tokens at most one edit from ``tok``."""
        got = self._neighbours.get(tok)
        if got is None:
            ix = self.index
            hits = process.extract(tok, ix.tokens, scorer=OSA.distance, score_cutoff=1, limit=None)
            got = self._neighbours[tok] = np.array([k for _t, _d, k in hits], dtype=np.int64)
        return got


class _Pairs:
    """The (record, citizen) pairs scored so far in a batch, each pair once."""

    def __init__(self, n_citizens: int):
        self.n = max(n_citizens, 1)
        self.r: list = []
        self.c: list = []
        self.s: list = []
        self.lv: list = []
        self.w: list = []
        self.keys = _EMPTY

    def add(self, scorer: BatchScorer, pb: ProbeBatch, r: np.ndarray, c: np.ndarray) -> None:
        if not len(r):
            return
        key = r.astype(np.int64) * self.n + c
        key, first = np.unique(key, return_index=True)
        if len(self.keys):
            keep = ~np.isin(key, self.keys, assume_unique=True)
            key, first = key[keep], first[keep]
        if not len(key):
            return
        r, c = r[first], c[first]
        s, lv, w = scorer.score(pb, r, c)
        self.r.append(r)
        self.c.append(c)
        self.s.append(s)
        self.lv.append(lv)
        self.w.append(w)
        self.keys = np.concatenate([self.keys, key])

    def _sorted(self):
        R = np.concatenate(self.r) if self.r else _EMPTY
        S = np.concatenate(self.s) if self.s else np.zeros(0)
        return R, S, np.lexsort((-S, R))

    def top2(self, n: int):
        top = np.full(n, -math.inf)
        second = np.full(n, -math.inf)
        R, S, order = self._sorted()
        if not len(R):
            return top, second
        Rs, Ss = R[order], S[order]
        starts = np.flatnonzero(np.r_[True, Rs[1:] != Rs[:-1]])
        top[Rs[starts]] = Ss[starts]
        nxt = starts + 1
        nxt = nxt[nxt < len(Rs)]
        nxt = nxt[Rs[nxt] == Rs[nxt - 1]]
        second[Rs[nxt]] = Ss[nxt]
        return top, second

    def decide(self, pb: ProbeBatch, cfg: LinkageConfig, ix: CitizenIndex) -> list[MatchResult]:
        n = len(pb)
        R, S, order = self._sorted()
        if not len(R):
            return [MatchResult(NONE) for _ in range(n)]
        C = np.concatenate(self.c)[order]
        LV = np.concatenate(self.lv, axis=1)[:, order]
        W = np.concatenate(self.w, axis=1)[:, order]
        Rs, Ss = R[order], S[order]
        bounds = np.searchsorted(Rs, np.arange(n + 1)).tolist()
        scores = Ss.tolist()
        link, margin, review, k_max = cfg.link_threshold, cfg.min_margin, cfg.review_threshold, cfg.max_candidates
        plan = []  # (decision, top score, [pair positions])
        wanted = []
        for b in range(n):
            lo, hi = bounds[b], bounds[b + 1]
            if lo == hi:
                plan.append((NONE, None, ()))
                continue
            top = scores[lo]
            second = scores[lo + 1] if hi > lo + 1 else -math.inf
            if top >= link and top - second >= margin:
                plan.append((LINKED, top, (lo,)))
                wanted.append(lo)
            elif top < review:
                plan.append((NONE, top, ()))
            else:
                sel = [j for j in range(lo, min(hi, lo + k_max)) if scores[j] >= review]
                plan.append((REVIEW, top, sel))
                wanted.extend(sel)
        sel = np.array(wanted, dtype=np.int64)
        cit = C[sel].tolist()
        lvs = LV[:, sel].T.tolist()
        ws = W[:, sel].T.tolist()
        at = {j: k for k, j in enumerate(wanted)}
        ids, probes = ix.ids, pb.probes
        out = []
        for b, (decision, top, js) in enumerate(plan):
            if decision == NONE:
                out.append(MatchResult(NONE, None, top))
                continue
            cands = []
            for j in js:
                k = at[j]
                cands.append(Candidate(ids[cit[k]], scores[j], pair_reasons(probes[b], lvs[k], ws[k])))
            if decision == LINKED:
                out.append(MatchResult(LINKED, cands[0].citizen_id, top, cands))
            else:
                out.append(MatchResult(REVIEW, None, top, cands))
        return out


def _cat(rs: list, cs: list):
    rs = [r for r in rs if len(r)]
    cs = [c for c in cs if len(c)]
    if not rs:
        return _EMPTY, _EMPTY
    return np.concatenate(rs).astype(np.int64), np.concatenate(cs).astype(np.int64)


# -- multiprocessing helpers --------------------------------------------------------------

_WORKER_ENGINE: Engine | None = None


def _chunks(records: Iterable, size: int):
    chunk = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _identity_chunks(records: Iterable[Mapping], size: int):
    for chunk in _chunks(records, size):
        yield [tuple(r.get(k) for k in _IDENTITY) for r in chunk]


def _match_chunk(chunk):
    engine = _WORKER_ENGINE
    return engine.match_probes([make_probe(**dict(zip(_IDENTITY, t))) for t in chunk])


def default_workers() -> int:
    return min(2, os.cpu_count() or 1)
