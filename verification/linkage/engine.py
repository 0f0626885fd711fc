"""The decision for incoming records: blocking in tiers, scoring, and who is linked,
offered for review, or nobody.

``Engine(index, config).match(record)`` returns a :class:`MatchResult`:

* ``linked`` – one citizen, only when the evidence is unambiguous: its posterior
  probability against every citizen scored and "nobody" reaches ``link_probability``, its
  score (log2 posterior odds, prior 1/N included) reaches ``link_threshold`` *and* it beats
  the runner-up by ``min_margin``;
* ``review`` – up to ``max_candidates`` citizens scoring at least ``review_threshold``,
  best first, each with per-field reasons, and ``ties``: when the list is cut inside a run
  of equal scores, how many citizens share that score;
* ``none`` – nobody plausible.

Blocking is tiered so the common case stays cheap (:mod:`~verification.linkage.blocking`):
exact keys first; only for the records they do not settle, the broad pass; and for those
still without anyone likelier than not, the last-resort scan. Each pair is scored once
(:mod:`~verification.linkage.scoring`).
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import multiprocessing as mp
import multiprocessing.pool
import multiprocessing.process
import multiprocessing.util
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from .blocking import Blocker
from .index import CitizenIndex
from .probes import Probe, ProbeBatch, make_probe
from .results import (
    CODE_LINKED,
    CODE_NONE,
    CODE_REVIEW,
    DECISIONS,
    LINKED,
    NONE,
    REVIEW,
    Candidate,
    LinkageConfig,
    MatchResult,
)
from .scoring import BatchScorer

# DECISIONS: the codes of Selection.decision, for callers that read the columns.
__all__ = ["DECISIONS", "LINKED", "NONE", "REVIEW", "Candidate", "Engine", "LinkageConfig", "MatchResult",
           "Selection", "tie_tolerance"]

_TIE = 1e-9
_IDENTITY = ("full_name", "date_of_birth", "sex", "id_number", "phone", "province_code", "ward_code")
_EMPTY = np.empty(0, np.int64)


class Engine:
    """Matches records against one index with one configuration (thresholds and model)."""

    def __init__(self, index: CitizenIndex, config: LinkageConfig | None = None):
        self.index = index
        self.config = config or LinkageConfig()
        self.scorer = BatchScorer(index, self.config.params or index.params)
        self.blocker = Blocker(index)

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
        _Inherited.engine = self
        with fork_pool(workers - 1) as pool:
            remote = pool.imap(_match_chunk,
                               ([tuple(r.get(k) for k in _IDENTITY) for r in c] for c in theirs))
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

    def evidence_probes(self, probes: list[Probe], *, through: str = "") -> Selection:
        """What this index found for each record, for a decision taken over several indexes (the
        shards of :mod:`~verification.linkage.shards`): every record's best ``max_candidates + 1``
        citizens listed whatever their score, with ``mass`` (the odds mass of every citizen
        scored) and the tie counts at that cut. ``through``: "" runs the passes as
        :meth:`select_probes` does (settled here, scanned when nobody here is likelier than not);
        "exact" the exact keys only; "broad" the exact keys and the broad pass for every record;
        "scan" all three for every record (the caller has found, over every shard, that the
        record is unsettled, or that nobody anywhere is likelier than not)."""
        report = dataclasses.replace(self.config, link_probability=math.inf, review_threshold=-math.inf,
                                     max_candidates=self.config.max_candidates + 1)
        return self._select(ProbeBatch(self.index, probes), through=through, report=report)

    def _select(self, pb: ProbeBatch, *, through: str = "", report: LinkageConfig | None = None) -> Selection:
        cfg = self.config
        n = len(pb)
        pairs = _Pairs(self.index.size)
        everyone = np.arange(n, dtype=np.int64)
        pairs.add(self.scorer, pb, *self.blocker.exact(pb, everyone))
        if through == "exact":
            return pairs.select(pb, report or cfg, self.index)
        unsettled = everyone if through else np.flatnonzero(~_settled(*pairs.top2(n), cfg))
        if len(unsettled):
            pairs.add(self.scorer, pb, *self.blocker.broad(pb, unsettled))
            # The scan for every record still not settled: a review list with room for more, or
            # one best candidate that is not sure, must not miss an equally plausible citizen
            # the scan would find (a namesake in the record's own ward scoring above zero hid
            # the namesakes elsewhere, among them the true citizen of a record giving its ward
            # wrong).
            below = (np.ones(len(unsettled), bool) if through == "scan"
                     else ~_settled(*pairs.top2(n), cfg)[unsettled])
            scan = unsettled[below & pb.has_name[unsettled]] if through != "broad" else _EMPTY
            if len(scan):
                pairs.add(self.scorer, pb, *self.blocker.scan(pb, scan))
        return pairs.select(pb, report or cfg, self.index)

    def scored_exact(self, probes: list[Probe]):
        """(batch, r, c, total, levels, weights) for the exact-key tier (m estimation)."""
        pb = ProbeBatch(self.index, probes)
        r, c = self.blocker.exact(pb, np.arange(len(pb), dtype=np.int64))
        key, first = np.unique(r * max(self.index.size, 1) + c, return_index=True)
        r, c = r[first], c[first]
        return (pb, r, c, *self.scorer.score(pb, r, c))


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
    def _break_tie(b, lo, hi, sel, scores, *, c_all, pb, ix, tolerance):
        """(the slots, how many citizens score within ``tolerance`` of the cut score). The review
        list is cut inside a run of (nearly) equal scores: the run is ordered best score first,
        and equal scores by evidence the score does not weigh, so the slots go to the likeliest
        of equals rather than to the lowest positions: a birth year nearer the record's (a year
        typed wrong), then the closer name spelling (Indel similarity of the accented, then
        folded, names)."""
        tied_score = scores[lo + len(sel) - 1]
        run = [j for j in range(lo, hi) if abs(scores[j] - tied_score) < tolerance]
        keep = [j for j in sel if abs(scores[j] - tied_score) >= tolerance]
        p = pb.probes[b]
        cits = c_all[run].tolist()

        def key(item):
            j, c = item
            cy = int(ix.year[c])
            year_gap = abs(cy - p.year) if p.year and cy else 999
            return (-round(scores[j], 9), year_gap, -fuzz.ratio(p.accent, ix.accented(c)),
                    -fuzz.ratio(p.folded, ix.folded(c)), c)

        ranked = [j for j, _c in sorted(zip(run, cits), key=key)]
        return keep + ranked[: max(0, len(sel) - len(keep))], len(run)

    def _cut_ties(self, pb, ix, cfg, *, reviewed, lo, hi, s_sorted, order, keep, slot) -> np.ndarray:
        """Review lists cut inside a tie, ordered by evidence the score does not weigh (``keep``
        and ``slot`` updated in place); how many citizens share the cut score, per record."""
        review, k_max = cfg.review_threshold, cfg.max_candidates
        tolerance = tie_tolerance(cfg)
        ties = np.zeros(len(pb), np.int64)
        cut = np.flatnonzero(reviewed & (hi - lo > k_max))
        if len(cut):
            gap = s_sorted[lo[cut] + k_max - 1] - s_sorted[lo[cut] + k_max]
            cut = cut[gap < tolerance]
        if not len(cut):
            return ties
        c_sorted = np.concatenate(self.c)[order]
        scores = s_sorted.tolist()
        for b in cut.tolist():
            b_lo, b_hi = int(lo[b]), int(hi[b])
            sel = [j for j in range(b_lo, b_lo + k_max) if scores[j] >= review]
            if len(sel) < k_max:  # the list ends at the review threshold, not inside the run
                continue
            ranked, ties[b] = self._break_tie(b, b_lo, b_hi, sel, scores, c_all=c_sorted, pb=pb,
                                              ix=ix, tolerance=tolerance)
            keep[b_lo:b_hi] = False
            keep[ranked] = True
            slot[ranked] = np.arange(len(ranked))
        return ties

    def select(self, pb: ProbeBatch, cfg: LinkageConfig, ix: CitizenIndex) -> Selection:
        """The decision of every record and the pairs it reports, vectorised; only records
        whose review list is cut inside a run of equal scores go through Python."""
        n = len(pb)
        r_all, s_all, order = self._sorted()
        dec = np.zeros(n, np.int8)
        top = np.full(n, np.nan)
        if not len(r_all):
            return Selection(dec, top, np.zeros(n + 1, np.int64), _EMPTY, np.zeros(0),
                             np.zeros((6, 0), np.int8), np.zeros((6, 0)), np.zeros(n, np.int64),
                             np.full(n, np.nan), np.zeros(n))
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
        link, margin = cfg.link_threshold, cfg.min_margin
        review, k_max = cfg.review_threshold, cfg.max_candidates
        mass = _mass(r_sorted, s_sorted, top, n)
        with np.errstate(invalid="ignore", over="ignore"):
            posterior = 1.0 / (np.exp2(-top) + mass)
        with np.errstate(invalid="ignore"):
            linked = (has & (top >= link) & (top - second >= margin)
                      & (posterior >= cfg.link_probability))
            reviewed = has & ~linked & (top >= review)
        dec[linked] = CODE_LINKED
        dec[reviewed] = CODE_REVIEW
        rank = np.arange(len(r_sorted)) - lo[r_sorted]
        d = dec[r_sorted]
        keep = (((d == CODE_LINKED) & (rank == 0))
                | ((d == CODE_REVIEW) & (rank < k_max) & (s_sorted >= review)))
        slot = rank.copy()
        ties = self._cut_ties(pb, ix, cfg, reviewed=reviewed, lo=lo, hi=hi, s_sorted=s_sorted, order=order,
                              keep=keep, slot=slot)
        picked = np.flatnonzero(keep)
        picked = picked[np.lexsort((slot[picked], r_sorted[picked]))]
        at = order[picked]
        bounds = np.searchsorted(r_sorted[picked], np.arange(n + 1), "left")
        c_all = np.concatenate(self.c)
        lvs = np.concatenate(self.lv, axis=1)[:, at]
        ws = np.concatenate(self.w, axis=1)[:, at]
        return Selection(dec, top, bounds, c_all[at].astype(np.int64), s_all[at], lvs, ws, ties, posterior,
                         mass)

    def decide(self, pb: ProbeBatch, cfg: LinkageConfig, ix: CitizenIndex) -> list[MatchResult]:
        sel = self.select(pb, cfg, ix)
        return sel.results(pb, ix)


@dataclass
class Selection:
    """Decisions of a batch as columns. ``decision[b]`` indexes :data:`DECISIONS`;
    ``top[b]`` is the best score (NaN when nobody was scored); the reported candidates of
    record ``b`` are ``positions[bounds[b]:bounds[b + 1]]`` (index positions, best first)
    with their ``scores`` and per-field ``levels`` / ``weights`` (one column each).
    ``ties[b]`` > 0 when the review list was cut inside a run of equal scores: how many
    citizens share the score of its last slot (the list names only some of them).
    ``posterior[b]``: P(the best candidate is the person), the link rule's probability;
    ``mass[b]``: the sum of 2^(s - top) over every citizen scored for it (0 when none)."""

    decision: np.ndarray
    top: np.ndarray
    bounds: np.ndarray
    positions: np.ndarray
    scores: np.ndarray
    levels: np.ndarray
    weights: np.ndarray
    ties: np.ndarray
    posterior: np.ndarray
    mass: np.ndarray

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
            if code == CODE_NONE:
                out.append(MatchResult(NONE, None, None if math.isnan(top) else top))
                continue
            cccd = bool(probes[b].cccd)
            cands = [Candidate(ids[cit[k]], scores[k], compact=(cccd, lvs[k], ws[k]))
                     for k in range(bounds[b], bounds[b + 1])]
            if code == CODE_LINKED:
                out.append(MatchResult(LINKED, cands[0].citizen_id, top, cands))
            else:
                out.append(MatchResult(REVIEW, None, top, cands, ties=int(self.ties[b])))
        return out


def _settled(top: np.ndarray, second: np.ndarray, cfg: LinkageConfig) -> np.ndarray:
    """Records the pairs scored so far settle: best score, margin, and the posterior against the
    runner-up and nobody (the full mass is taken at the end)."""
    with np.errstate(invalid="ignore", over="ignore"):
        sure = 1.0 / (np.exp2(-top) + 1.0 + np.exp2(second - top)) >= cfg.link_probability
        return (top >= cfg.link_threshold) & (top - second >= cfg.min_margin) & sure


def tie_tolerance(cfg: LinkageConfig) -> float:
    """How close two scores must be to count as a tie (log2 odds; at least float noise)."""
    return max(float(cfg.tie_tolerance), _TIE)


def _mass(r_sorted: np.ndarray, s_sorted: np.ndarray, top: np.ndarray, n: int) -> np.ndarray:
    """Per record, the sum of 2^(s - top) over every citizen scored for it: P(the best candidate
    is the person), against all of them and "nobody in the registry" (odds 1), is then
    2^top / (1 + sum of 2^s) = 1 / (2^-top + mass), with no power overflowing."""
    rel = np.exp2(np.minimum(s_sorted - top[r_sorted], 0.0))
    return np.bincount(r_sorted, weights=rel, minlength=n)



# -- multiprocessing helpers --------------------------------------------------------------

class _Inherited:
    """What the forked children inherit: the engine of the parent's ``match_records``."""

    engine: Engine | None = None


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
    engine = _Inherited.engine
    return engine.match_probes([make_probe(**dict(zip(_IDENTITY, t))) for t in chunk])


