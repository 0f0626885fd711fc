"""CPU per request of the REST API's three measured requests, in-process, on api_bench's data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vaxrecon_api_bench \\
      .venv/bin/python bench/api_cpu.py [--repeat 200] [--batches 5] [--profile create ...]

Production settings (as bench/page_cpu.py: ``vaxrecon.settings.prod`` with the local values
bench/web_load.py gives gunicorn, Redis from CELERY_BROKER_URL), the Django test client, the key
and people bench/api_bench.py picks (a new key of the busiest facility's clinic account; people
with no dose in the last week, from ``--seed``). Measured, after warm-up requests: ``GET`` of a
record (``--repeat``), a one-dose ``POST`` (``--repeat``), a ``POST`` of ``--batch`` doses to the
bulk endpoint (``--batches``). Printed per request: the mean CPU of this process (the Django side,
the client's share included), the mean CPU of the PostgreSQL backend serving it (from /proc), their
sum, the median wall time and the SQL statements. ``--profile NAME`` (read, create, bulk) prints
cProfile's top functions of further requests of that kind (not those measured). Writes doses,
their audit and idempotency rows, as api_bench does: a throwaway database, then a second run
with another ``--seed``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vaxrecon_api_bench")
# page_cpu sets the production environment (settings, local secrets, Redis) on import
from bench.page_cpu import backend_cpu  # noqa: E402

os.environ["API_THROTTLE_KEY"] = "10000000/min"  # as api_bench: the work itself, not the throttle's refusals
from bench.api_bench import dose, subjects  # noqa: E402


def _requests(people: dict, args) -> dict:
    """name -> (count, expected status, a function(client, n) sending the n-th request)."""
    auth = {"HTTP_AUTHORIZATION": f"ApiKey {people['token']}", "HTTP_X_FORWARDED_PROTO": "https",
            "secure": True}
    cccds, reads = iter(people["cccds"]), people["reads"]
    counter = iter(range(10**9))

    def post(path: str, body: dict):
        return lambda client: client.post(path, json.dumps(body), content_type="application/json",
                                          HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **auth)

    def read(client, n):
        return client.get(f"/api/v1/injections/{reads[n % len(reads)]}/", **auth)

    def create(client, n):
        return post("/api/v1/injections/", dose(next(cccds), next(counter)))(client)

    def bulk(client, n):
        records = [dose(next(cccds), next(counter)) for _ in range(args.batch)]
        return post("/api/v1/injections/bulk/", {"records": records})(client)

    return {"read": (args.repeat, 200, read), "create": (args.repeat, 201, create),
            "bulk": (args.batches, 200, bulk)}


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", action="append", help="only these requests (read, create, bulk)")
    parser.add_argument("--profile", action="append", default=[], help="cProfile this request (repeatable)")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sql", action="store_true",
                        help="print the statements of each kind's last request, each with its wall time")
    args = parser.parse_args()
    return args


def main() -> int:
    args = _args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    warm, profiled = 3, args.repeat // 2
    people = subjects(os.environ["DATABASE_URL"], reads=1000, seed=args.seed,
                      people=(2 * args.repeat + 2 * warm) + (2 * args.batches + warm) * args.batch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    print(f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print("| request | Django CPU ms | PostgreSQL CPU ms | CPU ms | wall ms | statements | status |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    profiles = {}
    client = Client()
    for name, (count, expected, make) in _requests(people, args).items():
        if args.only and name not in args.only:
            continue
        own, db, wall, statements, statuses = [], [], [], [], set()
        for n in range(count + warm):
            with CaptureQueriesContext(connection) as queries:
                cpu0, db0, wall0 = time.process_time(), backend_cpu(pid), time.perf_counter()
                response = make(client, n)
                cpu1, db1, wall1 = time.process_time(), backend_cpu(pid), time.perf_counter()
            if response.status_code != expected or (name == "bulk" and response.json()["refused"]):
                raise SystemExit(f"{name}: {response.status_code} {response.content[:300]!r}")
            if n >= warm:
                own.append(cpu1 - cpu0)
                db.append(db1 - db0)
                wall.append(wall1 - wall0)
                statements.append(len(queries))
                statuses.add(response.status_code)
        if args.sql:
            print(f"\n{name} (wall ms, statement): " + "\n  ".join(
                f"{float(q['time']) * 1000:7.2f}  {q['sql'][:300]}" for q in queries.captured_queries) + "\n")
        if name in args.profile:  # further requests, not in the figures above (cProfile slows them)
            profiles[name] = cProfile.Profile(time.process_time)  # CPU, not waits
            for n in range(profiled if name != "bulk" else args.batches):
                profiles[name].runcall(make, client, n)
        mean = statistics.mean
        print(f"| {name} | {mean(own) * 1000:.2f} | {mean(db) * 1000:.2f} | "
              f"{(mean(own) + mean(db)) * 1000:.2f} | {statistics.median(wall) * 1000:.2f} | "
              f"{statistics.median(statements):.0f} | {','.join(map(str, sorted(statuses)))} |", flush=True)
    print(f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    for name, profiler in profiles.items():
        _print_profile(name, profiler, args.top)
    return 0


def _print_profile(name: str, profiler: cProfile.Profile, top: int) -> None:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print(f"\n=== cProfile: {name}\n{out.getvalue()}")


if __name__ == "__main__":
    sys.exit(main())
