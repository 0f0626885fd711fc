"""Matching a reports file against the citizens, the work behind ``manage.py match_records``;
changes nothing in the database.

Output, one row per input row: record_id, decision (linked / review / none), citizen_id
(the linked citizen's CCCD, or the CMND when they have none; empty unless linked), score
(log2 odds, 2 decimals), candidates: up to 5 "citizen_id:score" pairs, best first,
separated by ";" (e.g. "001090000123:18.40;001090000456:-3.10"), ties: empty, or when the
candidates list was cut inside a run of equally strong citizens, how many score within the tie
tolerance (``LinkageConfig.tie_tolerance``, half a bit) of the last listed (the list names five
of them; the others are as likely). With ``explain``, two more:
probability (the best candidate's posterior, the link rule's figure) and explanation (its
fields' levels and log2 contributions, the fields missing, the prior).

How the work is spread over ``workers`` processes (default 2; POSIX fork):

1. a reader process checks the file, reads it and normalises every row into the engine's
   probes, in chunks written to a scratch directory as plain tuples, while this process
   builds the citizen index (COPY from PostgreSQL);
2. m is fitted on the first rows, then ``workers - 1`` processes are forked: they share the
   index copy-on-write, each matches every ``workers``-th chunk and writes its output rows
   to its own file (citizen ids come from the index, nothing crosses back but text);
3. the parts are joined in input order.

With ``workers=1`` (or without fork) the same steps run one after the other here.
"""

from __future__ import annotations

import csv
import math
import multiprocessing as mp
import os
import pickle
import shutil
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from vaxrecon.errors import DomainError
from vaxrecon.spreadsheets import csv_writer
from verification.imports.files import REPORT_COLUMNS, open_table
from verification.imports.linking import (
    CANDIDATES_SHOWN,
    FIT_SAMPLE,
    IDENTITY_COLUMNS,
    MATCH_OUTPUT_COLUMNS,
    external_ids,
    linkage_config,
    load_citizen_index,
)
from verification.linkage import Engine
from verification.linkage.engine import DECISIONS, LINKED, NONE, REVIEW
from verification.linkage.scoring import Probe, explain_pair, probe_values
from verification.linkage.training import fit_m

CHUNK = 20_000
EXPLAIN_COLUMNS = ("probability", "explanation")
_STATUS = "status.pickle"


def match_file(path: Path, output: Path, *, fit: bool = True, workers: int = 2, progress=None,
               timings: dict | None = None, explain: bool = False) -> dict[str, int]:
    """Match every row of ``path`` and write ``output``; returns the count of each decision.
    Raises MalformedFile (a DomainError) for a file that is not a reports table; the
    output is then not written. ``timings`` (when given) receives the wall time of each
    stage of this process. ``explain`` adds the columns ``probability`` and ``explanation``
    (the best candidate's fields, each with its level and contribution)."""
    run = _Run(workers=workers, progress=progress, timings={} if timings is None else timings)
    run.explain = explain
    with tempfile.TemporaryDirectory(prefix="match_records-") as tmp:
        run.work = Path(tmp)
        try:
            run.read(path)  # 1. (in a process of its own when forking) while the index loads
            index = load_citizen_index()
            run.lap("index")
            total, n_chunks = run.wait_for_reader()
            engine, names = run.engine(index, n_chunks, fit=fit)
            run.lap("fit m")
            run.match(engine, names, total, n_chunks)  # 2.
            columns = MATCH_OUTPUT_COLUMNS + (EXPLAIN_COLUMNS if explain else ())
            counts = _join_parts(run.work, output, n_chunks, columns)  # 3.
            if progress:
                progress(total, total)
        finally:
            run.stop()
    run.lap("write")
    return counts


