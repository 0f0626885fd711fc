"""CPU per request of each page of the web load's mix, in-process, on the national data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vaxrecon_national \\
      .venv/bin/python bench/page_cpu.py [--repeat 20] [--profile "case page"] [--page login ...]

Production settings (``vaxrecon.settings.prod`` with the local values bench/web_load.py gives
gunicorn, Redis from CELERY_BROKER_URL), the Django test client, the users and subjects
bench/web_load.py picks (the busiest of each role). Each page is asked ``--repeat`` times
after two warm-up requests; printed per page: the mean CPU of this process (the Django
side), the mean CPU of the PostgreSQL backend serving it (read from /proc, in clock ticks
of 10 ms: a mean over many requests), their sum, the median wall time and SQL statements.
``--profile PAGE`` prints cProfile's top functions of that page's further ``--repeat``
requests (not those measured). Writes what the load writes: sessions, claims, police
decisions (one per measured request of "police decision").
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "vaxrecon.settings.prod",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "POPULATION_REGISTRY_API_KEY": "bench-registry-key",
    "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "LOG_LEVEL": "WARNING",
    "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR", "CLIENT_IP_PROXY_COUNT": "1",
})
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vaxrecon_national")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")

from bench.web_load import CSRF_RE, PASSWORD, people  # noqa: E402

HEADERS = {"HTTP_ACCEPT_LANGUAGE": "vi", "HTTP_X_FORWARDED_PROTO": "https", "secure": True}


def backend_cpu(pid: int) -> float:
    """User + system CPU seconds of a PostgreSQL backend (same machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pages(subjects: dict) -> dict:
    """page -> (username or "", a function(client, n) making the n-th request)."""
    clinic, police, signer = subjects["clinic"], subjects["police"], subjects["signer"]
    province = subjects["province"]
    end = datetime.date.today()
    days = urlencode({"start": (end - datetime.timedelta(days=13)).isoformat(), "end": end.isoformat()})
    filters = [{"status": "in_review"}, {"status": "submitted"}, {"q": clinic["name"]}]

    def get(path):
        return lambda client, n: client.get(path, **HEADERS)

    def login(client, n):
        client.logout()
        text = client.get("/login/", **HEADERS).content.decode()
        token = CSRF_RE.search(text).group(1)
        return client.post("/login/", {"username": clinic["username"], "password": PASSWORD,
                                       "csrfmiddlewaretoken": token}, **HEADERS)

    def next_case(client, n):
        return client.post("/verification/police/next/", **HEADERS)

    def police_case(client, n):
        return client.get(client.post("/verification/police/next/", **HEADERS)["Location"], **HEADERS)

    def decision(client, n):
        location = client.post("/verification/police/next/", **HEADERS)["Location"]
        return client.post(location, {"outcome": "match", "note": "Khớp CSDL quốc gia về dân cư."},
                           **HEADERS)

    codes = subjects["citizen"]["codes"]
    return {
        "login": ("", login),
        "login form": ("", get("/login/")),
        "clinic queue": (clinic["username"], get("/verification/queue/")),
        "clinic queue (filtered)": (clinic["username"], lambda c, n: c.get(
            "/verification/queue/?" + urlencode(filters[n % 3]), **HEADERS)),
        "case page": (clinic["username"], lambda c, n: c.get(
            f"/verification/cases/{clinic['cases'][n % len(clinic['cases'])]}/", **HEADERS)),
        "home (clinic)": (clinic["username"], get("/")),
        "police queue": (police["username"], get("/verification/police/")),
        "police next case": (police["username"], next_case),
        "police case page": (police["username"], police_case),
        "police decision": (police["username"], decision),
        "signer list": (signer["username"], get("/signing/")),
        "signer list page 2": (signer["username"], get("/signing/?page=2")),
        "home (signer)": (signer["username"], get("/")),
        "home (police)": (police["username"], get("/")),
        "home (province)": (province["username"], get("/")),
        "dashboard JSON (province)": (province["username"],
                                      get(f"/reports/units/1/{province['province']}/figures.json?{days}")),
        "home (ministry)": ("ministry", get("/")),
        "dashboard JSON (ministry)": ("ministry", get(f"/reports/units/0/0/figures.json?{days}")),
        "citizen status page": ("", lambda c, n: c.get(
            f"/verification/status/{codes[n % len(codes)]}/",
            HTTP_X_FORWARDED_FOR=f"10.1.{n // 250}.{n % 250 + 1}", **HEADERS)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--page", action="append", help="only these pages (repeatable)")
    parser.add_argument("--profile", action="append", default=[], help="cProfile this page (repeatable)")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from verification.models import ReconciliationCase

    persons = people(os.environ["DATABASE_URL"], 50, 1, set())
    subjects = {}
    for person in persons:
        subjects.setdefault(person["role"], person)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    print("| page | Django CPU ms | PostgreSQL CPU ms | CPU ms | wall ms | statements | status |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    profiles = {}
    for page, (username, make) in pages(subjects).items():
        if args.page and page not in args.page:
            continue
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        own, db, wall, statements, statuses = [], [], [], [], set()
        for n in range(args.repeat + 2):
            with CaptureQueriesContext(connection) as queries:
                cpu0, db0, wall0 = time.process_time(), backend_cpu(pid), time.perf_counter()
                response = make(client, n)
                cpu1, db1, wall1 = time.process_time(), backend_cpu(pid), time.perf_counter()
            if n >= 2:
                own.append(cpu1 - cpu0)
                db.append(db1 - db0)
                wall.append(wall1 - wall0)
                statements.append(len(queries))
                statuses.add(response.status_code)
        if page in args.profile:  # further requests, not in the figures above (cProfile slows them)
            profiles[page] = cProfile.Profile()
            for n in range(args.repeat):
                profiles[page].runcall(make, client, n)
        if username:
            ReconciliationCase.objects.filter(claimed_by__username=username).update(
                claimed_by=None, claim_expires_at=None)
        mean = statistics.mean
        print(f"| {page} | {mean(own) * 1000:.1f} | {mean(db) * 1000:.1f} | "
              f"{(mean(own) + mean(db)) * 1000:.1f} | {statistics.median(wall) * 1000:.1f} | "
              f"{statistics.median(statements):.0f} | {','.join(map(str, sorted(statuses)))} |", flush=True)
    for page, profiler in profiles.items():
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        out.write("\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
        print(f"\n=== cProfile: {page} ({args.repeat} requests)\n{out.getvalue()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
