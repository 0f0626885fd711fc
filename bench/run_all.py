"""`make bench`: run every benchmark in turn and rewrite the one table of figures.

    make bench            # the issues' sizes, on PostgreSQL (about 45 minutes here)
    make bench QUICK=1    # every benchmark small (a few minutes): CI runs it so none can rot

Each script prints its own detail and records its figures (bench/results.py): the measured
value, the issue's target and the baseline measured in the same run. At the end the table at
the top of docs/BENCHMARKS.md is rewritten with the date, commit, machine and load (a quick
run writes it to bench/out/quick-table.md instead: quick sizes say nothing about the
targets, which are for the full sizes). Exit status 1 if any benchmark failed or recorded
nothing. A quick run drops the databases it made.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench import results  # noqa: E402

NATIONAL, QUICK_NATIONAL = "vaxrecon_national", "vaxrecon_reports_quick"
# The signing benchmark signs demo records: seed_demo's synthetic citizens (about 2 doses each).
SIGNING = {False: ("vaxrecon_bench", 490_000), True: ("vaxrecon_sign_quick", 6_000)}
CERTIFICATES = {False: "vaxrecon_certificates_bench", True: "vaxrecon_certificates_quick"}
BENCHES = [
    # script, full-size args, quick args
    ("linkage_accuracy.py", [], []),
    ("linkage_speed.py", [], ["--citizens", "100000", "--records", "20000", "--database",
                              "vaxrecon_linkage_quick"]),
    ("import_speed.py", [], ["--rows", "50000", "--db", "vaxrecon_import_quick"]),
    ("sign_raw.py", [], ["--records", "5000", "--hsm-records", "500"]),
    ("sign_bench.py", [], ["--records", "10000", "--hsm-records", "500", "--raw", "5000", "--no-report"]),
    ("reports_bench.py", ["--database", NATIONAL, "--generate"],
     ["--database", QUICK_NATIONAL, "--generate", "--quick", "--days", "14", "--requests", "50"]),
    ("web_load.py", [], ["--users", "10", "--duration", "20", "--warmup", "5"]),
    ("certificates_bench.py", ["--citizens", "50000"], ["--citizens", "2000"]),
    # Last: it adds doses (dated today) to the national data it shares with the reports and web load.
    ("api_bench.py", ["--database", NATIONAL, "--generate"],
     ["--database", QUICK_NATIONAL, "--generate", "--quick"]),
]
QUICK_DATABASES = ["vaxrecon_linkage_quick", "vaxrecon_import_quick", QUICK_NATIONAL, SIGNING[True][0],
                   CERTIFICATES[True]]


def _url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def _prepare(name: str, *, citizens: int = 0) -> None:
    """Create, migrate and (with `citizens`) seed a benchmark's database, unless it already
    holds citizens (signing) or wards (certificates: its own set-up makes its citizens)."""
    table = "records_citizen" if citizens else "records_ward"
    probe = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-Atc",
                            f"SELECT COUNT(*) > 0 FROM {table}"], capture_output=True, text=True, check=False)
    if probe.stdout.strip() == "t":
        return
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=False)
    env = dict(os.environ, DATABASE_URL=_url(name), DJANGO_SETTINGS_MODULE="vaxrecon.settings.dev")
    commands = [["migrate", "-v0"], ["load_divisions"]]
    if citizens:
        commands.append(["seed_demo", "--citizens", str(citizens)])
    for command in commands:
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


SHARED_SAMPLE = ROOT.parent / "shared" / "data" / "linkage-sample"


def _accuracy_args() -> list[str]:
    """The shared sample with its ground truth when it is there (beside the checkout), else
    data of the project's own generator (the same sizes: 20,000 citizens, 4,000 reports)."""
    if (SHARED_SAMPLE / "truth.csv").exists():
        return []
    out = HERE / "out" / "accuracy-generated"
    if not (out / "truth.csv").exists():
        subprocess.run([sys.executable, str(HERE / "gen_linkage_data.py"), str(out)], cwd=ROOT, check=True)
    return [str(out)]


def _database_env(script: str, quick: bool) -> dict:
    """The web load runs on the national data the reports benchmark made; signing on its own."""
    if script == "web_load.py":
        return {"DATABASE_URL": _url(QUICK_NATIONAL if quick else NATIONAL)}
    if script == "sign_bench.py":
        _prepare(SIGNING[quick][0], citizens=SIGNING[quick][1])
        return {"DATABASE_URL": _url(SIGNING[quick][0])}
    if script == "certificates_bench.py":
        _prepare(CERTIFICATES[quick])
        return {"DATABASE_URL": _url(CERTIFICATES[quick])}
    return {}


def _heading(quick: bool, started: datetime, load: str) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip() or "?"
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    ram = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    size = "QUICK sizes (a check that every benchmark runs; the targets are for the full sizes)" if quick \
        else "the issues' sizes"
    return (f"**Every figure, `make bench`** ({size}): {started:%Y-%m-%d %H:%M} UTC, commit {commit}, "
            f"{os.cpu_count()} CPUs ({cpu}), {ram:.1f} GiB RAM, PostgreSQL on 127.0.0.1; load average at the "
            f"start {load}. Each benchmark's detail is in its section below.")


def main() -> int:
    quick = "--quick" in sys.argv
    started, load = datetime.utcnow(), " ".join(Path("/proc/loadavg").read_text().split()[:3])
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "figures.jsonl"
        for script, full, small in BENCHES:
            before = len(results.load(store))
            began = time.monotonic()
            try:
                data = _accuracy_args() if script == "linkage_accuracy.py" else []
                args = (small if quick else full) + data
                env = dict(os.environ, BENCH_RESULTS=str(store), **_database_env(script, quick))
            except subprocess.CalledProcessError as error:
                print(f"-- {script}: its data could not be prepared ({error})")
                failures += 1
                continue
            print(f"\n== {script} {' '.join(args)}", flush=True)
            # Not checked: a failing benchmark is counted and the others still run.
            done = subprocess.run([sys.executable, str(HERE / script), *args], cwd=ROOT, env=env, check=False)
            recorded = len(results.load(store)) - before
            print(f"-- {script}: exit {done.returncode}, {recorded} figure(s), "
                  f"{time.monotonic() - began:.0f} s")
            failures += done.returncode != 0 or recorded == 0
        block = results.table(results.load(store), heading=_heading(quick, started, load))
    if quick:
        out = HERE / "out" / "quick-table.md"
        out.parent.mkdir(exist_ok=True)
        out.write_text(block + "\n", encoding="utf-8")
        for name in QUICK_DATABASES:
            subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name], check=False)
    else:
        out = ROOT / "docs" / "BENCHMARKS.md"
        results.rewrite(out, block)
    print(f"\n{block}\n\nTable written to {out}; {failures} benchmark(s) failed.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
