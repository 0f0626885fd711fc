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
_DOB_BLOCK_CUTOFF = 60.0
_GIVEN_BLOCK_CUTOFF = 70.0
_WARD_BLOCK_CUTOFF = 65.0
_SCAN_CUTOFF = 70.0
# Birth date one slip off (year one off, day and month swapped) and a name not in the
# registry: about one typo in the name.
_SLIP_CUTOFF = 85.0
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
        def setting(name: str, default: float) -> float:
            # An unset environment variable arrives as None: the engine's default applies.
            value = getattr(settings, name, None)
            return default if value is None else float(value)

        return cls(
            link_threshold=setting("LINKAGE_LINK_THRESHOLD", LINK_THRESHOLD),
            review_threshold=setting("LINKAGE_REVIEW_THRESHOLD", REVIEW_THRESHOLD),
            min_margin=setting("LINKAGE_MIN_MARGIN", MIN_MARGIN),
        )


class Candidate:
    """A citizen proposed for a record, with its score and per-field reasons.

    ``reasons`` (``(field, level, weight)`` tuples) is built on first use from a compact
    form, so a batch of 200,000 results stays cheap to make and to send between processes.
    """

    __slots__ = ("citizen_id", "score", "_reasons", "_compact")

    def __init__(self, citizen_id, score: float, reasons: list | None = None, *, compact=None):
        self.citizen_id = citizen_id
        self.score = score
        self._reasons = reasons
        self._compact = compact  # (uses CCCD, 6 level codes, 6 weights) when reasons is None

    @property
    def reasons(self) -> list:
        if self._reasons is None:
            if self._compact is None:
                self._reasons = []
            else:
                cccd, levels, weights = self._compact
                self._reasons = pair_reasons(cccd, levels, weights)
        return self._reasons

    @reasons.setter
    def reasons(self, value: list) -> None:
        self._reasons = value

    @property
    def probability(self) -> float:
        return 1.0 / (1.0 + 2.0 ** -self.score) if self.score > -60 else 0.0

    def reason_dicts(self) -> list[dict]:
        """``[{"field": "name", "level": "fuzzy", "weight": 4.1}, ...]`` for the review page."""
        return reason_dicts(self.reasons)

    def __reduce__(self):
        return (_candidate, (self.citizen_id, self.score, self._reasons, self._compact))

    def __eq__(self, other) -> bool:
        return (isinstance(other, Candidate) and self.citizen_id == other.citizen_id
                and self.score == other.score and self.reasons == other.reasons)

    def __repr__(self) -> str:
        return f"Candidate(citizen_id={self.citizen_id!r}, score={self.score:.2f})"


def _candidate(citizen_id, score, reasons, compact):
    return Candidate(citizen_id, score, reasons, compact=compact)


@dataclass
class MatchResult:
    decision: str
    citizen_id: object = None
    score: float | None = None
    candidates: list[Candidate] = field(default_factory=list)

    def __reduce__(self):
        return (MatchResult, (self.decision, self.citizen_id, self.score, self.candidates))


# Exact-key blocks bigger than this are junk values shared by many (a facility's phone).
_ID_BLOCK_CAP = 50
_NAME_BLOCK_CAP = 2000
_SCAN_LIMIT = 20
_TIE = 1e-9
# Names pre-filter for the broad blocks: the better of the token-sorted Indel ratio (a
# family name typed after the given name still scores high) and the plain Indel ratio
# (a typo in a token's first letter -- "guyen", "Tần", "uHỳnh" -- moves that token
# elsewhere in the sorted order, so the token-sorted ratio alone drops a near-identical
# name), 0..100. Same two orders the scorer's "fuzzy" level compares.
_BROAD_SCORER = fuzz.token_sort_ratio
_ORDERED_SCORER = fuzz.ratio
_SCAN_KNOWN_TOKENS = False
_IDENTITY = ("full_name", "date_of_birth", "sex", "id_number", "phone", "province_code", "ward_code")
_EMPTY = np.empty(0, np.int64)


