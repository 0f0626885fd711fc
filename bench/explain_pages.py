"""Each main page once, in-process, on the national data: its SQL queries with their time,
and EXPLAIN (ANALYZE, BUFFERS) of the slowest ones.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vaxrecon_national \\
      .venv/bin/python bench/explain_pages.py [--explain-over 20] [--page signer ...]

The evidence behind docs/BENCHMARKS.md "Pages under load": run it on a commit before and
after a change. Users are those bench/gen_national.py makes (the busiest ones, as
bench/web_load.py picks them). It writes nothing except the session rows of the logins
and, for "police next case", a claim on one case (released again).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxrecon.settings.dev")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vaxrecon_national")
os.environ["DEBUG"] = "false"


def subjects(cursor) -> dict[str, tuple[str, str]]:
    """page name -> (username, path)."""
    cursor.execute("""SELECT f.code FROM verification_reconciliationcase c
                      JOIN records_facility f ON f.id = c.facility_id
                      WHERE c.status IN ('submitted', 'in_review', 'record_updated', 'identity_mismatch')
                      GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""")
    clinic = f"clinic_{cursor.fetchone()[0]}"
    cursor.execute("""SELECT id FROM verification_reconciliationcase WHERE facility_id =
                      (SELECT id FROM records_facility WHERE code = %s) AND status = 'in_review' LIMIT 1""",
                   [clinic.removeprefix("clinic_")])
    case_id = cursor.fetchone()[0]
    cursor.execute("""SELECT ward_id FROM verification_reconciliationcase WHERE status = 'awaiting_police'
                      GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""")
    police = f"police_{cursor.fetchone()[0]}"
    cursor.execute("""SELECT ward_id FROM verification_reconciliationcase WHERE status = 'awaiting_signature'
                      GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""")
    signer = f"signer_{cursor.fetchone()[0]}"
    cursor.execute("""SELECT province_id FROM records_ward w JOIN records_citizen c ON c.ward_id = w.code
                      GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""")
    province = f"province_{cursor.fetchone()[0]}"
    cursor.execute("SELECT tracking_code FROM verification_reconciliationcase WHERE confirmed "
                   "ORDER BY id DESC LIMIT 1")
    code = cursor.fetchone()[0]
    return {
        "clinic queue": (clinic, "/verification/queue/"),
        "clinic queue (filtered)": (clinic, "/verification/queue/?status=in_review"),
        "case page": (clinic, f"/verification/cases/{case_id}/"),
        "home (clinic)": (clinic, "/"),
        "police queue": (police, "/verification/police/"),
        "police next case": (police, "POST /verification/police/next/"),
        "home (police)": (police, "/"),
        "signer list": (signer, "/signing/"),
        "home (province)": (province, "/"),
        "home (ministry)": ("ministry", "/"),
        "citizen status page": ("", f"/verification/status/{code}/"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--explain-over", type=float, default=20.0,
                        help="EXPLAIN queries slower than this (ms)")
    parser.add_argument("--page", action="append", help="only these pages (repeatable)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="requests per page (the later ones show caching)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from verification.models import ReconciliationCase

    with connection.cursor() as cursor:
        pages = subjects(cursor)
    for page, (username, path) in pages.items():
        if args.page and page not in args.page:
            continue
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        method, _, url = path.rpartition(" ")
        for _ in range(args.repeat):
            show(client, connection, page=page, username=username, path=path, method=method, url=url,
                 explain_over=args.explain_over)
        if method == "POST":
            ReconciliationCase.objects.filter(claimed_by__username=username).update(claimed_by=None,
                                                                                  claim_expires_at=None)
    return 0


def show(client, connection, *, page, username, path, method, url, explain_over) -> None:
    """One request: its time, its queries, and EXPLAIN ANALYZE of the slow SELECTs."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post(url) if method == "POST" else client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    print(f"\n=== {page}: {username or 'anonymous'} {path} -> {response.status_code}, {elapsed:.0f} ms, "
          f"{len(queries)} queries")
    for q in queries.captured_queries:
        ms = float(q["time"]) * 1000
        print(f"  {ms:8.1f} ms  {q['sql'][:150]}")
        if ms >= explain_over and q["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                print("    " + "\n    ".join(r[0] for r in cursor.fetchall()))


if __name__ == "__main__":
    sys.exit(main())
