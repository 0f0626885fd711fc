"""Peak memory of the streamed figures CSV: the whole range, nation-wide, one row per ward and day.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vaxrecon_export_bench \\
      .venv/bin/python bench/reports_export_memory.py --fill      # make the figures first
    DATABASE_URL=postgres://... .venv/bin/python bench/reports_export_memory.py [--days 60] [--end D]

A benchmark, not a timed test (issue 10's target: peak RSS of the process ≤ 200 MB for the
60 days nation-wide by ward, about 200,000 rows). It reads a database that already holds
built figures (the lead's national benchmark database, or one filled here), logs a ministry
analyst in through the Django test client, GETs /reports/export/figures?unit_level=nation&
level=ward&format=csv for the `--days` days ending `--end` (default: the last built day),
iterates the StreamingHttpResponse piece by piece without keeping it, and prints the rows
and bytes written, the wall time and the peak RSS of the process (getrusage), with the RSS
before the export for comparison.

`--fill` (PostgreSQL, a throwaway database: it is created and migrated when missing)
replaces the ward rows of DailyFigures over the range with synthetic values for every one
of the 3,321 wards, in one INSERT ... SELECT generate_series (about 200,000 rows for 60 days).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxrecon.settings.dev")
USERNAME = "bench-export-analyst"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def create_database(url: str) -> None:
    """Create the database when missing, then migrate (units are loaded by the migrations)."""
    import environ

    db = environ.Env.db_url_config(url)
    server = ["-h", db["HOST"], "-U", db["USER"], "-p", str(db["PORT"] or 5432)]
    exists = subprocess.run(["psql", *server, "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{db['NAME']}'", "postgres"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run(["createdb", *server, db["NAME"]], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)


def fill(start: date, end: date) -> int:
    from django.db import connection, transaction

    from reports.figures import DURATION, FIGURES

    columns = ", ".join(f.name for f in FIGURES)
    # Values are a hash of (ward, day, figure): reproducible, and every cell differs.
    values = ", ".join(
        f"CASE WHEN (w.code + {i}) %% 5 = 0 THEN NULL"
        f" ELSE abs(hashint8(w.code * 1000 + d.n * 100 + {i})) %% 86400 END"
        if f.kind == DURATION else f"abs(hashint8(w.code * 1000 + d.n * 100 + {i})) %% 1000"
        for i, f in enumerate(FIGURES))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_dailyfigures WHERE level = 2 AND day BETWEEN %s AND %s",
                       [start, end])
        cursor.execute(f"""
            INSERT INTO reports_dailyfigures (day, level, unit, province, ward, {columns})
            SELECT d.day, 2, w.code, w.province_id, w.code, {values}
            FROM (SELECT day::date, row_number() OVER (ORDER BY day) n
                  FROM generate_series(%s::date, %s::date, interval '1 day') day) d
            CROSS JOIN records_ward w""", [start, end])
        rows = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_dailyfigures")
    return rows


def analyst():
    from django.contrib.auth import get_user_model

    from accounts.models import Role
    from accounts.services import user_create

    user = get_user_model().objects.filter(username=USERNAME).first()
    return user or user_create(username=USERNAME, password="bench-only-" + os.urandom(8).hex(),
                               role=Role.MINISTRY_ANALYST)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--end", type=date.fromisoformat, help="last day (default: the last built day)")
    parser.add_argument("--fill", action="store_true", help="write synthetic ward rows for the range first")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the production path).")
    if args.fill:
        create_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    from reports.models import DailyFigures, Level

    end = args.end or (timezone.localdate() - timedelta(days=1) if args.fill else
                       DailyFigures.objects.filter(level=Level.WARD).order_by("-day")
                       .values_list("day", flat=True).first())
    if end is None:
        sys.exit("No ward figures are built: pass --fill, or build days first (build_daily_report).")
    start = end - timedelta(days=args.days - 1)
    if args.fill:
        print(f"filled {fill(start, end):,} ward rows {start}..{end}", flush=True)
    stored = DailyFigures.objects.filter(level=Level.WARD, day__gte=start, day__lte=end).count()

    client = Client()
    client.force_login(analyst())
    before_peak, before_now = rss_mb(), current_rss_mb()
    started = time.monotonic()
    response = client.get("/reports/export/figures",
                          {"unit_level": "nation", "level": "ward", "format": "csv",
                           "start": start.isoformat(), "end": end.isoformat()})
    assert response.status_code == 200 and response.streaming, response.status_code
    size = lines = pieces = 0
    for piece in response.streaming_content:
        size += len(piece)
        lines += piece.count(b"\n")
        pieces += 1
    response.close()
    seconds = time.monotonic() - started
    print(f"range {start}..{end} ({args.days} days), stored ward rows {stored:,}")
    print(f"rows written {lines - 1:,} (+ header), {size / 1e6:.1f} MB in {pieces:,} pieces, {seconds:.1f} s")
    print(f"RSS before the export {before_now:.0f} MB (peak so far {before_peak:.0f} MB); "
          f"peak RSS of the process {rss_mb():.0f} MB (target <= 200 MB)")
    print("load average", " ".join(Path("/proc/loadavg").read_text().split()[:3]))


if __name__ == "__main__":
    main()
