"""The REST API under load (issue 12): a facility's software with its API key, against gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vaxrecon_api_bench \\
      .venv/bin/python bench/api_bench.py [--generate] [--citizens 1000000] [--clients 8]
    .venv/bin/python bench/api_bench.py --quick --database vaxrecon_api_quick --generate

With ``--generate`` the database is filled first by ``bench/gen_national.py`` (its set-wise
generator: ``--citizens`` people over every ward with 2.5 records each, a few cases); a
database that already holds citizens is used as it is. Then gunicorn is started as the web
load starts it (bench/web_load.py: 2 workers of 4 threads, production settings, loopback), with the
API's per-key throttle raised out of the way (the throttle is tested, not measured here).

A key of the busiest facility's clinic account is made through the service (api_key_create),
then, each phase with its threads on kept-alive connections (``--read-clients``, 2: one per worker,
so the read's p95 is its own time, not a queue's; ``--clients``, 8, for the creates):

1. ``GET /api/v1/injections/{id}/`` of random records of that facility (``--reads`` requests):
   p50/p95/p99 (target p95 ≤ 30 ms);
2. ``POST /api/v1/injections/`` one dose per request (``--creates``), each a new booster of
   another person by CCCD, with its own Idempotency-Key: requests/s over the phase and p95
   (targets ≥ 300 req/s, p95 ≤ 100 ms);
3. ``POST /api/v1/injections/bulk/`` with ``--batch`` doses per request (``--bulk`` doses in
   all), each item all or nothing: records/s over the phase (target ≥ 5,000 records/s); every
   item must be recorded (201), or the run fails.

Each phase also reports the server's CPU per request: gunicorn's workers and the database's
PostgreSQL backends, read from /proc before and after it (other work on the machine is not
counted), and what that CPU per request allows on this machine's cores at most (cores / CPU per
request): where a target is out of reach of the hardware, that figure says so.

Every answer must have the expected status (200, 201), else it counts as an error and the
run exits 1. Figures go to bench/results.py (``make bench``'s table). The benchmark writes
doses (dated today, so no duplicate of the generated 2021-2022 courses), their audit rows and
idempotency rows: run it on a throwaway database (a second run there gives its doses to people
with none in the last week), and drop it afterwards
(``dropdb -h 127.0.0.1 -U postgres vaxrecon_api_bench``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.results import record  # noqa: E402
from bench.web_load import free_port, percentile, start_gunicorn  # noqa: E402

NAME = "REST API"


class KeyClient:
    """One facility software connection: kept alive, the API key on every request."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"ApiKey {self.token}", "Host": f"127.0.0.1:{self.port}",
                   "X-Forwarded-Proto": "https", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers.update({"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex})
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn = None  # gunicorn closed the kept-alive socket: once more on a new one
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _django(database_url: str):
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="vaxrecon.settings.dev")
    import django

    django.setup()


def subjects(database_url: str, *, reads: int, people: int, seed: int) -> dict:
    """The busiest facility's clinic account and a key for it; records of that facility to read;
    CCCDs of `people` distinct citizens to give a new dose to."""
    _django(database_url)
    from django.contrib.auth.models import User
    from django.db import connection

    from api.services import api_key_create

    with connection.cursor() as cur:
        cur.execute("SELECT facility_id FROM records_injectionrecord GROUP BY 1 ORDER BY count(*) DESC "
                    "LIMIT 1")
        facility = cur.fetchone()[0]
        cur.execute("SELECT id FROM records_injectionrecord WHERE facility_id = %s", [facility])
        records = [r[0] for r in cur.fetchall()]
        # People with no dose in the last week: a second run on the same data gives its doses
        # (dated today) to people the first did not, so none is refused as the same dose again.
        cur.execute("SELECT c.cccd FROM records_citizen c WHERE c.cccd IS NOT NULL AND c.cccd <> '' "
                    "AND NOT EXISTS (SELECT 1 FROM records_injectionrecord r WHERE r.citizen_id = c.id "
                    "AND r.injection_date > current_date - 7) "
                    "ORDER BY md5(c.id::text || %s) LIMIT %s", [str(seed), people])
        cccds = [r[0] for r in cur.fetchall()]
    # The facility's own clinic account, not a key user an earlier run made (a key has a clinic profile too).
    staff = (User.objects.filter(profile__role="clinic_staff", profile__facility=facility)
             .exclude(username__startswith="apikey-").order_by("pk").first())
    key = api_key_create(actor=staff, name="api bench", role="clinic_staff")
    rng = random.Random(seed)
    return {"facility": facility, "token": key.token, "reads": [rng.choice(records) for _ in range(reads)],
            "cccds": cccds}


def dose(cccd: str, n: int) -> dict:
    return {"cccd": cccd, "vaccine": "pfizer", "dose_number": 5, "injection_date": date.today().isoformat(),
            "lot_number": f"BENCH{n % 1000:03d}", "source_record_id": f"bench-{n}"}


def run_phase(port: int, token: str, clients: int, jobs: list, expect: int) -> tuple[list[float], int, float]:
    """Send `jobs` ((method, path, body)) over `clients` connections: latencies (s), errors, wall.
    An error is an answer of another status, or a bulk answer with refused items (one each)."""
    local = threading.local()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def one(job) -> None:
        if not hasattr(local, "client"):
            local.client = KeyClient(port, token)
        started = time.perf_counter()
        try:
            status, body = local.client.send(*job)
        except OSError as error:
            status, body = 0, str(error).encode()
        took = time.perf_counter() - started
        with lock:
            latencies.append(took)
            refused = json.loads(body).get("refused", 0) if status == expect and job[2] and \
                "records" in job[2] else 0
            if status != expect or refused:
                errors[0] += max(1, refused)
                if errors[0] <= 3:
                    print(f"   unexpected {status}: {body[:300]!r}")

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, jobs))
    return latencies, errors[0], time.perf_counter() - began


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU the server side spends: gunicorn's workers and the PostgreSQL backends of the database
    (kept across requests: CONN_MAX_AGE), read from /proc, so a phase's CPU per request is known
    whatever else the machine runs (Linux, the database on this machine)."""

    def __init__(self, server_pid: int, database: str):
        self.server_pid, self.database = server_pid, database

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children")
        workers = [int(p) for p in children.read_text().split()] if children.exists() else []
        probe = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", self.database, "-Atc",
                                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid()"], capture_output=True, text=True, check=False)
        return workers + [int(p) for p in probe.stdout.split()]

    def seconds(self) -> dict[int, float]:
        return {pid: _cpu_of(pid) for pid in self.pids()}

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def summary(name: str, latencies: list[float], errors: int, wall: float, items: int, *,
            cpu: float | None = None) -> dict:
    ms = [v * 1000 for v in latencies]
    out = {"phase": name, "requests": len(ms), "errors": errors, "p50": percentile(ms, 0.5),
           "p95": percentile(ms, 0.95), "p99": percentile(ms, 0.99), "per_s": len(ms) / wall,
           "items_per_s": items / wall, "wall": wall,
           "cpu_ms": None if cpu is None else cpu * 1000 / max(1, len(ms))}
    print(f"{name:28} {out['requests']:7} req {errors:4} err  p50 {out['p50']:6.1f}  p95 {out['p95']:6.1f}  "
          f"p99 {out['p99']:6.1f} ms  {out['per_s']:8.1f} req/s  {out['items_per_s']:9.1f} items/s")
    if cpu is not None:  # what 2 cores could serve at this CPU per request, nothing else running
        cores, per_request = os.cpu_count() or 1, out["cpu_ms"]
        ceiling = cores * 1000 / per_request
        print(f"{'':28} server CPU {per_request:.1f} ms a request (gunicorn + PostgreSQL): at most "
              f"{ceiling:.0f} req/s, {ceiling * items / len(ms):.0f} items/s on {cores} cores")
    return out


def measured(name: str, cpu: ServerCpu, items: int, run) -> dict:
    """One phase (`run()` -> latencies, errors, wall) with the server's CPU over it."""
    before = cpu.seconds()
    latencies, errors, wall = run()
    return summary(name, latencies, errors, wall, items, cpu=ServerCpu.spent(before, cpu.seconds()))


