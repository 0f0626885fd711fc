"""Matching a file against a registry too big for one process: one index per province of
residence (a shard), each built and matched by its own task, the decisions merged
(:mod:`verification.linkage.shards`). The single-index path (`linking.build_matcher`) stays
the default; this one gives the same decisions when the registry does not fit.

Which shards see a record, in three rounds that follow the engine's own tiers:

1. **exact keys**, in the shards the national pass names (:func:`national_pass`, one query on
   PostgreSQL): the provinces of the citizens holding the record's CCCD, CMND or phone, or its
   exact folded name with its birth year (the name alone when it has no year), and the
   province of the record's own ward. These are every block of the engine's exact tier, so
   the records that tier settles are settled on the same pairs as with one index;
2. **broad**, for the records not settled: every shard. This is the rule for a record whose
   ward is in another province (or missing) and whose identifiers and name lead nowhere: the
   person may live anywhere, and the engine, with one index, would look everywhere too;
3. **scan**, for the records the exact keys and the broad pass of every shard still do not
   settle (as the engine scans every record its broad pass leaves unsettled): every shard.

Each shard's index is calibrated with the registry's counts (N, names, dates, wards, phones,
"family given"), and one `LinkageConfig` (thresholds and model parameters, fitted once) is
handed to every shard, so a pair scores the same in its shard as in the whole registry.

Work is handed over as files in a job directory (shared storage when the shards run on several
machines): `config.pickle` and `names.pickle` (which of the file's names the registry holds),
then per round and shard `r<round>-in-<shard>.pickle` (the records' positions and probes) and
`r<round>-out-<shard>.pickle` (its evidence).
`run_inline` runs a round's shards here; `run_celery` queues them as `match_linkage_shard`
tasks and waits for their files.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from celery import current_app
from django.db import connection

from records.models import Citizen, Ward
from verification.linkage import CITIZEN_ROW_FIELDS, CitizenIndex, Engine, LinkageConfig, MatchResult
from verification.linkage.index import RegistryVocabulary
from verification.linkage.keys import edit_variant_keys
from verification.linkage.probes import Probe
from verification.linkage.scoring import ModelParams, sampling
from verification.linkage.shards import ShardEvidence, merge, posteriors, settled, shard_evidence
from verification.linkage.training import estimate_m, match_rate_em

from .linking import FIT_SAMPLE, linkage_config, registry_counts

NO_WARD = 0  # the shard of citizens without a ward
TIERS = {1: "exact", 2: "broad", 3: "scan"}
SHARD_TASK = "verification.imports.tasks.match_linkage_shard"

# Exact keys -> the provinces of the citizens holding them (records_ward.code is the ward's key).
_PASS_SQL = {
    "cccd": "c.cccd = k.v",
    "cmnd": "c.cmnd = k.v",
    "phone": "c.phone = k.v",
    "name": "c.name_key = k.v AND (k.y = 0 OR c.birth_year = k.y)",
}
_PASS = """
SELECT DISTINCT k.rec, c.id, COALESCE(w.province_id, 0)
FROM unnest(%s::int[], %s::text[], %s::int[]) AS k(rec, v, y)
JOIN records_citizen c ON {cond}
LEFT JOIN records_ward w ON w.code = c.ward_id
"""
_SAMPLE = "SELECT id FROM records_citizen TABLESAMPLE SYSTEM (%s) REPEATABLE (%s)"
_NEIGHBOURS = {"cccd": "SELECT count(*) FROM records_citizen WHERE cccd = ANY(%s)",
               "phone": "SELECT count(*) FROM records_citizen WHERE phone = ANY(%s)"}
_KNOWN_NAMES = """
SELECT k.v FROM unnest(%s::text[]) AS k(v)
WHERE EXISTS (SELECT 1 FROM records_citizen c WHERE c.name_key = k.v)
"""


def registry_shards() -> list[int]:
    """The shards the registry holds citizens in: province codes, and NO_WARD if any has none."""
    provinces = Citizen.objects.order_by().values_list("ward__province_id", flat=True).distinct()
    return sorted({p or NO_WARD for p in provinces})


def home_shards(probes: Sequence[Probe]) -> np.ndarray:
    """Each record's own province: its ward's, else its province code (0 when neither)."""
    ward_province = dict(Ward.objects.values_list("code", "province_id"))
    return np.array([ward_province.get(p.ward, p.province) or NO_WARD for p in probes], np.int64)


def national_pass(probes: Sequence[Probe]) -> tuple[list[set[int]], frozenset[str]]:
    """Per record, the provinces of the citizens that hold its CCCD, CMND or phone exactly, or
    its folded name (with its birth year when it has one): one indexed query per key kind; and
    which of the records' folded names the registry holds in any year."""
    found: list[set[int]] = [set() for _ in probes]
    rows, known = _pass(probes)
    for b, _citizen, province in rows:
        found[b].add(province or NO_WARD)
    return found, known


