"""Speed, memory and accuracy of `match_records` on PostgreSQL at scale.

    .venv/bin/python bench/linkage_speed.py [--citizens 1000000] [--records 200000] [--workers 2]
        [--database vaxrecon_linkage_bench] [--mode command|api] [--reload] [--repeat 1]

1. Generates (or reuses) bench/out/linkage-<citizens>x<records>/ with bench/gen_linkage_data.py
   (registry.csv, reports.csv, truth.csv; real ward codes so they load as ward_id).
2. Creates the database if needed, migrates it (`DATABASE_URL=... manage.py migrate`) and
   loads the registry into records_citizen with one COPY (skipped when it already holds
   exactly this registry; --reload forces it).
3. Times the matching under `/usr/bin/time -v`, as a fresh process:
   * ``--mode command`` (default): ``manage.py match_records reports.csv --output ...`` —
     exactly what an operator runs (citizens read from PostgreSQL, m fitted on the file,
     200k records matched, output CSV written);
   * ``--mode api``: the same steps through the engine API only
     (``CitizenIndex.from_postgres`` -> ``fit_m`` -> ``Engine.match_many`` -> CSV), for when
     the command is being changed.
   Prints wall time, peak RSS of the largest process (GNU time) and the peak of the summed
   proportional set size (PSS) of the whole process tree (workers share the index), the
   load average, and precision / recall / review coverage of the output against truth.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PY = sys.executable

from bench.results import record  # noqa: E402

PG = {"host": os.environ.get("PGHOST", "127.0.0.1"), "port": os.environ.get("PGPORT", "5432"),
      "user": os.environ.get("PGUSER", "postgres")}


def db_url(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def connect(name: str):
    import psycopg2

    return psycopg2.connect(host=PG["host"], port=PG["port"], user=PG["user"], dbname=name)


# -- data -----------------------------------------------------------------------------------

def ensure_data(citizens: int, records: int, seed: int) -> Path:
    out = REPO / "bench" / "out" / f"linkage-{citizens}x{records}"
    if all((out / f).is_file() for f in ("registry.csv", "reports.csv", "truth.csv")):
        print(f"data: reusing {out}")
        return out
    print(f"data: generating {citizens:,} citizens and {records:,} reports in {out} ...", flush=True)
    subprocess.run([PY, str(REPO / "bench" / "gen_linkage_data.py"), str(out), "--citizens", str(citizens),
                    "--reports", str(records), "--seed", str(seed)], check=True)
    return out


def ensure_database(name: str) -> None:
    conn = connect("postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
            print(f"database: created {name}")
    conn.close()
    env = dict(os.environ, DATABASE_URL=db_url(name))
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)


def load_citizens(name: str, registry: Path, *, reload: bool = False) -> None:
    """records_citizen := the registry CSV, through COPY (keys computed as the model does)."""
    sys.path.insert(0, str(REPO))
    from records.normalize import fold_name, normalize_name, normalize_phone

    conn = connect(name)
    tag = f"{registry.resolve()} {registry.stat().st_size}"
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_linkage_loaded (tag text)")
        cur.execute("SELECT tag FROM bench_linkage_loaded")
        row = cur.fetchone()
        if row and row[0] == tag and not reload:
            cur.execute("SELECT count(*) FROM records_citizen")
            print(f"citizens: {cur.fetchone()[0]:,} already loaded from {registry.name}")
            conn.close()
            return
    t0 = time.perf_counter()
    now = dt.datetime.now(dt.UTC).isoformat()
    name_cache: dict[str, tuple[str, str]] = {}
    buf = io.StringIO()
    with open(registry, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            cid, legacy = r["citizen_id"], r["legacy_id"]
            full = r["full_name"]
            keys = name_cache.get(full)
            if keys is None:
                norm = normalize_name(full)
                keys = name_cache[full] = (norm, fold_name(norm))
            dob = r["date_of_birth"]
            year = dob[:4] if dob else "0"
            buf.write("\t".join((
                cid if len(cid) == 12 else r"\N", legacy if len(legacy) == 9 else "", keys[0], keys[1],
                dob or r"\N", year, "day" if len(dob) == 10 else "year", r["sex"],
                normalize_phone(r["phone"])[:10], "VN", now, now, r["ward_code"] or r"\N",
            )) + "\n")
    buf.seek(0)
    with conn.cursor() as cur:
        cur.execute("TRUNCATE records_citizen CASCADE")
        cur.copy_expert(
            "COPY records_citizen (cccd, cmnd, full_name, name_key, date_of_birth, birth_year, dob_precision,"
            " sex, phone, nationality, created_at, updated_at, ward_id) FROM STDIN", buf)
        cur.execute("DELETE FROM bench_linkage_loaded")
        cur.execute("INSERT INTO bench_linkage_loaded VALUES (%s)", (tag,))
        cur.execute("SELECT count(*) FROM records_citizen")
        n = cur.fetchone()[0]
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE records_citizen")
    conn.close()
    print(f"citizens: loaded {n:,} with COPY in {time.perf_counter() - t0:.1f}s")


# -- the timed run --------------------------------------------------------------------------

def run_api(reports: Path, output: Path, workers: int) -> None:
    """What match_records does, through the engine API only (runs inside the timed child)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxrecon.settings.dev")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.db import connection

    from verification.linkage import CitizenIndex, Engine, LinkageConfig
    from verification.linkage.training import fit_m

    ident = ("full_name", "date_of_birth", "sex", "id_number", "phone", "province_code", "ward_code")
    t0 = time.perf_counter()
    connection.ensure_connection()
    index = CitizenIndex.from_postgres(connection.connection)
    t1 = time.perf_counter()
    with open(reports, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    records = [{k: r[k] for k in ident} for r in rows]
    config = fit_m(index, records[:5000], LinkageConfig())
    t2 = time.perf_counter()
    engine = Engine(index, config)
    with connection.cursor() as cur:
        cur.execute("SELECT id, COALESCE(cccd, cmnd) FROM records_citizen")
        external = dict(cur.fetchall())
    with open(output, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("record_id", "decision", "citizen_id", "score", "candidates"))
        for row, res in zip(rows, engine.match_many(records, workers=workers)):
            w.writerow((row["record_id"], res.decision,
                        external.get(res.citizen_id, "") if res.decision == "linked" else "",
                        f"{res.score:.2f}" if res.score is not None else "",
                        ";".join(f"{external.get(c.citizen_id, c.citizen_id)}:{c.score:.2f}"
                                 for c in res.candidates[:5])))
    t3 = time.perf_counter()
    print(f"api: index {t1 - t0:.1f}s  read+fit {t2 - t1:.1f}s  match+write {t3 - t2:.1f}s", flush=True)


def _tree_pss(root: int) -> int:
    """Summed PSS (kB) of ``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def timed(cmd: list[str], env: dict) -> dict:
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    proc = subprocess.Popen(["/usr/bin/time", "-v", *cmd], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_pss(proc.pid))
            done.wait(0.2)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    done.set()
    t.join()
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    if proc.returncode:
        sys.stderr.write(out + err)
        raise SystemExit(f"timed run failed ({proc.returncode})")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", err)
    h, m, s = (float(x) if x else 0.0 for x in wall.groups())
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)[1])
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", err)[1])
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", err)[1])
    return {"wall": h * 3600 + m * 60 + s, "max_rss_mb": rss / 1024, "tree_pss_mb": peak[0] / 1024,
            "cpu": user + system, "load_before": load_before, "load_after": load_after,
            "stdout": (out.strip().splitlines()[-3:]
                       + [ln for ln in err.splitlines() if ln.startswith("stages:")])}


def accuracy(output: Path, truth_path: Path) -> dict:
    with open(truth_path, newline="", encoding="utf-8") as fh:
        truth = {r["record_id"]: r["citizen_id"] for r in csv.DictReader(fh)}
    linked = correct = true_matches = unlinked_true = covered = rows = 0
    with open(output, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            rows += 1
            want = truth.get(r["record_id"], "")
            true_matches += bool(want)
            if r["decision"] == "linked":
                linked += 1
                correct += r["citizen_id"] == want
            elif want:
                unlinked_true += 1
                cands = [c.rsplit(":", 1)[0] for c in r["candidates"].split(";") if c]
                covered += want in cands
    return {"rows": rows, "precision": correct / linked if linked else 1.0, "linked": linked,
            "wrong": linked - correct, "recall": correct / true_matches if true_matches else 1.0,
            "coverage": covered / unlinked_true if unlinked_true else 1.0,
            "covered": covered, "unlinked_true": unlinked_true}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--citizens", type=int, default=1_000_000)
    ap.add_argument("--records", "--reports", dest="records", type=int, default=200_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database", default="vaxrecon_linkage_bench")
    ap.add_argument("--mode", choices=("command", "api"), default="command")
    ap.add_argument("--reload", action="store_true", help="reload the citizens even if already there")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs (same data)")
    ap.add_argument("--run-api", nargs=2, metavar=("REPORTS", "OUTPUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.run_api:
        run_api(Path(args.run_api[0]), Path(args.run_api[1]), args.workers)
        return 0

    data = ensure_data(args.citizens, args.records, args.seed)
    ensure_database(args.database)
    load_citizens(args.database, data / "registry.csv", reload=args.reload)
    output = data / f"matches-{args.mode}.csv"
    env = dict(os.environ, DATABASE_URL=db_url(args.database))
    if args.mode == "command":
        cmd = [PY, "manage.py", "match_records", str(data / "reports.csv"), "--output", str(output),
               "--workers", str(args.workers), "--verbosity", "2"]
    else:
        cmd = [PY, str(Path(__file__).resolve()), "--workers", str(args.workers),
               "--run-api", str(data / "reports.csv"), str(output)]
    print(f"machine: {os.cpu_count()} CPUs, {_cpu_model()}, {_ram_gb():.1f} GB RAM")
    for k in range(args.repeat):
        res = timed(cmd, env)
        acc = accuracy(output, data / "truth.csv")
        print(f"run {k + 1} ({args.mode}, {args.workers} workers): wall {res['wall']:.1f}s  "
              f"cpu {res['cpu']:.1f}s  "
              f"max RSS {res['max_rss_mb']:.0f} MB  tree PSS peak {res['tree_pss_mb']:.0f} MB  "
              f"loadavg before {' '.join(res['load_before'])} after {' '.join(res['load_after'])}")
        for line in res["stdout"]:
            print("   ", line)
        print(f"    precision {acc['precision']:.5f} ({acc['linked'] - acc['wrong']}/{acc['linked']})  "
              f"recall {acc['recall']:.4f}  review coverage {acc['coverage']:.4f} "
              f"({acc['covered']}/{acc['unlinked_true']})  rows {acc['rows']:,}", flush=True)
        size = f"{acc['rows']:,} records"
        record("linkage", f"match_records wall, {size}", res["wall"], "s", "≤ 30 s (200k × 1M)",
               met=res["wall"] <= 30)
        record("linkage", f"match_records tree PSS peak, {size}", res["tree_pss_mb"], "MB", "≤ 2,048 MB",
               met=res["tree_pss_mb"] <= 2048)
        record("linkage", f"precision, {size}", acc["precision"], "", "≥ 0.999",
               met=acc["precision"] >= 0.999)
    return 0


def _cpu_model() -> str:
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"


def _ram_gb() -> float:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


if __name__ == "__main__":
    raise SystemExit(main())
