"""`import_records` on PostgreSQL against a raw `psql \\copy` of the same file, same run.

    .venv/bin/python bench/import_speed.py [--rows 1000000] [--data DIR] [--db vaxrecon_bench_import]

Generates (or reuses) a registry and a reports log with bench/gen_linkage_data.py (as many
citizens as rows), maps its synthetic commune codes onto real ones (the import checks the
commune exists), recreates the database DB, loads the registry with `import_citizens`,
then times: a raw `\\copy` of the reports file into a bare 12-column text table, and
`import_records` of the same file (validation, ledger, matching against the citizens,
landing; on PostgreSQL the set-based fast path), then `import_records` again (everything
already imported), then (untimed) `import_records --check-sql-links 20000`: the engine's
decision on a sample of the rows the fast path links in SQL. Prints `cat /proc/loadavg`
with each figure: the machine is shared. `--skip-setup` reuses the database and its citizens
(the import tables are emptied first).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def sh(cmd: list[str], env: dict, **kw) -> float:
    started = time.monotonic()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env, **kw)
    return time.monotonic() - started


def real_wards(data: Path) -> None:
    """Rewrite registry/reports with real commune codes (same synthetic code -> same real one)."""
    sys.path.insert(0, str(ROOT))
    from vietnam_provinces import Ward

    by_province: dict[int, list[int]] = {}
    for w in Ward.iter_all():
        by_province.setdefault(int(w.province_code), []).append(int(w.code))
    for codes in by_province.values():
        codes.sort()
    for name in ("registry.csv", "reports.csv"):
        src, dst = data / name, data / name.replace(".csv", ".real.csv")
        if dst.exists():
            continue
        with open(src, newline="", encoding="utf-8") as fin, open(dst, "w", newline="", encoding="utf-8") as fout:
            reader = csv.DictReader(fin)
            writer = csv.DictWriter(fout, fieldnames=reader.fieldnames)
            writer.writeheader()
            for row in reader:
                prov, ward = row["province_code"], row["ward_code"]
                if prov.isdigit() and ward.isdigit() and int(prov) in by_province:
                    codes = by_province[int(prov)]
                    row["ward_code"] = str(codes[int(ward) * 2654435761 % len(codes)])
                writer.writerow(row)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path)
    ap.add_argument("--db", default="vaxrecon_bench_import")
    ap.add_argument("--skip-setup", action="store_true", help="reuse the database and its citizens")
    args = ap.parse_args()
    data = args.data or ROOT / "bench" / "out" / f"import-{args.rows}"
    if not (data / "reports.csv").exists():
        data.mkdir(parents=True, exist_ok=True)
        sh([PY, "bench/gen_linkage_data.py", str(data), "--citizens", str(args.rows), "--reports", str(args.rows)],
           dict(os.environ))
    real_wards(data)
    reports, registry = data / "reports.real.csv", data / "registry.real.csv"
    url = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="vaxrecon.settings.dev", CELERY_BROKER_URL="")
    psql = ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres"]
    figures = []
    if not args.skip_setup:
        subprocess.run(psql + ["-c", f"DROP DATABASE IF EXISTS {args.db}"], check=True)
        subprocess.run(psql + ["-c", f"CREATE DATABASE {args.db}"], check=True)
        sh([PY, "manage.py", "migrate", "-v0"], env)
        load = loadavg()
        t = sh([PY, "manage.py", "import_citizens", str(registry), "--errors", str(data / "registry.errors.csv")], env)
        figures.append(("import_citizens (registry)", args.rows, t, load))
    rows = sum(1 for _ in open(reports, "rb")) - 1
    db = psql + ["-d", args.db]
    # The baseline is a plain (logged) table, like the import's own tables.
    subprocess.run(db + ["-c", "DROP TABLE IF EXISTS bench_raw_copy; CREATE TABLE bench_raw_copy ("
                     + ", ".join(f"c{i} text" for i in range(12)) + ")"], check=True)
    load = loadavg()
    t_raw = sh(db + ["-c", f"\\copy bench_raw_copy FROM '{reports}' WITH (FORMAT csv, HEADER true)"], env)
    figures.append(("psql \\copy into a bare table", rows, t_raw, load))
    subprocess.run(db + ["-c", "DROP TABLE bench_raw_copy"], check=True)
    subprocess.run(db + ["-c", "TRUNCATE verification_importedrow, verification_matchreview, "
                         "verification_reconciliationcase, records_injectionrecord CASCADE"], check=True)
    load = loadavg()
    t_imp = sh([PY, "manage.py", "import_records", str(reports), "--errors", str(data / "reports.errors.csv")], env)
    figures.append(("import_records (first run)", rows, t_imp, load))
    load = loadavg()
    t_again = sh([PY, "manage.py", "import_records", str(reports), "--errors", str(data / "reports.errors2.csv")],
                 env)
    figures.append(("import_records (same file again)", rows, t_again, load))
    # Not timed: how the engine decides a sample of the rows the SQL rule links (precision
    # check of the fast path's deterministic linking; writes nothing).
    check = subprocess.run([PY, "manage.py", "import_records", str(reports), "--check-sql-links", "20000"],
                           cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.strip()
    print()
    print(f"SQL-rule links re-checked by the engine: {check}")
    print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{datetime.now():%Y-%m-%d %H:%M}")
    print("| step | rows | wall s | rows/s | loadavg at start |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, n, t, load in figures:
        print(f"| {name} | {n:,} | {t:.1f} | {n / t:,.0f} | {load} |")
    print(f"import_records / raw copy (rows/s): first run {t_raw / t_imp:.1%}, re-run {t_raw / t_again:.1%}")


if __name__ == "__main__":
    main()