def _pass(probes: Sequence[Probe]) -> tuple[list[tuple[int, int, int]], frozenset[str]]:
    """(record, citizen, province) for every exact key of the engine's first tier, and the
    records' folded names the registry holds."""
    keys = {"cccd": lambda p: p.cccd, "cmnd": lambda p: p.cmnd, "phone": lambda p: p.phone,
            "name": lambda p: p.folded}
    rows = []
    with connection.cursor() as cur:
        for kind, key in keys.items():
            rec = [b for b, p in enumerate(probes) if key(p)]
            if not rec:
                continue
            cur.execute(_PASS.format(cond=_PASS_SQL[kind]),  # nosec B608 # the conditions are constants above
                        [rec, [key(probes[b]) for b in rec], [probes[b].year for b in rec]])
            rows.extend(cur.fetchall())
        names = sorted({p.folded for p in probes if p.folded})
        cur.execute(_KNOWN_NAMES, [names])
        known = frozenset(name for (name,) in cur.fetchall())
    return rows, known


def shard_index(shard: int) -> CitizenIndex:
    """The citizens of one province (or those without a ward), scored as the whole registry
    would score them (`CitizenIndex.calibrate` with the registry's counts)."""
    people = Citizen.objects.filter(ward__isnull=True) if shard == NO_WARD else Citizen.objects.filter(
        ward__province_id=shard)
    return _calibrated(people)


def _calibrated(people, names: frozenset[str] = frozenset()) -> CitizenIndex:
    index = CitizenIndex.from_rows(people.order_by("pk").values_list(*CITIZEN_ROW_FIELDS).iterator(
        chunk_size=20_000), estimate_u=False)
    counts = registry_counts(index, every_ends=True)
    index.calibrate(counts)
    words = {w for pair in counts.ends for w in pair.split(" ")}
    index.vocabulary = RegistryVocabulary(names=names, tokens=frozenset(words), ends=frozenset(counts.ends))
    return index


def fit_config(probes: Sequence[Probe], *, job_dir: str | Path, config: LinkageConfig | None = None,
               run: Callable[[Path, int, list[int]], None] | None = None) -> LinkageConfig:
    """The job's model without an index of everybody, as `fit_m` fits it on one: u from a
    random sample of the registry (`registry_u`); m on the first FIT_SAMPLE records against the
    citizens the national pass finds for them, calibrated with the registry's counts (the
    pairs one index of everybody scores for them in its exact tier); the match rate by EM on
    those records matched shard by shard (in `job_dir`, with `run`)."""
    config = config or linkage_config()
    sample = list(probes[:FIT_SAMPLE])
    rows, known = _pass(sample)
    index = _calibrated(Citizen.objects.filter(pk__in={c for _b, c, _p in rows}), names=known)
    params = estimate_m(index, sample, registry_u(config.params or ModelParams()))
    fitted = LinkageConfig(params=params)  # as fit_m: the default thresholds for the fit's pass
    evidence = _evidence(sample, config=fitted, job_dir=Path(job_dir), run=run or run_inline)
    top, posterior = posteriors(len(sample), evidence)
    return dataclasses.replace(config, params=match_rate_em(top, posterior, params))


def registry_u(params: ModelParams, *, sample: int = 2000, seed: int = 7) -> ModelParams:
    """`params` with the u that term frequencies do not give, from about `sample` citizens drawn
    at random (TABLESAMPLE): the name levels from their names (`sampling.estimate_u`), the typo
    neighbours of their CCCDs and phones counted in the whole registry."""
    total = Citizen.objects.count()
    percent = min(100.0, 100.0 * 2 * sample / max(total, 1))
    with connection.cursor() as cur:
        cur.execute(_SAMPLE, [percent, seed])
        pks = [pk for (pk,) in cur.fetchall()]
    index = CitizenIndex.from_rows(Citizen.objects.filter(pk__in=pks).order_by("pk").values_list(
        *CITIZEN_ROW_FIELDS), estimate_u=False)
    if index.size < 50:
        return params
    params = sampling.estimate_u(index, params, sample=sample, seed=seed)
    return dataclasses.replace(params, id_typo_neighbours=max(_neighbours("cccd", index.cccd), 0.05),
                               phone_typo_neighbours=max(_neighbours("phone", index.phone), 0.05))


