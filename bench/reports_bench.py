"""Daily reports at national scale: one day's build beside a hand-written SQL baseline of
the same figures, a backfill of every day, and the dashboard JSON's latency.

    .venv/bin/python bench/reports_bench.py --database vaxrecon_national [--generate] [--days 60]

The database comes from bench/gen_national.py (10M injection records, 2M cases with their
events over 60 days). The baseline runs the builder's own grouped fact queries (the
hand-written SQL that counts every figure at the finest grain: facility x ward), with
nothing staged, rolled up, pivoted or written, in a transaction that is rolled back; the
build does all of that and stores four levels. Figures are wall-clock seconds of this
process; the machine is shared with whatever else runs, so say what did.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxrecon.settings.dev")


def _database_from_args() -> None:
    """--database NAME (with --generate: made by gen_national.py when it holds no data yet),
    read before Django starts so the settings see it."""
    if "--database" not in sys.argv:
        return
    name = sys.argv[sys.argv.index("--database") + 1]
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    if "--generate" not in sys.argv:
        return
    # Not checked: a database that does not exist yet answers with an error, and is then generated.
    probe = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-Atc",
                            "SELECT COUNT(*) > 0 FROM records_injectionrecord"],
                           capture_output=True, text=True, check=False)
    if probe.stdout.strip() != "t":
        sizes = ["--quick"] if "--quick" in sys.argv else []
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_national.py"), *sizes], check=True,
                       env=os.environ)


_database_from_args()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Profile, Role  # noqa: E402
from bench.results import record  # noqa: E402
from reports import build, stocks  # noqa: E402
from reports.services import build_days  # noqa: E402


def baseline_seconds(day) -> float:
    """The figures counted by hand-written SQL, nothing stored (rolled back)."""
    params = build.day_params(day)
    facts = [*build._case_facts(), *build._backlog_facts(carry=False), *build._leaving_facts(),
             *build._record_facts(), *stocks.facts(carry=False)]
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        build._temp_tables(cursor)
        for statement in facts:
            cursor.execute(statement, params)
        transaction.set_rollback(True)
    return time.monotonic() - started


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def json_latency(requests: int, start, end) -> dict:
    out = {}
    for role, label in ((Role.PROVINCIAL_OFFICER, "province"), (Role.MINISTRY_ANALYST, "nation")):
        profile = Profile.objects.filter(role=role).select_related("user").order_by("id").first()
        if profile is None:
            continue
        client = Client()
        client.force_login(profile.user)
        level, code = (1, profile.province_id) if role == Role.PROVINCIAL_OFFICER else (0, 0)
        url = reverse("reports:unit_json", args=[level, code])
        params = {"start": start.isoformat(), "end": end.isoformat()}
        client.get(url, params)  # warm
        samples = []
        for _ in range(requests):
            t = time.monotonic()
            response = client.get(url, params)
            samples.append(time.monotonic() - t)
            assert response.status_code == 200, response.status_code
        out[label] = {"p50_ms": round(statistics.median(samples) * 1000, 1),
                      "p95_ms": round(p95(samples) * 1000, 1), "max_ms": round(max(samples) * 1000, 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--skip-backfill", action="store_true")
    parser.add_argument("--backfill-only", action="store_true", help="only the backfill and the JSON reads")
    parser.add_argument("--database", help="a PostgreSQL database on 127.0.0.1 (default: DATABASE_URL)")
    parser.add_argument("--generate", action="store_true", help="fill it with gen_national.py when empty")
    parser.add_argument("--quick", action="store_true", help="with --generate: gen_national's quick sizes")
    parser.add_argument("--lanes", type=int, help="REPORTS_BUILD_LANES for the builds (default: the setting)")
    args = parser.parse_args()
    if args.lanes:
        settings.REPORTS_BUILD_LANES = args.lanes
    print(f"lanes: {settings.REPORTS_BUILD_LANES} (reports.lanes)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(created_at) FROM records_injectionrecord")
        last = timezone.localtime(cursor.fetchone()[0]).date()
        cursor.execute("SELECT COUNT(*) FROM records_injectionrecord")
        records = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM verification_reconciliationcase")
        cases = cursor.fetchone()[0]
    first = last - timedelta(days=args.days - 1)
    print(f"data: {records:,} injection records, {cases:,} cases; days {first} .. {last}")
    if not args.backfill_only:
        one_day(last - timedelta(days=1))  # a whole day (the last one may be partial)
    if not args.skip_backfill:
        backfill(first, last)
    latency = json_latency(args.requests, last - timedelta(days=13), last)
    for label, figures in latency.items():
        print(f"dashboard JSON ({label}, 14 days, {args.requests} requests): {figures}")
        record("reports", f"dashboard JSON p95, {label}", figures["p95_ms"], "ms", "≤ 100 ms",
               met=figures["p95_ms"] <= 100)


def one_day(day) -> None:
    """One day carried from the day before, again, and counted in full, beside the baseline."""
    before = build_days(start=day - timedelta(days=1), end=day - timedelta(days=1), full=True)[0]
    print(f"the day before, {before.day}, built first (so stocks can carry): {before.seconds:.2f} s",
          flush=True)
    base = baseline_seconds(day)
    one = build_days(start=day, end=day)[0]
    again = build_days(start=day, end=day)[0]
    lanes = settings.REPORTS_BUILD_LANES
    settings.REPORTS_BUILD_LANES = 1
    single = build_days(start=day, end=day)[0]  # the same build on one connection, same sitting
    settings.REPORTS_BUILD_LANES = lanes
    base2 = baseline_seconds(day)
    full = build_days(start=day, end=day, full=True)[0]
    best = min(one.seconds, again.seconds)
    print(f"one day {day}: build {one.seconds:.2f} s and {again.seconds:.2f} s ({one.rows:,} rows, stocks "
          f"{'carried' if one.carried and again.carried else 'counted'}); {full.seconds:.2f} s counting "
          f"every record; baseline {base:.2f} s and {base2:.2f} s; ratio {best / min(base, base2):.2f} "
          f"(counting every record: {full.seconds / min(base, base2):.2f})", flush=True)
    print(f"one day {day} on one connection: {single.seconds:.2f} s ({lanes} lanes: {best:.2f} s)",
          flush=True)
    baseline = min(base, base2)
    if lanes > 1:
        record("reports", "build one day, stocks carried, one connection", single.seconds, "s", "",
               baseline=baseline, baseline_label="hand-written SQL", ratio=single.seconds / baseline)
    record("reports", f"build one day, stocks carried ({lanes} lanes)", best, "s",
           "≤ 10 s and ≤ 1.5× baseline",
           met=best <= 10 and best <= 1.5 * baseline, baseline=baseline, baseline_label="hand-written SQL",
           ratio=best / baseline)
    record("reports", "build one day, counting every record", full.seconds, "s", "",
           baseline=baseline, baseline_label="hand-written SQL", ratio=full.seconds / baseline)


def backfill(first, last) -> None:
    """Every day of the range (one pass on PostgreSQL), with each statement's time."""
    started = time.monotonic()
    marks = [started]

    def phase(label, n, total):  # the range build's statements, as they finish
        now = time.monotonic()
        print(f"  [{n}/{total}] {label}: {now - marks[-1]:.2f} s", flush=True)
        marks.append(now)

    built = build_days(start=first, end=last, skip_locked=True, phase=phase)
    wall = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"backfill: {len(built)} days in {wall:.1f} s wall, {sum(b.rows for b in built):,} rows, "
          f"peak RSS {peak:.0f} MB")
    record("reports", f"backfill {len(built)} days", wall, "s", "≤ 180 s (60 days)",
           met=wall <= 180 if len(built) >= 60 else None)


if __name__ == "__main__":
    main()