def generate(database: str, citizens: int) -> None:
    url = f"postgres://postgres@127.0.0.1:5432/{database}"
    probe = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atc",
                            "SELECT COUNT(*) > 0 FROM records_citizen"], capture_output=True, text=True,
                           check=False)
    if probe.stdout.strip() == "t":
        return
    # 2.5 records a person (the generator needs 2 a person for its cases, plus the corrected 1 %)
    sizes = ["--citizens", str(citizens), "--injections", str(citizens * 5 // 2), "--cases",
             str(max(1000, citizens // 50)), "--days", "7"]
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="vaxrecon.settings.dev")
    subprocess.run([sys.executable, str(HERE / "gen_national.py"), *sizes, "--seed", "1"], cwd=ROOT, env=env,
                   check=True)


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="")
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8, help="connections of the create phases")
    parser.add_argument("--read-clients", type=int, default=2,
                        help="connections of the read phase: one per worker (p95 is the request's time)")
    parser.add_argument("--reads", type=int, default=5000)
    parser.add_argument("--creates", type=int, default=3000)
    parser.add_argument("--bulk", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per gunicorn worker (gthread, as production runs it; 1: sync workers)")
    parser.add_argument("--quick", action="store_true", help="20,000 citizens, a few hundred requests")
    args = parser.parse_args()
    if args.quick:
        args.citizens, args.reads, args.creates, args.bulk, args.batch = 20_000, 300, 200, 2000, 500
    return args


def main() -> int:
    args = _args()
    if args.database:
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        raise SystemExit("set DATABASE_URL or --database")
    if args.generate:
        generate(database_url.rsplit("/", 1)[1], args.citizens)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    people = subjects(database_url, reads=args.reads, people=args.creates + args.bulk,
                      seed=args.seed)
    cccds = people["cccds"]
    os.environ["API_THROTTLE_KEY"] = "10000000/min"  # out of the way: measured here is the work itself
    port = free_port()
    server = start_gunicorn(database_url, port, 2, args.threads)
    try:
        token = people["token"]
        run_phase(port, token, args.clients, [("GET", f"/api/v1/injections/{pk}/", None)
                                              for pk in people["reads"][:200]], 200)  # warm-up
        cpu = ServerCpu(server.pid, database_url.rsplit("/", 1)[1])
        reads = [("GET", f"/api/v1/injections/{pk}/", None) for pk in people["reads"]]
        read = measured("GET a record", cpu, len(reads),
                        lambda: run_phase(port, token, args.read_clients, reads, 200))
        creates = [("POST", "/api/v1/injections/", dose(c, n)) for n, c in enumerate(cccds[:args.creates])]
        create = measured("POST one dose per request", cpu, args.creates,
                          lambda: run_phase(port, token, args.clients, creates, 201))
        rest = cccds[args.creates:args.creates + args.bulk]
        batches = [[dose(c, args.creates + i + n) for n, c in enumerate(rest[i:i + args.batch])]
                   for i in range(0, len(rest), args.batch)]
        bulk = measured(f"POST bulk ({args.batch} a request)", cpu, len(rest), lambda: run_phase(
            port, token, min(args.clients, 2), [("POST", "/api/v1/injections/bulk/", {"records": b})
                                                for b in batches], 200))
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    errors = read["errors"] + create["errors"] + bulk["errors"]
    print(f"\n{args.citizens:,} citizens; 2 gunicorn workers x {args.threads} threads; "
          f"{args.read_clients}/{args.clients} clients; "
          f"load at start {load}; errors {errors}")
    record(NAME, "GET a record, p95", read["p95"], "ms", "≤ 30 ms", met=read["p95"] <= 30)
    record(NAME, "create one dose per request", create["per_s"], "req/s", "≥ 300 req/s",
           met=create["per_s"] >= 300)
    record(NAME, "create one dose per request, p95", create["p95"], "ms", "≤ 100 ms",
           met=create["p95"] <= 100)
    record(NAME, "bulk create", bulk["items_per_s"], "records/s", "≥ 5,000 records/s",
           met=bulk["items_per_s"] >= 5000)
    record(NAME, "errors", errors, "", "0", met=errors == 0)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