def _neighbours(column: str, keys: np.ndarray) -> float:
    """Mean number of citizens whose `column` is one typo from each of `keys` (digit keys)."""
    keys = keys[keys > 0]
    if not len(keys):
        return 0.0
    variants, _owner = edit_variant_keys(keys)
    with connection.cursor() as cur:
        cur.execute(_NEIGHBOURS[column], [[str(int(v))[1:] for v in variants]])
        return cur.fetchone()[0] / len(keys)


_CACHED: dict[str, tuple[tuple, CitizenIndex]] = {}


def _cached_index(job_dir: Path, shard: int) -> CitizenIndex:
    """One shard index per process, kept for the job's next rounds (a worker holds one shard)."""
    key = (str(job_dir), shard)
    got = _CACHED.get("last")
    if got is None or got[0] != key:
        _CACHED.pop("last", None)
        _CACHED["last"] = (key, shard_index(shard))
    return _CACHED["last"][1]


def shard_match(*, job_dir: str | Path, round_: int, shard: int) -> int:
    """Match this round's records of one shard and write its evidence next to them; returns
    how many records it matched. Runs in a worker (`match_linkage_shard`) or inline."""
    job_dir = Path(job_dir)
    config = _load(job_dir / "config.pickle")
    records, probes = _load(job_dir / f"r{round_}-in-{shard}.pickle")
    index = _cached_index(job_dir, shard)
    index.vocabulary = dataclasses.replace(index.vocabulary, names=_load(job_dir / "names.pickle"))
    engine = Engine(index, config)
    evidence = shard_evidence(engine, [Probe(*t) for t in probes], records, through=TIERS[round_])
    _dump(job_dir / f"r{round_}-out-{shard}.pickle", evidence)
    return len(records)


def run_inline(job_dir: Path, round_: int, shards: list[int]) -> None:
    for shard in shards:
        shard_match(job_dir=job_dir, round_=round_, shard=shard)


def run_celery(job_dir: Path, round_: int, shards: list[int], *, timeout: float = 3600.0) -> None:
    """Queue one `match_linkage_shard` task per shard (by name: the task module imports this
    one) and wait until each wrote its evidence."""
    for shard in shards:
        current_app.send_task(SHARD_TASK, args=(str(job_dir), round_, shard))
    deadline = time.monotonic() + timeout
    waiting = {job_dir / f"r{round_}-out-{shard}.pickle" for shard in shards}
    while waiting:
        waiting = {p for p in waiting if not p.exists()}
        if waiting and time.monotonic() > deadline:
            raise TimeoutError(f"{len(waiting)} shards of round {round_} did not answer")
        time.sleep(0.2)


def match_sharded(probes: Sequence[Probe], *, config: LinkageConfig, job_dir: str | Path,
                  run: Callable[[Path, int, list[int]], None] = run_inline) -> list[MatchResult]:
    """The decision for every record of `probes` (file order), matched shard by shard."""
    return merge(probes, _evidence(probes, config=config, job_dir=Path(job_dir), run=run), config)


def _evidence(probes: Sequence[Probe], *, config: LinkageConfig, job_dir: Path, run) -> list[ShardEvidence]:
    """What the shards found for every record, round by round (the module docstring)."""
    job_dir.mkdir(parents=True, exist_ok=True)
    _dump(job_dir / "config.pickle", config)
    n = len(probes)
    shards = registry_shards()
    routes, known_names = national_pass(probes)
    _dump(job_dir / "names.pickle", known_names)
    home = home_shards(probes)
    plan = defaultdict(list)
    for b in range(n):
        for shard in routes[b] | {int(home[b])}:
            plan[shard].append(b)
    first = _round(job_dir, 1, {s: r for s, r in plan.items() if s in shards}, probes, run)
    done = settled(n, first, config)
    second = _round(job_dir, 2, {s: np.flatnonzero(~done) for s in shards}, probes, run)
    scan = ~done & ~settled(n, second, config)
    third = _round(job_dir, 3, {s: np.flatnonzero(scan) for s in shards}, probes, run)
    broad_only = ~done & ~scan
    return [ev.only(done) for ev in first] + [ev.only(broad_only) for ev in second] + third


def _round(job_dir: Path, round_: int, plan: dict, probes: Sequence[Probe], run) -> list[ShardEvidence]:
    plan = {s: list(map(int, r)) for s, r in plan.items() if len(r)}
    for shard, records in plan.items():
        _dump(job_dir / f"r{round_}-in-{shard}.pickle", (records, [probes[b].as_tuple() for b in records]))
    if plan:
        run(job_dir, round_, sorted(plan))
    return [_load(job_dir / f"r{round_}-out-{shard}.pickle") for shard in sorted(plan)]


def _dump(path: Path, value) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)  # whole or absent: the coordinator waits for the name


def _load(path: Path):
    with open(path, "rb") as fh:
        return pickle.load(fh)  # nosec B301 # this job's own files, written by _dump