def default_workers() -> int:
    return min(2, os.cpu_count() or 1)


def fork_pool(processes: int):
    """A pool of `processes` forked children that share this process's memory copy-on-write.

    Each child, before its first task:

    * runs only multiprocessing's own after-fork hooks. The others are kombu's and Celery's in
      a worker: they disconnect the broker connections the child inherited (sockets the parent
      still uses) and could block on a lock that one of the parent's threads held at the fork;
    * takes back the default SIGTERM: a Celery worker's handler, inherited by fork, ignores the
      signal outside its main process, and `Pool.terminate()` (the pool's ``with`` exit) relies
      on SIGTERM to stop a child blocked on the task queue's lock;
    * dies with its parent (`die_with_parent`): a worker killed with ``kill -9`` leaves no
      matcher behind.
    """
    return _GuardedPool(processes, initializer=_child_setup, initargs=(os.getpid(),),
                        context=mp.get_context("fork"))


class _GuardedProcess(mp.context.ForkProcess):
    @staticmethod
    def _after_fork():
        registry = mp.util._afterfork_registry  # noqa: SLF001 - the hooks of this child only
        for key in list(registry):
            if not getattr(key[2], "__module__", "").startswith("multiprocessing"):
                registry.pop(key, None)
        mp.process.BaseProcess._after_fork()  # noqa: SLF001 - what a plain child runs next


class _GuardedPool(mp.pool.Pool):
    @staticmethod
    def Process(ctx, *args, **kwds):  # noqa: N802, ARG004 - multiprocessing's hook and signature
        return _GuardedProcess(*args, **kwds)


def _child_setup(parent_pid: int) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    die_with_parent(parent_pid)


def die_with_parent(parent_pid: int) -> None:
    """Have this forked process killed as soon as `parent_pid`, its parent, dies: on Linux by
    the kernel (PR_SET_PDEATHSIG, tied to the parent thread that forked), elsewhere by a thread
    watching the parent's pid. Exits at once if the parent is already gone."""
    if not (sys.platform.startswith("linux")
            and ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0):
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    if os.getppid() != parent_pid:
        os._exit(1)


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)


_PR_SET_PDEATHSIG = 1
