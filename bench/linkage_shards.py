"""Sharded against single-index matching on PostgreSQL: same decisions? memory per shard?

    .venv/bin/python bench/linkage_shards.py [--citizens 1000000] [--records 200000] [--workers 2]
        [--database vaxrecon_linkage_bench] [--examples 20]

1. Data and database as `bench/linkage_speed.py` (generated with bench/gen_linkage_data.py,
   loaded into records_citizen with one COPY; reused when already there).
2. **Single index**, in a fresh child process: `CitizenIndex.from_postgres` (u sampled), m and
   the match rate fitted on the first 5,000 records (`fit_m`), every record matched
   (`Engine.match_many`, `--workers` processes). Its wall time and peak RSS are printed.
3. **Sharded**, `verification.imports.shards.match_sharded` with the single run's fitted
   `LinkageConfig` (so any difference comes from the sharding, not from a second fit): the
   national pass in PostgreSQL here, each shard (a province's citizens) matched by one of
   `--workers` pool processes, as Celery workers would (index built from PostgreSQL and
   calibrated with the registry's counts, kept for the shard's next round). Per shard and
   round: citizens, records, seconds and the process's peak RSS during that task (VmHWM,
   reset at the task's start through /proc/self/clear_refs; it includes the ~150 MB of a
   Python process with Django and numpy loaded).
4. Every record compared: decision, linked citizen, best score, the review list (citizen and
   score) and the tie count; each difference is printed with what both runs said, and both
   runs are scored against truth.csv (precision of linked, recall, review coverage).
Results go to bench/out/linkage-shards-<citizens>x<records>/ (summary.txt, differences.txt).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import pickle
import resource
import shutil
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.linkage_speed import db_url, ensure_data, ensure_database, load_citizens  # noqa: E402

IDENTITY = ("full_name", "date_of_birth", "sex", "id_number", "phone", "province_code", "ward_code")


def _django(database: str) -> None:
    os.environ["DATABASE_URL"] = db_url(database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxrecon.settings.dev")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def read_records(reports: Path) -> tuple[list[str], list[dict]]:
    with open(reports, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    return [r["record_id"] for r in rows], [{k: r[k] for k in IDENTITY} for r in rows]


def brief(res) -> tuple:
    """What a run decided for a record, comparable across runs."""
    return (res.decision, res.citizen_id, None if res.score is None else round(res.score, 6),
            tuple((c.citizen_id, round(c.score, 6)) for c in res.candidates), res.ties)


# -- the single index (child process) ------------------------------------------------------

def single(database: str, reports: Path, out: Path, workers: int) -> None:
    _django(database)
    from django.db import connection

    from verification.imports.linking import linkage_config
    from verification.linkage import CitizenIndex, Engine
    from verification.linkage.training import fit_m

    t0 = time.perf_counter()
    connection.ensure_connection()
    index = CitizenIndex.from_postgres(connection.connection)
    connection.close()
    t1 = time.perf_counter()
    _ids, records = read_records(reports)
    config = fit_m(index, records[:5000], linkage_config())
    t2 = time.perf_counter()
    results = [brief(r) for r in Engine(index, config).match_many(records, workers=workers)]
    t3 = time.perf_counter()
    with open(out / "single.pickle", "wb") as fh:
        pickle.dump({"config": config, "results": results, "citizens": index.size,
                     "times": {"index": t1 - t0, "fit": t2 - t1, "match": t3 - t2}}, fh)


# -- the shards (pool processes) -----------------------------------------------------------

def _worker_setup(database: str) -> None:
    _django(database)


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def shard_task(job_dir: str, round_: int, shard: int) -> dict:
    from verification.imports import shards

    Path("/proc/self/clear_refs").write_text("5")  # peak RSS from here on
    t0 = time.perf_counter()
    n = shards.shard_match(job_dir=job_dir, round_=round_, shard=shard)
    index = shards._CACHED["last"][1]  # noqa: SLF001 - the benchmark reads the size of what the task built
    return {"round": round_, "shard": shard, "records": n, "citizens": index.size,
            "seconds": time.perf_counter() - t0, "peak_rss_mb": _vm("VmHWM") / 1024, "pid": os.getpid()}


class PoolRunner:
    def __init__(self, pool: ProcessPoolExecutor):
        self.pool = pool
        self.tasks: list[dict] = []

    def __call__(self, job_dir: Path, round_: int, shards: list[int]) -> None:
        futures = [self.pool.submit(shard_task, str(job_dir), round_, s) for s in shards]
        self.tasks.extend(f.result() for f in futures)


# -- comparison ----------------------------------------------------------------------------

def classify(a: tuple, b: tuple) -> str:
    if a[0] != b[0]:
        return f"decision {a[0]} -> {b[0]}"
    if a[1] != b[1]:
        return "linked citizen differs"
    if a[2] != b[2]:
        return "best score differs"
    if a[4] != b[4]:
        return "tie count differs"
    if sorted(s for _c, s in a[3]) == sorted(s for _c, s in b[3]):
        return "review list: equally scored citizens in another order or another of them listed"
    return "review list differs"


def accuracy(results: list[tuple], ids: list[str], truth: dict, pk_to_cccd: dict) -> dict:
    linked = correct = true_total = unlinked = covered = tied = 0
    for rid, res in zip(ids, results):
        want = truth.get(rid, "")
        true_total += bool(want)
        if res[0] == "linked":
            linked += 1
            correct += pk_to_cccd.get(res[1]) == want
        elif want:
            unlinked += 1
            listed = want in {pk_to_cccd.get(c) for c, _s in res[3]}
            covered += listed
            tied += not listed and res[4] > 0
    return {"tied": tied, "precision": correct / max(linked, 1), "linked": linked, "wrong": linked - correct,
            "recall": correct / max(true_total, 1), "coverage": covered / max(unlinked, 1),
            "covered": covered, "unlinked_true": unlinked}


def run_single(args, data: Path, out: Path, say) -> dict:
    say(f"load before single: {Path('/proc/loadavg').read_text().strip()}")
    t0 = time.perf_counter()
    child = mp.get_context("spawn").Process(target=single, args=(args.database, data / "reports.csv", out,
                                                                  args.workers))
    child.start()
    child.join()
    if child.exitcode:
        raise SystemExit("single-index run failed")
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with open(out / "single.pickle", "rb") as fh:
        one = pickle.load(fh)  # nosec B301 # written by this script's child just now
    say(f"single index: {one['citizens']:,} citizens, wall {wall:.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in one["times"].items())
        + f"), peak RSS of its largest process {rss:.0f} MB")
    say(f"load after single: {Path('/proc/loadavg').read_text().strip()}")
    return one


def run_sharded(args, probes, config, out: Path, say) -> tuple[list, list[dict]]:
    from django.db import connection

    from verification.imports import shards

    job = out / "job"
    shutil.rmtree(job, ignore_errors=True)
    connection.close()
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers, mp_context=mp.get_context("spawn"), initializer=_worker_setup,
                             initargs=(args.database,)) as pool:
        runner = PoolRunner(pool)
        sharded = [brief(r) for r in shards.match_sharded(probes, config=config, job_dir=job, run=runner)]
    wall = time.perf_counter() - t0
    shutil.rmtree(job, ignore_errors=True)
    say(f"sharded: wall {wall:.1f} s with {args.workers} worker processes "
        f"(national pass, 3 rounds, merge; worker start-up included)")
    say(f"load after sharded: {Path('/proc/loadavg').read_text().strip()}")
    for round_ in (1, 2, 3):
        mine = [t for t in runner.tasks if t["round"] == round_]
        if not mine:
            continue
        big = max(mine, key=lambda t: t["peak_rss_mb"])
        work = sum(t["records"] for t in mine)
        say(f"round {round_} ({shards.TIERS[round_]}): {len(mine)} shards, {work:,} record-matches, "
            f"{sum(t['seconds'] for t in mine):.1f} s of tasks; "
            f"largest shard {max(t['citizens'] for t in mine):,} citizens; peak RSS per task "
            f"{min(t['peak_rss_mb'] for t in mine):.0f}-{big['peak_rss_mb']:.0f} MB "
            f"(max: shard {big['shard']}, {big['citizens']:,} citizens, {big['records']:,} records)")
    with open(out / "tasks.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(runner.tasks[0]))
        w.writeheader()
        w.writerows(runner.tasks)
    return sharded, runner.tasks


def compare(ids, one: list, sharded: list, out: Path, *, examples: int, say) -> None:
    kinds: Counter = Counter()
    detail = []
    for rid, a, b in zip(ids, one, sharded):
        if a != b:
            kind = classify(a, b)
            kinds[kind] += 1
            detail.append(f"{rid}: {kind}\n  single : {a}\n  sharded: {b}")
    say(f"records: {len(ids):,}; identical decisions, citizens, scores, lists and ties: "
        f"{len(ids) - sum(kinds.values()):,}; different: {sum(kinds.values()):,}")
    for kind, k in kinds.most_common():
        say(f"  {k:,}  {kind}")
    (out / "differences.txt").write_text("\n".join(detail) + "\n")
    for text in detail[:examples]:
        say(text)


def score_both(data: Path, ids, runs: dict, say) -> None:
    from records.models import Citizen

    with open(data / "truth.csv", newline="", encoding="utf-8") as fh:
        truth = {r["record_id"]: r["citizen_id"] for r in csv.DictReader(fh)}
    pk_to_cccd = {pk: cccd or cmnd for pk, cccd, cmnd in Citizen.objects.values_list("pk", "cccd", "cmnd")}
    for name, res in runs.items():
        acc = accuracy(res, ids, truth, pk_to_cccd)
        say(f"{name}: precision {acc['precision']:.5f} ({acc['linked'] - acc['wrong']:,}/{acc['linked']:,}), "
            f"recall {acc['recall']:.4f}, review coverage {acc['coverage']:.4f} "
            f"({acc['covered']:,} listed / {acc['unlinked_true']:,}; {acc['tied']:,} more not listed"
            " in a record with a tie reported)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--citizens", type=int, default=1_000_000)
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--database", default="vaxrecon_linkage_bench")
    ap.add_argument("--examples", type=int, default=20)
    ap.add_argument("--fit", choices=("single", "shards"), default="single",
                    help="the sharded run's model: the single run's fitted config, or its own "
                         "(shards.fit_config: no index of everybody)")
    args = ap.parse_args(argv)

    data = ensure_data(args.citizens, args.records, args.seed)
    ensure_database(args.database)
    load_citizens(args.database, data / "registry.csv")
    out = REPO / "bench" / "out" / f"linkage-shards-{args.citizens}x{args.records}"
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, data {data.name}, {os.cpu_count()} CPUs")
    one = run_single(args, data, out, say)
    _django(args.database)
    from verification.linkage import make_probe

    ids, records = read_records(data / "reports.csv")
    probes = [make_probe(**r) for r in records]
    config = one["config"]
    if args.fit == "shards":
        from verification.imports import shards

        t0 = time.perf_counter()
        config = shards.fit_config(probes, job_dir=out / "fit-job")
        shutil.rmtree(out / "fit-job", ignore_errors=True)
        mine, theirs = config.params, one["config"].params
        say(f"sharded fit (shards.fit_config): {time.perf_counter() - t0:.1f} s; match rate "
            f"{mine.match_rate:.4f} (single {theirs.match_rate:.4f}), u typo/fuzzy "
            f"{mine.u_name_typo:.2e}/{mine.u_name_fuzzy:.2e} (single {theirs.u_name_typo:.2e}/"
            f"{theirs.u_name_fuzzy:.2e}), id/phone neighbours {mine.id_typo_neighbours:.3f}/"
            f"{mine.phone_typo_neighbours:.3f} (single {theirs.id_typo_neighbours:.3f}/"
            f"{theirs.phone_typo_neighbours:.3f})")
    sharded, _tasks = run_sharded(args, probes, config, out, say)
    compare(ids, one["results"], sharded, out, examples=args.examples, say=say)
    score_both(data, ids, {"single": one["results"], "sharded": sharded}, say)
    decisions = Counter(r[0] for r in sharded)
    say("sharded decisions: " + ", ".join(f"{k} {v:,}" for k, v in sorted(decisions.items())))
    (out / "summary.txt").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