class _Run:
    """The steps of `match_file`, with the processes it started and the time of each stage."""

    def __init__(self, *, workers: int, progress, timings: dict):
        self.workers = workers
        self.forking = workers > 1 and "fork" in mp.get_all_start_methods()
        self.ctx = mp.get_context("fork") if self.forking else None
        self.progress = progress
        self.timings = timings
        self.clock = time.perf_counter()
        self.procs: list = []  # any process still running when this stops is ended
        self.reader = None
        self.work: Path | None = None
        self.explain = False

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self.clock
        self.clock = now

    def read(self, path: Path) -> None:
        if self.forking:
            self.reader = self.ctx.Process(target=_reader_main, args=(path, self.work), daemon=True)
            self.reader.start()
            self.procs.append(self.reader)
            self.lap("start")
        else:
            _read_file(path, self.work)
            _status(self.work)  # a malformed file stops here, before the index is built
            self.lap("read")

    def wait_for_reader(self) -> tuple[int, int]:
        if self.reader is not None:
            self.reader.join()
            if self.reader.exitcode:
                code = self.reader.exitcode
                raise RuntimeError(f"match_records: the file reader failed (exit code {code})")
        status = _status(self.work)
        self.lap("wait for reader")
        return status

    def engine(self, index, n_chunks: int, *, fit: bool) -> tuple[Engine, _ExternalIds]:
        """The engine, its m-probabilities fitted on the file's first rows when `fit`."""
        config = linkage_config()
        if fit and index.size:
            sample: list[Probe] = []
            for k in range(n_chunks):
                if len(sample) >= FIT_SAMPLE:
                    break
                sample += _load_chunk(self.work, k)[1]
            if sample:
                config = fit_m(index, sample[:FIT_SAMPLE], config)
        return Engine(index, config), _ExternalIds(index)

    def match(self, engine: Engine, names: _ExternalIds, total: int, n_chunks: int) -> None:
        """Every ``workers``-th chunk here, the others in forked processes sharing the index."""
        work, children = self.work, []
        if self.forking and n_chunks > 1:
            for rank in range(1, min(self.workers, n_chunks)):
                child = self.ctx.Process(target=_match_chunks, daemon=True, args=(engine, names, work),
                                         kwargs={"n_chunks": n_chunks, "rank": rank, "step": self.workers,
                                                 "explain": self.explain})
                child.start()
                children.append(child)
                self.procs.append(child)
        sizes = [min(CHUNK, total - k * CHUNK) for k in range(n_chunks)]

        def report(_k: int) -> None:
            done = sum(s for j, s in enumerate(sizes) if (work / f"out-{j:05d}.csv").exists())
            if self.progress and done < total:
                self.progress(done, total)

        _match_chunks(engine, names, work, n_chunks=n_chunks, rank=0, step=len(children) + 1, report=report,
                      explain=self.explain)
        self.lap("match")
        for child in children:
            child.join()
            if child.exitcode:
                raise RuntimeError(f"match_records: a matching process failed (exit code {child.exitcode})")
        self.lap("wait for workers")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()