class Engine:
    def __init__(self, index: CitizenIndex, config: LinkageConfig | None = None):
        self.index = index
        self.config = config or LinkageConfig()
        self.scorer = BatchScorer(index, self.config.params or index.params)
        self._neighbours: dict[str, np.ndarray] = {}
        self._name_objects: np.ndarray | None = None

    # -- public API -------------------------------------------------------------------------

    def match(self, record: Mapping) -> MatchResult:
        """Match one record (a mapping with the reports.csv identity columns)."""
        return self.match_probes([make_probe(**record)])[0]

    def match_probe(self, probe: Probe) -> MatchResult:
        return self.match_probes([probe])[0]

    def match_many(
        self, records: Iterable[Mapping], *, workers: int = 1, chunk_size: int = 5000
    ) -> Iterator[MatchResult]:
        """Results in input order, matched in batches of ``chunk_size``.

        ``workers > 1`` uses that many processes in all: this one plus ``workers - 1``
        forked children that share the index copy-on-write (POSIX only). Chunks are dealt
        round-robin; only the identity columns of the records and compact results cross
        the process boundary.
        """
        if workers <= 1 or "fork" not in mp.get_all_start_methods():
            for chunk in _chunks(records, chunk_size):
                yield from self.match_probes([make_probe(**r) for r in chunk])
            return
        records = records if isinstance(records, list) else list(records)
        if len(records) <= chunk_size:
            chunk_size = max(1, -(-len(records) // workers))
        chunks = list(_chunks(records, chunk_size))
        mine = chunks[::workers]
        theirs = [c for k, c in enumerate(chunks) if k % workers]
        global _WORKER_ENGINE
        _WORKER_ENGINE = self
        ctx = mp.get_context("fork")
        with ctx.Pool(workers - 1) as pool:
            remote = pool.imap(_match_chunk, ([tuple(r.get(k) for k in _IDENTITY) for r in c] for c in theirs))
            for k in range(len(chunks)):
                if k % workers == 0:
                    yield from self.match_probes([make_probe(**r) for r in mine[k // workers]])
                else:
                    yield from next(remote)

    # -- batch pipeline ---------------------------------------------------------------------

    def match_probes(self, probes: list[Probe]) -> list[MatchResult]:
        """Blocking in tiers, each tier for the records the previous ones did not settle:
        exact keys; typo variants and fuzzy-filtered broad blocks; a last-resort scan."""
        pb = ProbeBatch(self.index, probes)
        return self._select(pb).results(pb, self.index)

    def select_probes(self, probes: list[Probe]) -> Selection:
        """As :meth:`match_probes`, the decisions as columns (no per-record objects)."""
        return self._select(ProbeBatch(self.index, probes))

    def _select(self, pb: ProbeBatch) -> Selection:
        cfg = self.config
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
        return pairs.select(pb, cfg, self.index)

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
        # Name typos: blocks that do not use the name, filtered by name similarity (all
        # records of the batch at once).
        named = idx[pb.has_name[idx]]
        dob, yr, ward = pb.dob[named].astype(np.int64), pb.year[named].astype(np.int64), pb.ward[named]
        ys = yr - YEAR_BASE
        m = dob > 0
        r, c = expand(ix.by_dob, named[m], dob[m], _NAME_BLOCK_CAP)
        rs.append(r)
        cs.append(c)
        r, c = self._filter(pb, *_cat(rs[-1:], cs[-1:]), _DOB_BLOCK_CUTOFF, ordered=True)
        rs[-1], cs[-1] = r, c
        g_r, g_c = [], []
        for toks in (pb.first[named].astype(np.int64), pb.last[named].astype(np.int64)):
            m = (yr > 0) & (toks >= 0)
            r, c = expand(ix.by_given_year, named[m], toks[m] * YEAR_SLOTS + ys[m], _NAME_BLOCK_CAP)
            g_r.append(r)
            g_c.append(c)
        r, c = self._filter(pb, *_cat(g_r, g_c), _GIVEN_BLOCK_CUTOFF)
        rs.append(r)
        cs.append(c)
        m = (yr > 0) & (ward > 0)
        w_r = [expand(ix.by_ward_year, named[m], ward[m] * YEAR_SLOTS + ys[m], _NAME_BLOCK_CAP)]
        m = (yr == 0) & (ward > 0)
        w_r.append(expand(ix.by_ward, named[m], ward[m], _NAME_BLOCK_CAP))
        r, c = self._filter(pb, *_cat([x[0] for x in w_r], [x[1] for x in w_r]), _WARD_BLOCK_CUTOFF,
                            ordered=True)
        rs.append(r)
        cs.append(c)
        return _cat(rs, cs)

    def _scan_pairs(self, pb: ProbeBatch, idx: np.ndarray):
        """Last resort for records nothing plausible was found for: everyone in the ward;
        people born on the record's date with the year one off or day and month swapped
        (a name typo *and* a date slip escape every earlier block); people born that year
        whose given name is one edit from one of the record's end tokens (best names
        first); without a year, same family and given name."""
        ix = self.index
        rs, cs = [], []
        ward = pb.ward[idx]
        m = ward > 0
        r, c = self._best(pb, *expand(ix.by_ward, idx[m], ward[m], _NAME_BLOCK_CAP * 5), _BROAD_SCORER,
                          _WARD_BLOCK_CUTOFF)
        rs.append(r)
        cs.append(c)
        # A date slip together with a name typo: a name the registry holds exactly was
        # already searched in every birth year, so only names it does not hold; the date
        # disagrees, so the name must be one slip away too.
        typo = idx[pb.nid[idx] < 0]
        rec, keys = dob_slips(typo, pb.dob[typo])
        if len(rec):
            r, c = self._filter(pb, *expand(ix.by_dob, rec, keys, _NAME_BLOCK_CAP), _SLIP_CUTOFF)
            rs.append(r)
            cs.append(c)
        # Given names one edit away, same birth year.
        recs, keys = [], []
        for b in idx.tolist():
            p = pb.probes[b]
            if not p.year:
                continue
            known = {int(pb.first[b]), int(pb.last[b])}  # already searched in the broad tier
            ys = p.year - YEAR_BASE
            for tok in {p.tokens[0], p.tokens[-1]}:
                if _SCAN_KNOWN_TOKENS or tok not in ix.tok_ids:
                    for t in self._neighbour_tokens(tok).tolist():
                        if t not in known:
                            recs.append(b)
                            keys.append(t * YEAR_SLOTS + ys)
        if recs:
            r, c = expand(ix.by_given_year, np.array(recs, np.int64), np.array(keys, np.int64), _NAME_BLOCK_CAP)
            r, c = self._best(pb, r, c, fuzz.ratio, _SCAN_CUTOFF)
            rs.append(r)
            cs.append(c)
        # No birth year: same family and given name.
        m = (pb.year[idx] == 0) & (pb.eid[idx] >= 0) & (np.array([len(pb.probes[b].tokens) for b in idx.tolist()]) >= 2
                                                        if len(idx) else np.zeros(0, bool))
        if m.any():
            r, c = expand(ix.by_ends, idx[m], pb.eid[idx[m]].astype(np.int64), _NAME_BLOCK_CAP * 5)
            r, c = self._best(pb, r, c, fuzz.token_sort_ratio, 0)
            rs.append(r)
            cs.append(c)
        return _cat(rs, cs)

    def _similarity(self, pb: ProbeBatch, r: np.ndarray, c: np.ndarray, scorer, cutoff: float, *,
                    ordered: bool = False) -> np.ndarray:
        """Name similarity (0..100, 0 below ``cutoff``) of each pair, each distinct (record,
        name) pair computed once, all in one RapidFuzz call. ``ordered`` (with the broad
        token-sorted scorer): pairs below ``cutoff`` get a second chance with the plain
        ratio, for blocks whose key (birth date, ward) is strong evidence on its own."""
        if not len(r):
            return np.zeros(0, np.float32)
        ix = self.index
        nid = ix.name[c].astype(np.int64)
        m = max(len(ix.names), 1)
        key = r * m + np.maximum(nid, 0)
        uniq, inv = np.unique(key, return_inverse=True)
        queries = _objects(pb, "_folded_objects", pb.folded_list)[uniq // m]
        choices = _objects(self, "_name_objects", lambda: ix.names)[uniq % m]
        sims = process.cpdist(queries, choices, scorer=scorer, score_cutoff=cutoff or None, dtype=np.float32)
        if ordered and scorer is _BROAD_SCORER:
            low = np.flatnonzero(sims < max(cutoff, 1e-6))
            if len(low):
                ordered = process.cpdist(queries[low], choices[low], scorer=_ORDERED_SCORER,
                                         score_cutoff=cutoff or None, dtype=np.float32)
                sims[low] = np.maximum(sims[low], ordered)
        out = sims[inv]
        out[nid < 0] = 0
        return out

    def _filter(self, pb: ProbeBatch, r: np.ndarray, c: np.ndarray, cutoff: float, scorer=None, *,
                ordered: bool = False):
        """The pairs whose names are at least ``cutoff`` similar."""
        if not len(r):
            return r, c
        sims = self._similarity(pb, r, c, scorer or _BROAD_SCORER, cutoff, ordered=ordered)
        keep = sims >= max(cutoff, 1e-6)
        return r[keep], c[keep]

    def _best(self, pb: ProbeBatch, r: np.ndarray, c: np.ndarray, scorer, cutoff: float, *, ordered: bool = False):
        """Per record, up to ``_SCAN_LIMIT`` pairs (sex not contradicting) with the most
        similar names, at least ``cutoff``."""
        if not len(r):
            return r, c
        ps, cs_ = pb.sex[r], self.index.sex[c]
        ok = (ps == 0) | (cs_ == 0) | (ps == cs_)
        r, c = r[ok], c[ok]
        sims = self._similarity(pb, r, c, scorer, cutoff, ordered=ordered)
        ok = (sims >= cutoff) & (sims > 0)
        r, c, sims = r[ok], c[ok], sims[ok]
        if not len(r):
            return r, c
        order = np.lexsort((c, -sims, r))
        r, c = r[order], c[order]
        starts = np.r_[0, np.flatnonzero(r[1:] != r[:-1]) + 1]
        rank = np.arange(len(r)) - np.repeat(starts, np.diff(np.r_[starts, len(r)]))
        keep = rank < _SCAN_LIMIT
        return r[keep], c[keep]

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
        r_all = np.concatenate(self.r) if self.r else _EMPTY
        s_all = np.concatenate(self.s) if self.s else np.zeros(0)
        return r_all, s_all, np.lexsort((-s_all, r_all))

    def top2(self, n: int):
        top = np.full(n, -math.inf)
        second = np.full(n, -math.inf)
        r_all, s_all, order = self._sorted()
        if not len(r_all):
            return top, second
        r_sorted, s_sorted = r_all[order], s_all[order]
        starts = np.flatnonzero(np.r_[True, r_sorted[1:] != r_sorted[:-1]])
        top[r_sorted[starts]] = s_sorted[starts]
        nxt = starts + 1
        nxt = nxt[nxt < len(r_sorted)]
        nxt = nxt[r_sorted[nxt] == r_sorted[nxt - 1]]
        second[r_sorted[nxt]] = s_sorted[nxt]
        return top, second

    @staticmethod
    def _break_tie(b, lo, hi, sel, scores, c_all, pb, ix, review):
        """The review list is cut inside a run of equal scores: order that run by evidence
        the score does not weigh, so the slots go to the likeliest of equals rather than to
        the lowest positions: a birth year nearer the record's (a year typed wrong), then
        the closer name spelling (Indel similarity of the accented, then folded, names)."""
        tied_score = scores[lo + len(sel) - 1]
        run = [j for j in range(lo, hi) if abs(scores[j] - tied_score) < _TIE]
        keep = [j for j in sel if abs(scores[j] - tied_score) >= _TIE]
        p = pb.probes[b]
        cits = c_all[run].tolist()

        def key(item):
            j, c = item
            cy = int(ix.year[c])
            year_gap = abs(cy - p.year) if p.year and cy else 999
            return (year_gap, -fuzz.ratio(p.accent, ix.accented(c)), -fuzz.ratio(p.folded, ix.folded(c)), c)

        ranked = [j for j, _c in sorted(zip(run, cits), key=key)]
        return keep + ranked[: max(0, len(sel) - len(keep))]

    def select(self, pb: ProbeBatch, cfg: LinkageConfig, ix: CitizenIndex) -> Selection:
        """The decision of every record and the pairs it reports, vectorised; only records
        whose review list is cut inside a run of equal scores go through Python."""
        n = len(pb)
        r_all, s_all, order = self._sorted()
        dec = np.zeros(n, np.int8)
        top = np.full(n, np.nan)
        if not len(r_all):
            return Selection(dec, top, np.zeros(n + 1, np.int64), _EMPTY, np.zeros(0), np.zeros((6, 0), np.int8),
                             np.zeros((6, 0)))
        r_sorted, s_sorted = r_all[order], s_all[order]
        records = np.arange(n)
        lo = np.searchsorted(r_sorted, records, "left")
        hi = np.searchsorted(r_sorted, records, "right")
        cnt = hi - lo
        has = cnt > 0
        top[has] = s_sorted[lo[has]]
        second = np.full(n, -math.inf)
        two = cnt > 1
        second[two] = s_sorted[lo[two] + 1]
        link, margin, review, k_max = cfg.link_threshold, cfg.min_margin, cfg.review_threshold, cfg.max_candidates
        with np.errstate(invalid="ignore"):
            linked = has & (top >= link) & (top - second >= margin)
            reviewed = has & ~linked & (top >= review)
        dec[linked] = _LINKED
        dec[reviewed] = _REVIEW
        rank = np.arange(len(r_sorted)) - lo[r_sorted]
        d = dec[r_sorted]
        keep = ((d == _LINKED) & (rank == 0)) | ((d == _REVIEW) & (rank < k_max) & (s_sorted >= review))
        slot = rank.copy()
        # Review lists cut inside a tie: ordered by evidence the score does not weigh.
        cut = np.flatnonzero(reviewed & (cnt > k_max))
        if len(cut):
            gap = s_sorted[lo[cut] + k_max - 1] - s_sorted[lo[cut] + k_max]
            cut = cut[gap < _TIE]
        if len(cut):
            c_sorted = np.concatenate(self.c)[order]
            scores = s_sorted.tolist()
            for b in cut.tolist():
                b_lo, b_hi = int(lo[b]), int(hi[b])
                sel = [j for j in range(b_lo, b_lo + k_max) if scores[j] >= review]
                if not sel:
                    continue
                ranked = self._break_tie(b, b_lo, b_hi, sel, scores, c_sorted, pb, ix, review)
                keep[b_lo:b_hi] = False
                keep[ranked] = True
                slot[ranked] = np.arange(len(ranked))
        picked = np.flatnonzero(keep)
        picked = picked[np.lexsort((slot[picked], r_sorted[picked]))]
        at = order[picked]
        bounds = np.searchsorted(r_sorted[picked], np.arange(n + 1), "left")
        c_all = np.concatenate(self.c)
        lvs = np.concatenate(self.lv, axis=1)[:, at]
        ws = np.concatenate(self.w, axis=1)[:, at]
        return Selection(dec, top, bounds, c_all[at].astype(np.int64), s_all[at], lvs, ws)

    def decide(self, pb: ProbeBatch, cfg: LinkageConfig, ix: CitizenIndex) -> list[MatchResult]:
        sel = self.select(pb, cfg, ix)
        return sel.results(pb, ix)


# Decision codes of a Selection.
_NONE, _LINKED, _REVIEW = 0, 1, 2
DECISIONS = (NONE, LINKED, REVIEW)


@dataclass
class Selection:
    """Decisions of a batch as columns. ``decision[b]`` indexes :data:`DECISIONS`;
    ``top[b]`` is the best score (NaN when nobody was scored); the reported candidates of
    record ``b`` are ``positions[bounds[b]:bounds[b + 1]]`` (index positions, best first)
    with their ``scores`` and per-field ``levels`` / ``weights`` (one column each)."""

    decision: np.ndarray
    top: np.ndarray
    bounds: np.ndarray
    positions: np.ndarray
    scores: np.ndarray
    levels: np.ndarray
    weights: np.ndarray

    def results(self, pb: ProbeBatch, ix: CitizenIndex) -> list[MatchResult]:
        ids, probes = ix.ids, pb.probes
        cit = self.positions.tolist()
        scores = self.scores.tolist()
        lvs = self.levels.T.tolist()
        ws = self.weights.T.tolist()
        bounds = self.bounds.tolist()
        tops = self.top.tolist()
        out = []
        for b, code in enumerate(self.decision.tolist()):
            top = tops[b]
            if code == _NONE:
                out.append(MatchResult(NONE, None, None if top != top else top))
                continue
            cccd = bool(probes[b].cccd)
            cands = [Candidate(ids[cit[k]], scores[k], compact=(cccd, lvs[k], ws[k]))
                     for k in range(bounds[b], bounds[b + 1])]
            if code == _LINKED:
                out.append(MatchResult(LINKED, cands[0].citizen_id, top, cands))
            else:
                out.append(MatchResult(REVIEW, None, top, cands))
        return out


def _objects(owner, attr: str, strings) -> np.ndarray:
    """``strings()`` as a numpy object array, made once per owner (fancy indexing it is
    several times faster than a list comprehension)."""
    got = getattr(owner, attr, None)
    if got is None:
        values = strings()
        got = np.empty(len(values), dtype=object)
        got[:] = values
        setattr(owner, attr, got)
    return got


def dob_slips(rec: np.ndarray, dob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(record, yyyymmdd) for the common slips of a full birth date: the year one off
    (same day and month) and day and month swapped. Impossible dates are left in: they
    match no citizen."""
    rec = np.asarray(rec, dtype=np.int64)
    dob = np.asarray(dob, dtype=np.int64)
    full = dob > 0
    rec, dob = rec[full], dob[full]
    y, md = dob // 10000, dob % 10000
    mo, d = md // 100, md % 100
    swap = (d <= 12) & (d != mo)
    recs = [rec, rec, rec[swap]]
    keys = [dob - 10000, dob + 10000, (y * 10000 + d * 100 + mo)[swap]]
    return np.concatenate(recs), np.concatenate(keys)


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


def _match_chunk(chunk):
    engine = _WORKER_ENGINE
    return engine.match_probes([make_probe(**dict(zip(_IDENTITY, t))) for t in chunk])


def default_workers() -> int:
    return min(2, os.cpu_count() or 1)
