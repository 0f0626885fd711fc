"""Pages under load: the app under gunicorn (production settings) and simulated users of every role.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vaxrecon_national \\
      .venv/bin/python bench/web_load.py [--users 50] [--duration 125] [--warmup 15] [--markdown out.md]

Starts gunicorn (2 workers of 4 threads each as production runs them, ``--threads 1``: sync
workers; ``vaxrecon.settings.prod`` with local values for its required variables, PostgreSQL
from DATABASE_URL, Redis at 127.0.0.1:6379) on a loopback
port after ``collectstatic``, or uses ``--url`` (loopback only). Then ``--users`` threads, each
a person with a real account of the national data (``bench/gen_national.py``): clinic staff,
commune police, signers, provincial officers, the ministry analyst, and citizens following
a case by its tracking code. Each logs in, then loops over its role's visits (a visit: 1-5
pages, e.g. the clinic queue, a filtered queue, a case) with a think time of 1-3 s before every
page (closed loop, as locust's ``between(1, 3)`` per page; ``--think visit``: only between
visits, each visit's pages back to back) and logs in again every 25 visits.
A warm-up (not counted) precedes the measured window; requests started in the window are
counted however late they end, and one taking over 30 s counts as an error. The run stops
by itself after at most 180 s (plus gunicorn's start).

Prints per page: requests, errors, p50 / p95 / p99 in ms (client-side, full response read)
and requests/s over the measured window. Exit status 1 if any request failed.

Writes: police decisions change the data (a case moves from awaiting police to awaiting
signature, with its events and audit rows); with 10 police users that is a few hundred
cases of the 2,000,000 per run. Nothing else is written except sessions and claims.

A plain thread-pool client (stdlib ``http.client``) rather than locust: the load is a few
dozen requests per second, and locust would bring gevent, Flask and their dependencies.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import record  # noqa: E402

PASSWORD = "vaxrecon-demo-2021"
# role -> share of the simulated users
MIX = [("clinic", 0.36), ("police", 0.2), ("signer", 0.12), ("citizen", 0.16), ("province", 0.1),
       ("ministry", 0.06)]
RELOGIN_EVERY = 25
REQUEST_TIMEOUT = 30  # seconds; a slower answer counts as an error
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Client:
    """One browser: keep-alive connection, cookies, CSRF token."""

    def __init__(self, host: str, port: int, address: str = ""):
        self.host, self.port = host, port
        self.address = address  # the client's own address, as the site's proxy reports it
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None
        # Called before each measured page but the first of a visit (--think page): a person
        # reads a page before opening the next one.
        self.think: Callable[[], object] | None = None
        self.pages_in_visit = 0

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        body = urlencode(form) if form is not None else None
        # As behind production's TLS proxy (SECURE_PROXY_SSL_HEADER): the request counts as
        # HTTPS, so the SSL redirect lets it through and CSRF compares an https Referer.
        headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "vi", "X-Forwarded-Proto": "https",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if self.address:
            headers["X-Forwarded-For"] = self.address
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{self.host}:{self.port}{path}"
            if "csrftoken" in self.cookies:
                headers["X-CSRFToken"] = self.cookies["csrftoken"]
        for attempt in (0, 1):
            reused = self.conn is not None
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn = None  # gunicorn closed the kept-alive socket: send once more on a new one
                if attempt or not reused:
                    raise
            except Exception:
                self.conn = None  # a timeout or another failure: no second try
                raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers.get("Location", ""), text


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_examples: list[str] = []
        self.window = (float("inf"), float("inf"))  # monotonic start and end of the measured window

    def add(self, page: str, started: float, seconds: float, ok: bool, detail: str = "") -> None:
        """Count a request that started inside the window (however late it finished)."""
        if not self.window[0] <= started < self.window[1]:
            return
        with self.lock:
            self.samples[page].append(seconds)
            if not ok:
                self.errors[page] += 1
                if len(self.error_examples) < 10:
                    self.error_examples.append(f"{page}: {detail}")


def timed(stats: Stats, page: str, client: Client, method: str, path: str, *, form=None,
          expect=(200, 302)):
    if client.think is not None and client.pages_in_visit:
        client.think()
    client.pages_in_visit += 1
    started = time.monotonic()
    try:
        status, location, text = client.request(method, path, form)
    except Exception as exc:  # noqa: BLE001 - a failed request (or a timeout) is a measured error
        stats.add(page, started, time.monotonic() - started, False, f"{type(exc).__name__} {path}")
        return None, "", ""
    stats.add(page, started, time.monotonic() - started, status in expect, f"HTTP {status} {method} {path}")
    return status, location, text


def unmeasured(client: Client, path: str) -> str:
    """A page read for its form's CSRF token, not counted; "" if it fails."""
    try:
        return client.request("GET", path)[2]
    except Exception:  # noqa: BLE001 - the measured request that follows reports the failure
        return ""