def _join_parts(work: Path, output: Path, n_chunks: int, columns: tuple) -> dict[str, int]:
    """The parts joined in input order into `output`; the count of each decision."""
    counts = {LINKED: 0, REVIEW: 0, NONE: 0}
    with open(output, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerow(columns)
        for k in range(n_chunks):
            with open(work / f"out-{k:05d}.csv", encoding="utf-8", newline="") as part:
                shutil.copyfileobj(part, out, 1 << 20)
            with open(work / f"counts-{k:05d}.pickle", "rb") as fh:
                for decision, n in pickle.load(fh).items():  # nosec B301 # this run's own mkdtemp files
                    counts[decision] += n
    return counts


# -- reading ----------------------------------------------------------------------------------

def _read_file(path: Path, work: Path) -> None:
    """Check the file, normalise every row into a probe, write chunks of (record ids,
    probe tuples) and a status: ("ok", rows, chunks) or ("error", message)."""
    try:
        table = open_table(path, REPORT_COLUMNS)
        k = 0
        ids: list = []
        probes: list = []
        for record_id, *identity in _identity_rows(table):
            ids.append(record_id)
            probes.append(probe_values(*identity))
            if len(ids) >= CHUNK:
                _dump(work / f"in-{k:05d}.pickle", (ids, probes))
                k += 1
                ids, probes = [], []
        if ids:
            _dump(work / f"in-{k:05d}.pickle", (ids, probes))
            k += 1
        status = ("ok", table.total, k)
    except DomainError as exc:
        status = ("error", exc.message)
    _dump(work / _STATUS, status)


_COLUMNS = ("record_id", *IDENTITY_COLUMNS)


def _identity_rows(table):
    """(record_id, *identity columns) of each data row, as ``table.rows()`` gives them
    (stripped; "" for missing cells; blank rows skipped). A CSV is read here directly,
    without a dict per row."""
    if table.kind != "csv":
        for _line, row in table.rows():
            yield tuple(row.get(c, "") for c in _COLUMNS)
        return
    with open(table.path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [str(c or "").strip().lstrip("\ufeff").strip().lower() for c in next(reader)]
        at = [header.index(c) for c in _COLUMNS]
        width = max(at) + 1
        for cells in reader:
            if not "".join(cells).strip():
                continue
            if len(cells) >= width:
                yield tuple([cells[k].strip() for k in at])
            else:
                n = len(cells)
                yield tuple([cells[k].strip() if k < n else "" for k in at])


def _reader_main(path: Path, work: Path) -> None:
    try:
        _read_file(path, work)
    except BaseException:
        _dump(work / _STATUS, ("crash", traceback.format_exc()))
        raise


def _status(work: Path) -> tuple[int, int]:
    try:
        with open(work / _STATUS, "rb") as fh:
            status = pickle.load(fh)  # nosec B301 # this run's own mkdtemp files
    except FileNotFoundError:
        raise RuntimeError("match_records: the file reader stopped without a result") from None
    if status[0] == "error":
        raise DomainError(status[1])
    if status[0] != "ok":
        raise RuntimeError(f"match_records: the file reader failed:\n{status[1]}")
    return status[1], status[2]


def _dump(target: Path, obj) -> None:
    tmp = target.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)


def _load_chunk(work: Path, k: int) -> tuple[list, list[Probe]]:
    path = work / f"in-{k:05d}.pickle"
    if not path.exists():
        return [], []
    with open(path, "rb") as fh:
        ids, tuples = pickle.load(fh)  # nosec B301 # this run's own mkdtemp files
    return ids, [Probe(*t) for t in tuples]


# -- matching ---------------------------------------------------------------------------------

class _ExternalIds:
    """Index position -> the id shown in the output: the CCCD, else the CMND, read from
    the index's digit keys; the database is asked (before any fork) only about citizens
    with neither key."""

    def __init__(self, index):
        self.cccd = index.cccd
        self.cmnd = index.cmnd
        missing = np.flatnonzero((self.cccd == 0) & (self.cmnd == 0)).tolist()
        self.fallback: dict[int, object] = {}
        if missing:
            ids = index.ids
            got = external_ids(ids[i] for i in missing)
            self.fallback = {i: got.get(ids[i], ids[i]) for i in missing}

    def lookup(self, positions: np.ndarray) -> list:
        keys = np.where(self.cccd[positions] > 0, self.cccd[positions], self.cmnd[positions]).tolist()
        out = [str(k)[1:] for k in keys]
        if self.fallback:
            fallback = self.fallback
            for j, (k, pos) in enumerate(zip(keys, positions.tolist())):
                if not k:
                    out[j] = fallback.get(pos, "")
        return out


def _match_chunks(engine: Engine, names: _ExternalIds, work: Path, *, n_chunks: int, rank: int, step: int,
                  report=None, explain: bool = False) -> None:
    """Chunks rank, rank + step, ... of the file (here or in a forked process)."""
    for k in range(rank, n_chunks, step):
        record_ids, probes = _load_chunk(work, k)
        sel = engine.select_probes(probes)
        extra = _explanations(sel, probes, engine.scorer.prior) if explain else None
        _write_part(work, k, record_ids, sel, names, extra=extra)
        if report:
            report(k)


def _explanations(sel, probes: list[Probe], prior: float) -> list[tuple[str, str]]:
    """(probability, explanation) of each record's best candidate; empty when nobody was listed."""
    bounds = sel.bounds.tolist()
    out = []
    for b, p in enumerate(sel.posterior.tolist()):
        lo = bounds[b]
        if lo == bounds[b + 1]:
            out.append(("" if math.isnan(p) else f"{p:.6f}", ""))
            continue
        text = explain_pair(bool(probes[b].cccd), sel.levels[:, lo], sel.weights[:, lo], prior)
        out.append((f"{p:.6f}", text))
    return out


def _write_part(work: Path, k: int, record_ids: list, sel, names: _ExternalIds, *, extra=None) -> None:
    decisions = sel.decision.tolist()
    tops = sel.top.tolist()
    bounds = sel.bounds.tolist()
    scores = sel.scores.tolist()
    ties = sel.ties.tolist()
    shown = names.lookup(sel.positions)
    linked = DECISIONS.index(LINKED)
    rows = []
    for b, code in enumerate(decisions):
        lo, hi = bounds[b], bounds[b + 1]
        top = tops[b]
        rows.append((
            record_ids[b], DECISIONS[code],
            (shown[lo] or "") if code == linked else "",
            "" if math.isnan(top) else f"{top:.2f}",
            ";".join([f"{shown[j]}:{scores[j]:.2f}" for j in range(lo, min(hi, lo + CANDIDATES_SHOWN))]),
            ties[b] or "",
            *(extra[b] if extra else ()),
        ))
    tmp = work / f"out-{k:05d}.tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        csv_writer(fh).writerows(rows)
    counts = dict.fromkeys(DECISIONS, 0)
    for code, n in zip(*np.unique(sel.decision, return_counts=True)):
        counts[DECISIONS[int(code)]] += int(n)
    _dump(work / f"counts-{k:05d}.pickle", counts)
    os.replace(tmp, work / f"out-{k:05d}.csv")