def login(stats: Stats, client: Client, username: str) -> None:
    client.cookies.clear()
    text = unmeasured(client, "/login/")  # the form and its CSRF cookie
    token = CSRF_RE.search(text)
    timed(stats, "login", client, "POST", "/login/",
          form={"username": username, "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else ""},
          expect=(302,))


def csrf_of(text: str) -> str:
    found = CSRF_RE.search(text)
    return found.group(1) if found else ""


def clinic_pages(stats, client, person, rng):
    timed(stats, "clinic queue", client, "GET", "/verification/queue/")
    query = rng.choice([{"status": "in_review"}, {"status": "submitted"}, {"q": person["name"]}])
    timed(stats, "clinic queue (filtered)", client, "GET", "/verification/queue/?" + urlencode(query))
    if person["cases"]:
        timed(stats, "case page", client, "GET", f"/verification/cases/{rng.choice(person['cases'])}/")


def police_pages(stats, client, person, rng):
    _status, _location, text = timed(stats, "police queue", client, "GET", "/verification/police/")
    status, location, _t = timed(stats, "police next case", client, "POST", "/verification/police/next/",
                                 form={"csrfmiddlewaretoken": csrf_of(text)}, expect=(302,))
    if status == 302 and "/police/cases/" in location:
        path = urlparse(location).path
        status, _l, text = timed(stats, "police case page", client, "GET", path)
        if status == 200 and rng.random() < 0.5:
            timed(stats, "police decision", client, "POST", path,
                  form={"csrfmiddlewaretoken": csrf_of(text), "outcome": "match",
                        "note": "Khớp CSDL quốc gia về dân cư."}, expect=(302,))


def signer_pages(stats, client, person, rng):
    timed(stats, "signer list", client, "GET", "/signing/")
    if rng.random() < 0.3:
        timed(stats, "signer list page 2", client, "GET", "/signing/?page=2")


def home_page(stats, client, person, rng):
    timed(stats, f"home ({person['role']})", client, "GET", "/")


def officer_pages(stats, client, person, rng):
    """Provincial officers and the ministry: home, then the dashboard's figures (JSON of the
    stored daily figures) for their province or the nation, the last 14 days."""
    home_page(stats, client, person, rng)
    level, code = (1, person["province"]) if person["role"] == "province" else (0, 0)
    end = datetime.date.today()
    query = urlencode({"start": (end - datetime.timedelta(days=13)).isoformat(), "end": end.isoformat()})
    timed(stats, f"dashboard JSON ({person['role']})", client, "GET",
          f"/reports/units/{level}/{code}/figures.json?{query}")


def citizen_pages(stats, client, person, rng):
    # Each look-up is another citizen, from their own address: one person following a case
    # looks a few times a day, not every 2 s (the per-address limit would answer 429, rightly).
    client.address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    timed(stats, "citizen status page", client, "GET", f"/verification/status/{rng.choice(person['codes'])}/")


PAGES = {"clinic": clinic_pages, "police": police_pages, "signer": signer_pages, "province": officer_pages,
         "ministry": officer_pages, "citizen": citizen_pages}


def person_loop(person, *, host, port, stats: Stats, stop: threading.Event, seed: int,
                think: str = "page") -> None:
    rng = random.Random(seed)
    client = Client(host, port, address=f"10.255.{(seed >> 8) & 255}.{seed & 255}")
    if think == "page":
        client.think = lambda: stop.wait(rng.uniform(1, 3))
    stop.wait(rng.uniform(0, 3))  # users arrive over the first seconds
    done = 0
    while not stop.is_set():
        client.pages_in_visit = 0
        if person["username"] and done % RELOGIN_EVERY == 0:
            login(stats, client, person["username"])
        if person["role"] in ("clinic", "police", "signer") and rng.random() < 0.1:
            home_page(stats, client, person, rng)
        PAGES[person["role"]](stats, client, person, rng)
        done += 1
        stop.wait(rng.uniform(1, 3))


def people(database_url: str, users: int, seed: int, without: set[str]) -> list[dict]:
    """Accounts and subjects from the national data: the busiest facilities and wards first,
    so the pages show full queues. Roles in `without` get no users (the others share them)."""
    import psycopg2

    rng = random.Random(seed)
    mix = [(role, share) for role, share in MIX if role not in without]
    counts = {role: 0 for role, _ in MIX}
    counts.update({role: max(1, round(users * share / sum(s for _, s in mix))) for role, share in mix})
    counts["clinic" if "clinic" not in without else mix[0][0]] += users - sum(counts.values())
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT f.id, f.code, count(*) FROM verification_reconciliationcase c
                       JOIN records_facility f ON f.id = c.facility_id
                       WHERE c.status IN ('submitted', 'in_review', 'record_updated', 'identity_mismatch')
                       GROUP BY 1, 2 ORDER BY 3 DESC LIMIT %s""", [counts["clinic"]])
        clinics = cur.fetchall()
        cur.execute("""SELECT ward_id FROM verification_reconciliationcase WHERE status = 'awaiting_police'
                       GROUP BY 1 ORDER BY count(*) DESC LIMIT %s""", [counts["police"]])
        police = [r[0] for r in cur.fetchall()]
        cur.execute("""SELECT ward_id FROM verification_reconciliationcase WHERE status = 'awaiting_signature'
                       GROUP BY 1 ORDER BY count(*) DESC LIMIT %s""", [counts["signer"]])
        signers = [r[0] for r in cur.fetchall()]
        cur.execute("""SELECT province_id FROM records_ward w JOIN records_citizen c ON c.ward_id = w.code
                       GROUP BY 1 ORDER BY count(*) DESC LIMIT %s""", [counts["province"]])
        provinces = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT tracking_code FROM verification_reconciliationcase WHERE confirmed "
                    "ORDER BY id DESC LIMIT 5000")
        codes = [r[0] for r in cur.fetchall()]
        result = []
        for fid, code, _n in clinics:
            cur.execute("""SELECT id, full_name FROM verification_reconciliationcase WHERE facility_id = %s
                           AND status IN ('in_review', 'record_updated') ORDER BY id LIMIT 50""", [fid])
            rows = cur.fetchall()
            result.append({"role": "clinic", "username": f"clinic_{code}", "cases": [r[0] for r in rows],
                           "name": rng.choice(rows)[1].split()[-1] if rows else "Nguyễn"})
    result += [{"role": "police", "username": f"police_{w}"} for w in police]
    result += [{"role": "signer", "username": f"signer_{w}"} for w in signers]
    result += [{"role": "province", "username": f"province_{p}", "province": p} for p in provinces]
    result += [{"role": "ministry", "username": "ministry"} for _ in range(counts["ministry"])]
    for i in range(counts["citizen"]):
        result.append({"role": "citizen", "username": "", "codes": codes[i::counts["citizen"]]})
    return result[:users]


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def report(stats: Stats, window: float) -> tuple[str, bool]:
    lines = ["| page | requests | errors | p50 ms | p95 ms | p99 ms | req/s |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    total = errors = 0
    for page in sorted(stats.samples):
        values = stats.samples[page]
        ms = [v * 1000 for v in values]
        lines.append(f"| {page} | {len(values)} | {stats.errors[page]} | {percentile(ms, 0.5):.0f} | "
                     f"{percentile(ms, 0.95):.0f} | {percentile(ms, 0.99):.0f} | "
                     f"{len(values) / window:.2f} |")
        total += len(values)
        errors += stats.errors[page]
    every = [v * 1000 for vs in stats.samples.values() for v in vs]
    if every:
        lines.append(f"| **all** | {total} | {errors} | {percentile(every, 0.5):.0f} | "
                     f"{percentile(every, 0.95):.0f} | {percentile(every, 0.99):.0f} | "
                     f"{total / window:.2f} |")
        _record(stats, every, errors)
    return "\n".join(lines), errors == 0


def _record(stats: Stats, every: list[float], errors: int) -> None:
    """The figures of `make bench`'s table: every request, and the slowest page's p95."""
    worst = max(stats.samples, key=lambda page: percentile([v * 1000 for v in stats.samples[page]], 0.95))
    worst_p95 = percentile([v * 1000 for v in stats.samples[worst]], 0.95)
    p95, p99 = percentile(every, 0.95), percentile(every, 0.99)
    record("web load", "p95, every page", p95, "ms", "≤ 100 ms", met=p95 <= 100)
    record("web load", "p99, every page", p99, "ms", "≤ 250 ms", met=p99 <= 250)
    record("web load", f"p95 of the slowest page ({worst})", worst_p95, "ms", "≤ 100 ms",
           met=worst_p95 <= 100)
    record("web load", "errors", errors, "", "0", met=errors == 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, port: int, workers: int, threads: int = 1) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vaxrecon.settings.prod", "DATABASE_URL": database_url,
           "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "POPULATION_REGISTRY_API_KEY": "bench-registry-key",
           "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
           # plain http on loopback: the secure cookies of production would never come back
           "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "LOG_LEVEL": "WARNING",
           # Behind production's proxy each person has their own address (the per-address limits
           # of the citizens' pages count them apart); from loopback they would share one.
           "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR", "CLIENT_IP_PROXY_COUNT": "1"}
    bin_dir = Path(sys.executable).parent
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True)
    process = subprocess.Popen([str(bin_dir / "gunicorn"), "vaxrecon.wsgi", "--workers", str(workers),
                                "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120",
                                *(["--worker-class", "gthread", "--threads", str(threads)]
                                  if threads > 1 else [])],
                               cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        raise SystemExit("gunicorn did not start")
    return process


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=125, help="measured seconds")
    parser.add_argument("--warmup", type=int, default=15, help="seconds before measuring")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per worker (gunicorn's gthread worker, as production runs it; "
                             "1: sync workers)")
    parser.add_argument("--url", default="",
                        help="a running server (loopback only) instead of starting gunicorn")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--think", choices=["page", "visit"], default="page",
                        help="1-3 s of think time before every page (page), or only between visits, "
                             "each visit's 2-5 pages back to back (visit: the model of the runs before "
                             "2026-12-03 evening)")
    parser.add_argument("--markdown", default="", help="also write the table to this file")
    parser.add_argument("--without", action="append", default=[], choices=[r for r, _ in MIX],
                        help="leave this role out (its users go to the others); repeatable")
    return parser.parse_args()


def main() -> int:
    args = _args()
    if args.warmup + args.duration + REQUEST_TIMEOUT + 5 > 180:
        raise SystemExit(f"warmup + duration must stay within {180 - REQUEST_TIMEOUT - 5} s")
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vaxrecon_national")
    server = None
    if args.url:
        parsed = urlparse(args.url)
        if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("--url must be a loopback address")
        host, port = parsed.hostname, parsed.port or 80
    else:
        host, port = "127.0.0.1", free_port()
        server = start_gunicorn(database_url, port, args.workers, args.threads)
    try:
        persons = people(database_url, args.users, args.seed, set(args.without))
        print(f"{len(persons)} users: "
              + ", ".join(f"{r} {sum(p['role'] == r for p in persons)}" for r, _ in MIX), flush=True)
        stats, stop = Stats(), threading.Event()
        threads = [threading.Thread(target=person_loop, args=(p,), daemon=True,
                                    kwargs={"host": host, "port": port, "stats": stats, "stop": stop,
                                            "seed": args.seed * 1000 + i, "think": args.think})
                   for i, p in enumerate(persons)]
        for thread in threads:
            thread.start()
        time.sleep(args.warmup)
        started = time.monotonic()
        stats.window = (started, started + args.duration)
        time.sleep(args.duration)
        window = time.monotonic() - started
        stop.set()
        # Requests started in the window are waited for (they end by REQUEST_TIMEOUT at most).
        deadline = time.monotonic() + REQUEST_TIMEOUT + 5
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
    table, clean = report(stats, window)
    print(f"\n{args.users} users, {args.workers} gunicorn workers, think time before every "
          f"{'page' if args.think == 'page' else 'visit'}, measured {window:.0f} s after "
          f"{args.warmup} s warm-up\n")
    print(table)
    for example in stats.error_examples:
        print("error:", example)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
