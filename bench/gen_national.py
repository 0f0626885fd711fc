"""National-scale load data on PostgreSQL, set-wise (INSERT ... SELECT generate_series), in minutes.

    DJANGO_SETTINGS_MODULE=vaxrecon.settings.dev \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vaxrecon_national \\
      .venv/bin/python bench/gen_national.py --citizens 1000000 --injections 10000000 \\
        --cases 2000000 --days 60 --seed 1
    .venv/bin/python bench/gen_national.py --quick     # 20k citizens, 200k injections, 40k cases

The database is created when missing, migrated, given the 34 provinces and 3,321 wards
(``load_divisions``), then filled in one transaction: secondary indexes and foreign keys of
the filled tables are dropped first and rebuilt at the end (an aborted run rolls all of it
back), then ANALYZE. It refuses a database that already holds citizens unless ``--reset``
(TRUNCATE of every table it fills, users included: only for a throwaway database). Drop it
with ``dropdb -h 127.0.0.1 -U postgres vaxrecon_national``.

Reproducible: every value is a hash of (row number, seed) (``hashint8extended``), ids are
set explicitly; only ``now`` (the run's clock) moves the timestamps. What it makes:

- facilities: 3 per ward (the commune health station, a state hospital, a private centre);
- citizens over every ward (skewed: the first wards by code, central Hà Nội, are the densest,
  the least dense hold about 2/3 of the mean), 51 % women, ages 5-90, a CCCD whose digits
  1-3 are the ward's province code (10 % another old province), digit 4 sex and century,
  5-6 the birth year (unique serials up to 1,000,000 citizens; beyond that no CCCD, a
  CMND), 3 % with the birth year only, 0.2 % foreign nationals (no CCCD), 85 % a phone;
- injection records: each citizen has a course of 1-4 doses (dose numbers 1..4, one vaccine,
  boosters mRNA, dates in 2021-2022); with more records than doses (10M for 1M citizens is
  10 per person) the extra rows are the same doses recorded again from other sources
  (reported by the citizen, imported from a log: the duplicates reconciliation is about).
  ``created_at`` over the last ``--days`` days; statuses recorded / verified / signed;
  1 % of the rows are a version 2 whose ``previous`` (now superseded) is an older row;
- cases on legal paths of ``verification.workflow.TRANSITIONS`` (checked here when the
  paths are built), every state represented, with the timeline (one CaseEvent per
  transition, increasing ``at``, confirm / add_dose / join_report notes), police
  verifications at the time of their event, case <-> record links for cases that reached
  ``record_updated`` (the linked records' status follows the case: signed for signed and
  closed cases), and one claimed dose per citizen report;
- signatures for every signed record (1 % superseded by the corrections) by the ward's
  signer with their certificate. The certificates are real self-signed P-256 ones made
  here, but the signature bytes and payload hashes are pseudo-random: load data, nothing
  here verifies;
- users: one clinic account per facility, one police and one signer per ward, one
  provincial officer per province, a ministry analyst (``ministry``) and ``admin``, all
  with the demo password ``vaxrecon-demo-2021`` (hashed once).

Not made: audit events, evidence files, one-time codes, imports and match reviews.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxrecon.settings.dev")

DEMO_PASSWORD = "vaxrecon-demo-2021"
QUICK = {"citizens": 20_000, "injections": 200_000, "cases": 40_000}
CORRECTED_SHARE = 0.01
TRACKING_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_SPACE = 25 ** 12
# User ids by role, so every row can name its actor by arithmetic.
MINISTRY_ID, ADMIN_ID, PROVINCE_BASE = 1, 2, 100
POLICE_BASE, SIGNER_BASE, CLINIC_BASE = 10_000, 20_000, 30_000

FILLED_TABLES = [
    "records_facility", "records_citizen", "records_injectionrecord", "verification_reconciliationcase",
    "verification_caseevent", "verification_policeverification", "verification_claimeddose",
    "verification_reconciliationcase_injections", "signing_signature", "signing_signercertificate",
    "accounts_profile", "auth_user_groups", "auth_user",
]
BIG_TABLES = FILLED_TABLES[1:9]  # indexes and foreign keys dropped during the load

FAMILY = [("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 3), ("Phan", 4),
          ("Vũ", 4), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 1), ("Hồ", 1), ("Ngô", 1), ("Dương", 1),
          ("Lý", 1), ("Đinh", 1), ("Trương", 1), ("Lâm", 1), ("Mai", 1), ("Hà", 1), ("Lương", 1)]
MIDDLE = {"M": ["Văn", "Văn", "Văn", "Hữu", "Đức", "Công", "Quang", "Minh", "Thanh", "Xuân", "Ngọc",
                "Đình", "Tuấn", "Anh", "Hoàng", "Duy", "Gia", "Thế", "Trọng", "Bá"],
          "F": ["Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Bích", "Mai", "Hồng",
                "Phương", "Thùy", "Diệu", "Bảo", "Khánh", "Hải", "Như"]}
GIVEN = {"M": ["Hùng", "Dũng", "Tuấn", "Minh", "Nam", "Long", "Sơn", "Hải", "Thắng", "Phúc", "Khánh", "Quân",
               "Bình", "Trung", "Hiếu", "Cường", "Đạt", "Huy", "Tâm", "Lâm", "Nghĩa", "Thái", "Khoa", "Hào",
               "Việt", "Đức", "Toàn", "Lộc", "Phong", "Vinh"],
         "F": ["Lan", "Hương", "Hoa", "Mai", "Linh", "Trang", "Thảo", "Hà", "Ngọc", "Nhung", "Yến", "Phương",
               "Vy", "Hằng", "Thủy", "Dung", "Quỳnh", "Anh", "Trâm", "Nga", "Oanh", "Loan", "Duyên", "Hạnh",
               "Giang", "Uyên", "My", "Chi", "Diệp", "Tuyết"]}
PHONE_PREFIXES = ["032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098", "070",
                  "076", "077", "078", "079", "089", "090", "093", "081", "082", "083", "084", "085", "088",
                  "091", "094", "056", "058", "059"]
OLD_PROVINCES = [1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36,
                 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74,
                 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96]
# Primary-course vaccine share and days between doses 1 and 2; boosters are mRNA.
VACCINES = [("astrazeneca", 40, 84), ("pfizer", 28, 21), ("moderna", 12, 28), ("sinopharm", 12, 21),
            ("sputnik-v", 3, 21), ("abdala", 3, 14), ("hayat-vax", 2, 21)]
BOOSTERS = [("pfizer", 60), ("moderna", 30), ("astrazeneca", 10)]

# --- Case paths: each a legal walk of the transition table, checked in build_paths() ------------
# A step: (transition, actor) | ("pv", source, outcome) (a registry answer that moves nothing)
# | ("note", action, actor). A transition step may carry the police verification it records.
SR, RI, PI, UR, SP = ("start_review", "clinic"), ("request_info", "clinic"), ("provide_info", "citizen"), \
    ("update_record", "clinic"), ("send_to_police", "clinic")
ADD, JOIN = ("note", "add_dose", "clinic"), ("note", "join_report", "citizen")
VI_REG = ("verify_identity", "system", "registry", "match")
Q_SYS, Q_POL, Q_CLI = ("queue_for_signature", "system"), ("queue_for_signature", "police"), \
    ("queue_for_signature", "clinic")
VI_POL = ("verify_identity", "police", "officer", "match")
RM = ("report_mismatch", "police", "officer", "mismatch")
RNF = ("report_not_found", "police", "officer", "not_found")
MF, VF = ("mark_foreign", "police", "officer", "foreign"), ("verify_foreign", "clinic")
REG_MM, REG_NF, REG_MATCH = ("pv", "registry", "mismatch"), ("pv", "registry", "not_found"), \
    ("pv", "registry", "match")
SIGN, CLOSE_C, CLOSE_S, RJ, WD = ("sign", "signer"), ("close", "clinic"), ("close", "system"), \
    ("reject", "clinic"), ("withdraw", "citizen")

TO_SIGNATURE = [[SR, UR, SP, VI_REG, Q_SYS], [SR, UR, ADD, SP, VI_REG, Q_SYS],
                [SR, UR, SP, REG_MM, VI_POL, Q_POL], [SR, RI, PI, UR, SP, VI_REG, Q_SYS],
                [SR, UR, SP, REG_MM, RM, UR, SP, VI_REG, Q_SYS]]
# final state -> (share of cases, variants)
PATHS = {
    "submitted": (12, [[]]),
    "in_review": (10, [[SR], [SR, JOIN]]),
    "info_requested": (4, [[SR, RI], [RI]]),
    "record_updated": (5, [[SR, UR], [SR, UR, ADD]]),
    "awaiting_police": (6, [[SR, UR, SP], [SR, UR, ADD, SP], [SR, UR, SP, REG_MM], [SR, UR, SP, REG_NF],
                            [SR, UR, SP, REG_MATCH]]),
    "identity_mismatch": (2, [[SR, UR, SP, REG_MM, RM]]),
    "not_found": (1.5, [[SR, UR, SP, REG_NF, RNF]]),
    "awaiting_signature": (8, TO_SIGNATURE),
    "signed": (8, [p + [SIGN] for p in TO_SIGNATURE]),
    "closed": (25, [p + [SIGN, CLOSE_C if i % 2 else CLOSE_S] for i, p in enumerate(TO_SIGNATURE)]),
    "rejected": (10, [[RJ], [SR, RJ], [SR, UR, SP, REG_MM, RM, RJ], [SR, UR, SP, REG_NF, RNF, RJ]]),
    "withdrawn": (3, [[WD], [SR, WD], [SR, RI, WD]]),
}
# The police cannot check a foreigner against the population database: a foreign citizen's case
# takes the same path up to send_to_police, then this tail (by the final state it would reach).
FOREIGN_TAIL = {"awaiting_police": [], "identity_mismatch": [MF], "not_found": [MF, VF],
                "awaiting_signature": [MF, VF, Q_CLI], "signed": [MF, VF, Q_CLI, SIGN],
                "closed": [MF, VF, Q_CLI, SIGN, CLOSE_C], "rejected": [MF, RJ]}


def build_paths() -> list[dict]:
    """Every path with its steps and the attributes the SQL needs; foreign twins last.
    Raises AssertionError if a step is not allowed by verification.workflow."""
    from accounts.models import Role
    from verification import workflow

    kinds = {"clinic": Role.CLINIC_STAFF, "police": Role.COMMUNE_POLICE, "signer": Role.SIGNER,
             "system": workflow.SYSTEM, "citizen": workflow.CITIZEN}
    total = sum(share for share, _ in PATHS.values())
    paths, twins = [], []
    for final, (share, variants) in PATHS.items():
        for steps in variants:
            paths.append({"final": final, "weight": share / total / len(variants), "steps": steps})
            if final in FOREIGN_TAIL and SP in steps:
                head = steps[:steps.index(SP) + 1]
                twins.append({"final": None, "weight": 0.0, "steps": head + FOREIGN_TAIL[final],
                              "of": len(paths) - 1})
    for twin in twins:
        paths[twin["of"]]["twin"] = len(paths)
        paths.append(twin)
    for path in paths:
        status, rows = "submitted", []
        for s, step in enumerate(path["steps"], start=1):
            row = {"s": s, "transition": "", "from": status, "to": status, "actor": "", "pv": None,
                   "action": ""}
            if step[0] == "pv":
                row.update(pv=(step[1], step[2]), actor="none")
            elif step[0] == "note":
                row.update(action=step[1], actor=step[2])
            else:
                t = workflow.TRANSITIONS[step[0]]
                assert status in t.sources and kinds[step[1]] in t.actors, (path["steps"], step)
                status = t.target
                row.update(transition=t.name, to=status, actor=step[1], pv=tuple(step[2:4]) or None)
            rows.append(row)
        assert path["final"] in (None, status), (path, status)
        pv_steps = [r["s"] for r in rows
                    if r["pv"] and r["pv"][1] in ("match", "foreign") and r["transition"]]
        path.update(final=status, rows=rows, n=len(rows), linked=UR in path["steps"],
                    two_doses=ADD in path["steps"],
                    sign_step=next((r["s"] for r in rows if r["transition"] == "sign"), None),
                    verify_step=pv_steps[-1] if pv_steps else None, asked=RI in path["steps"],
                    citizen_only=any(r["actor"] == "citizen" and r["transition"] for r in rows),
                    mismatch=status in ("identity_mismatch",) or RM in path["steps"] and status == "rejected")
        path.setdefault("twin", None)
    return paths


# --- SQL ------------------------------------------------------------------------------------------

def code_sql(expr: str, mult: int, seed: int) -> str:
    """SQL for a 12-letter code (tracking-code alphabet) that is a bijection of the integer `expr`."""
    v = f"(mod(({expr})::numeric * {mult} + {seed * 7_919 + 17}, {CODE_SPACE}))::bigint"
    return " || ".join(f"substr('{TRACKING_ALPHABET}', mod({v} / {25 ** i}, 25)::int + 1, 1)"
                       for i in range(12))


def helper_functions(seed: int, wards: int, vaccine_ids: list[int], boosters: list[int]) -> list[str]:
    """Deterministic per-row helpers (hash of row number and seed), in the session's pg_temp."""
    vcum, acc = [], 0
    for _code, share, _gap in VACCINES:
        acc += share
        vcum.append(acc / sum(v[1] for v in VACCINES))
    bcum, acc = [], 0
    for _code, share in BOOSTERS:
        acc += share
        bcum.append(acc / 100)
    gaps = [gap for _c, _s, gap in VACCINES]
    arr = lambda xs: "ARRAY[" + ",".join(str(x) for x in xs) + "]"  # noqa: E731
    return [
        f"""CREATE FUNCTION pg_temp.u(k bigint, salt int) RETURNS float8 LANGUAGE sql IMMUTABLE AS
            $$ SELECT (hashint8extended(k, {seed * 1000}::bigint + salt) & 2147483647)::float8
                      / 2147483648.0 $$""",
        # ward index 0..W-1 of a citizen: density falls with the index (u^1.5).
        f"""CREATE FUNCTION pg_temp.ward_of(c bigint) RETURNS int LANGUAGE sql IMMUTABLE AS
            $$ SELECT LEAST({wards - 1}, floor({wards} * power(pg_temp.u(c, 1), 1.5)))::int $$""",
        """CREATE FUNCTION pg_temp.course(c bigint) RETURNS int LANGUAGE sql IMMUTABLE AS
            $$ SELECT width_bucket(pg_temp.u(c, 3), ARRAY[0.12, 0.45, 0.85]) + 1 $$""",
        f"""CREATE FUNCTION pg_temp.vslot(c bigint) RETURNS int LANGUAGE sql IMMUTABLE AS
            $$ SELECT LEAST(width_bucket(pg_temp.u(c, 4), {arr(vcum[:-1])}) + 1, {len(VACCINES)}) $$""",
        f"""CREATE FUNCTION pg_temp.vax(c bigint, d int) RETURNS bigint LANGUAGE sql IMMUTABLE AS
            $$ SELECT CASE WHEN d >= 3
                 THEN ({arr(boosters)})[width_bucket(pg_temp.u(c * 8 + d, 5), {arr(bcum[:-1])}) + 1]
                 ELSE ({arr(vaccine_ids)})[pg_temp.vslot(c)] END $$""",
        f"""CREATE FUNCTION pg_temp.dose_date(c bigint, d int) RETURNS date LANGUAGE sql IMMUTABLE AS
            $$ SELECT LEAST(date '2022-12-31', date '2021-03-08' + floor(pg_temp.u(c, 6) * 330)::int
                 + CASE WHEN d >= 2 THEN ({arr(gaps)})[pg_temp.vslot(c)] + floor(pg_temp.u(c, 7) * 14)::int
                        ELSE 0 END
                 + CASE WHEN d >= 3 THEN 150 + floor(pg_temp.u(c, 8) * 60)::int ELSE 0 END
                 + CASE WHEN d >= 4 THEN 150 + floor(pg_temp.u(c, 9) * 60)::int ELSE 0 END) $$""",
        # facility of a citizen's dose: 85 % one of the home ward's three, else anywhere.
        f"""CREATE FUNCTION pg_temp.rec_fac(c bigint, d int) RETURNS bigint LANGUAGE sql IMMUTABLE AS
            $$ SELECT CASE WHEN pg_temp.u(c * 8 + d, 30) < 0.85
                 THEN 3 * pg_temp.ward_of(c) + 1 + floor(pg_temp.u(c * 8 + d, 31) * 3)::int
                 ELSE 1 + floor(pg_temp.u(c * 8 + d, 32) * {3 * wards})::int END $$""",
        # the time of step s of n, within `span` after `t0`: strictly increasing in s, below t0 + span.
        """CREATE FUNCTION pg_temp.step_at(t0 timestamptz, span interval, s int, n int, m bigint)
            RETURNS timestamptz LANGUAGE sql IMMUTABLE AS
            $$ SELECT t0 + span * ((s - 0.8 + 0.6 * pg_temp.u(m * 16 + s, 50)) / n) $$""",
    ]


def create_paths_sql(paths: list[dict]) -> list[tuple[str, list]]:
    rows_path = [(i, p["final"], p["n"], p["linked"], p["two_doses"], p["sign_step"], p["verify_step"],
                  p["citizen_only"], p["mismatch"], p["asked"], p["twin"]) for i, p in enumerate(paths)]
    rows_step = [(i, r["s"], r["transition"], r["from"], r["to"], r["actor"], r["pv"][0] if r["pv"] else None,
                  r["pv"][1] if r["pv"] else None, r["action"])
                 for i, p in enumerate(paths) for r in p["rows"]]
    return [
        ("""CREATE TEMP TABLE g_path (id int PRIMARY KEY, final text, n int, linked bool, two_doses bool,
            sign_step int, verify_step int, citizen_only bool, mismatch bool, asked bool, twin int)""", []),
        ("""CREATE TEMP TABLE g_step (path int, s int, transition text, from_s text, to_s text, actor text,
            pv_source text, pv_outcome text, action text, PRIMARY KEY (path, s))""", []),
        ("INSERT INTO g_path VALUES " + ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"] * len(rows_path)),
         [v for row in rows_path for v in row]),
        ("INSERT INTO g_step VALUES " + ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s,%s)"] * len(rows_step)),
         [v for row in rows_step for v in row]),
    ]


class Generator:
    def __init__(self, *, citizens: int, injections: int, cases: int, days: int, seed: int):
        self.C, self.R, self.M, self.days, self.seed = citizens, injections, cases, days, seed
        self.K = round(injections * CORRECTED_SHARE)  # version-2 rows
        self.B = injections - self.K  # version-1 rows
        slots = 2 * ((cases - 1) // citizens + 1)  # record slots per citizen the cases link to
        if citizens * slots > self.B:
            raise SystemExit(f"--injections must be at least {citizens * slots / (1 - CORRECTED_SHARE):,.0f} "
                             f"for {cases:,} cases over {citizens:,} citizens (each case links to 1-2 of the "
                             "citizen's own rows)")
        self.timings: list[tuple[str, int, float]] = []

    # -- plumbing --
    def run(self, cursor, label: str, sql: str, params=None, table: str | None = None) -> None:
        started = time.monotonic()
        cursor.execute(sql, params)
        elapsed = time.monotonic() - started
        rows = cursor.rowcount if cursor.rowcount and cursor.rowcount > 0 else 0
        self.timings.append((label, rows, elapsed))
        print(f"  {label:<44} {rows:>12,} rows {elapsed:8.1f} s", flush=True)

    def fill(self, cursor, now: dt.datetime, password_hash: str, certificates: list[tuple]) -> None:
        c = cursor
        c.execute("SET LOCAL synchronous_commit = off; SET LOCAL work_mem = '512MB'; "
                  "SET LOCAL maintenance_work_mem = '1GB'; SET LOCAL max_parallel_maintenance_workers = 2")
        c.execute("SELECT code, province_id, name FROM records_ward ORDER BY code")
        wards = c.fetchall()
        c.execute("SELECT code, id FROM records_vaccineproduct")
        vids = dict(c.fetchall())
        for sql in helper_functions(self.seed, len(wards), [vids[v[0]] for v in VACCINES],
                                    [vids[b[0]] for b in BOOSTERS]):
            c.execute(sql)
        paths = build_paths()
        for sql, params in create_paths_sql(paths):
            c.execute(sql, params or None)
        c.execute("CREATE TEMP TABLE g_ward (idx int PRIMARY KEY, code int, province int, name text)")
        c.execute("INSERT INTO g_ward SELECT row_number() OVER (ORDER BY code) - 1, code, province_id, name "
                  "FROM records_ward")
        dropped = self.drop_indexes(c)
        self.facilities_and_users(c, password_hash, certificates, now)
        self.citizens(c, now)
        self.cases(c, now, paths)
        self.records(c, now)
        self.timeline(c)
        self.signatures_and_corrections(c, now)
        self.set_sequences(c)
        started = time.monotonic()
        for statement in dropped:
            c.execute(statement)
        self.timings.append(("indexes and foreign keys rebuilt", len(dropped), time.monotonic() - started))
        print(f"  {'indexes and foreign keys rebuilt':<44} {len(dropped):>12,} ddl  "
              f"{time.monotonic() - started:8.1f} s", flush=True)

    def drop_indexes(self, c) -> list[str]:
        """Drop the big tables' foreign keys, unique constraints and secondary indexes; return the
        statements that recreate them (run at the end, in the same transaction)."""
        c.execute("""SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype
                     FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u')""",
                  [BIG_TABLES])
        constraints = c.fetchall()
        c.execute("""SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
                     WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
                  [BIG_TABLES])
        indexes = c.fetchall()
        for table, name, _d, _t in constraints:
            c.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _d in indexes:
            c.execute(f"DROP INDEX {name}")
        rebuild = [ddl for _n, ddl in indexes]
        for wanted in ("u", "f"):  # unique constraints first: foreign keys need them
            rebuild += [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}'
                        for t, n, d, kind in constraints if kind == wanted]
        return rebuild

    def facilities_and_users(self, c, password_hash: str, certificates: list[tuple], now) -> None:
        self.run(c, "records_facility", """
            INSERT INTO records_facility (id, code, name, ward_id, ownership, active, is_health_station)
            SELECT 3 * w.idx + k, 'VN-' || w.code || '-' || k,
                   (ARRAY['Trạm Y tế ', 'Trung tâm Y tế ', 'Trung tâm Tiêm chủng VNVC '])[k]
                     || regexp_replace(w.name, '^(Phường|Xã|Đặc khu) ', ''),
                   w.code, CASE WHEN k = 3 THEN 'private' ELSE 'state' END, true, k = 1
            FROM g_ward w CROSS JOIN generate_series(1, 3) k""")
        users = f"""
            SELECT {MINISTRY_ID} AS id, 'ministry' AS username, 'ministry_analyst' AS role,
                   NULL::bigint AS facility,
                   NULL::int AS ward, NULL::int AS province
            UNION ALL SELECT {PROVINCE_BASE} + code, 'province_' || code, 'provincial_officer', NULL, NULL,
                             code
              FROM records_province
            UNION ALL SELECT {POLICE_BASE} + idx, 'police_' || code, 'commune_police', NULL, code, NULL
              FROM g_ward
            UNION ALL SELECT {SIGNER_BASE} + idx, 'signer_' || code, 'signer', NULL, code, NULL FROM g_ward
            UNION ALL SELECT {CLINIC_BASE} + id, 'clinic_' || code, 'clinic_staff', id, NULL, NULL
              FROM records_facility"""
        self.run(c, "auth_user", f"""
            INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email,
                                   is_staff, is_active, date_joined)
            SELECT id, %s, false, username, '', '', '', false, true, %s FROM ({users}) u
            UNION ALL SELECT {ADMIN_ID}, %s, true, 'admin', '', '', 'admin@example.invalid', true, true,
                             %s""",
                 [password_hash, now, password_hash, now])
        self.run(c, "accounts_profile", f"""
            INSERT INTO accounts_profile (id, user_id, role, facility_id, ward_id, province_id, phone)
            SELECT id, id, role, facility, ward, province, '' FROM ({users}) u""")
        self.run(c, "auth_user_groups", """
            INSERT INTO auth_user_groups (user_id, group_id)
            SELECT p.user_id, g.id FROM accounts_profile p JOIN auth_group g ON g.name = p.role""")
        self.run(c, "signing_signercertificate", f"""
            INSERT INTO signing_signercertificate (id, der, fingerprint, subject, issuer_name, serial,
                not_before, not_after, added_at, user_id, issuer_id, ward_id, facility_id, province_id,
                key_store, algorithm, pkcs12, token_label, key_label, active)
            SELECT w.idx + 1, decode(x.der, 'hex'), x.fingerprint, x.subject, x.subject, x.serial, x.nb, x.na,
                   %s, {SIGNER_BASE} + w.idx, NULL, w.code, NULL, NULL, 'file', 'ecdsa-p256-sha256', NULL, '',
                   '', true
            FROM g_ward w JOIN unnest(%s::int[], %s::text[], %s::text[], %s::text[], %s::text[],
                                      %s::timestamptz[], %s::timestamptz[])
                 AS x(code, der, fingerprint, subject, serial, nb, na) ON x.code = w.code""",
                 [now, *map(list, zip(*certificates))])

    def citizens(self, c, now) -> None:
        fam = [n for n, w in FAMILY for _ in range(w)]
        from records.normalize import fold_name

        params = {"fam": fam, "famk": [fold_name(n) for n in fam], "phones": PHONE_PREFIXES,
                  "old": [f"{p:03d}" for p in OLD_PROVINCES], "now": now, "days": self.days}
        for sex in "MF":
            params[f"mid{sex}"], params[f"midk{sex}"] = MIDDLE[sex], [fold_name(n) for n in MIDDLE[sex]]
            params[f"giv{sex}"], params[f"givk{sex}"] = GIVEN[sex], [fold_name(n) for n in GIVEN[sex]]

        def pick(arr: str, salt: int) -> str:  # index into an array by the row's hash
            return (f"CASE WHEN female"
                    f" THEN (%({arr}F)s)[1 + floor(pg_temp.u(c, {salt}) * cardinality(%({arr}F)s))::int]"
                    f" ELSE (%({arr}M)s)[1 + floor(pg_temp.u(c, {salt}) * cardinality(%({arr}M)s))::int] END")

        fi = "1 + floor(pg_temp.u(c, 21) * cardinality(%(fam)s))::int"
        name = (f"(%(fam)s)[{fi}] || ' ' || {pick('mid', 22)} || "
                f"CASE WHEN pg_temp.u(c, 23) < 0.3 THEN ' ' || "
                f"{pick('mid', 24)} ELSE '' END || ' ' || {pick('giv', 25)}")
        key = (f"(%(famk)s)[{fi}] || ' ' || {pick('midk', 22)} || "
               f"CASE WHEN pg_temp.u(c, 23) < 0.3 THEN ' ' || "
               f"{pick('midk', 24)} ELSE '' END || ' ' || {pick('givk', 25)}")
        serial = f"lpad(mod(c * 7919 + {self.seed}, 1000000)::text, 6, '0')"
        self.run(c, "records_citizen", f"""
            INSERT INTO records_citizen (id, cccd, cmnd, full_name, name_key, date_of_birth, birth_year,
                dob_precision, sex, ward_id, phone, nationality, created_at, updated_at)
            SELECT c,
                   CASE WHEN foreign_ OR c > 1000000 THEN NULL ELSE
                     CASE WHEN pg_temp.u(c, 26) < 0.1
                          THEN (%(old)s)[1 + floor(pg_temp.u(c, 27) * cardinality(%(old)s))::int]
                          ELSE lpad(w.province::text, 3, '0') END
                     || ((CASE WHEN extract(year FROM dob) >= 2000 THEN 2 ELSE 0 END) + female::int)::text
                     || lpad(mod(extract(year FROM dob)::int, 100)::text, 2, '0') || {serial} END,
                   CASE WHEN pg_temp.u(c, 28) < 0.4 OR c > 1000000
                        THEN (100000000 + floor(pg_temp.u(c, 29) * 899999999))::bigint::text ELSE '' END,
                   {name}, {key},
                   CASE WHEN year_only THEN NULL ELSE dob END, extract(year FROM dob)::int,
                   CASE WHEN year_only THEN 'year' ELSE 'day' END, CASE WHEN female THEN 'F' ELSE 'M' END,
                   w.code,
                   CASE WHEN pg_temp.u(c, 33) < 0.85
                        THEN (%(phones)s)[1 + floor(pg_temp.u(c, 34) * cardinality(%(phones)s))::int]
                     || lpad(floor(pg_temp.u(c, 35) * 10000000)::int::text, 7, '0') ELSE '' END,
                   CASE WHEN foreign_ THEN (ARRAY['KR', 'CN', 'JP', 'US', 'FR'])[1 + mod(c, 5)::int]
                        ELSE 'VN' END,
                   %(now)s - interval '1 day' * (%(days)s + 30 + pg_temp.u(c, 36) * 300),
                   %(now)s - interval '1 day' * %(days)s
            FROM (SELECT c, pg_temp.u(c, 20) < 0.51 AS female, c %% 500 = 250 AS foreign_,
                         pg_temp.u(c, 31) < 0.03 AS year_only, pg_temp.ward_of(c) AS widx,
                         (%(now)s::date - (365.25 * (5 + 85 * pg_temp.u(c, 32)))::int) AS dob
                  FROM generate_series(1, {self.C}::bigint) c OFFSET 0) s
            JOIN g_ward w ON w.idx = s.widx""", params)

    def cases(self, c, now, paths: list[dict]) -> None:
        weights = [p["weight"] for p in paths if p["weight"] > 0]
        bounds, acc = [], 0.0
        for w in weights[:-1]:
            acc += w
            bounds.append(acc)
        self.run(c, "(case plan)", f"""
            CREATE TEMP TABLE g_case AS
            SELECT q.*, COALESCE(q.facility, 3 * q.widx + 1) AS eff_fac,
                   CASE WHEN q.sign_step IS NULL THEN NULL
                        ELSE pg_temp.step_at(q.submitted, q.span, q.sign_step, q.n, q.m) END AS sign_at,
                   CASE WHEN q.n = 0 THEN q.submitted
                        ELSE pg_temp.step_at(q.submitted, q.span, q.n, q.n, q.m) END AS last_at
            FROM (
              SELECT b.*, w.code AS ward,
                     CASE WHEN f0 = 3 * b.widx + 1 AND pg_temp.u(b.m, 16) < 0.5 THEN NULL ELSE f0 END
                       AS facility,
                     LEAST((%(now)s - b.submitted) * 0.98,
                           interval '1 minute' * exp(ln(20) + pg_temp.u(b.m, 14) * (ln(17280) - ln(20)))
                             * GREATEST(b.n, 1) / 3.0) AS span
              FROM (
                SELECT a.*, pg_temp.rec_fac(a.c, 1 + (2 * a.kk)::int %% pg_temp.course(a.c)) AS f0,
                       CASE WHEN a.draft THEN %(now)s - interval '20 hours' * pg_temp.u(a.m, 13)
                            ELSE %(now)s - interval '1 day' * %(days)s * pg_temp.u(a.m, 13) END AS submitted,
                       CASE WHEN a.draft OR (NOT a.linked AND pg_temp.u(a.m, 15) < 0.3) THEN NULL ELSE a.c END
                         AS citizen_id
                FROM (
                  SELECT s.m, s.c, s.kk, pg_temp.ward_of(s.c) AS widx, p.id AS path, p.final, p.n, p.linked,
                         p.two_doses, p.sign_step, p.verify_step, p.mismatch, p.asked,
                         s.c + 2 * s.kk * {self.C} AS j1,
                         CASE WHEN p.citizen_only OR pg_temp.u(s.m, 11) < 0.6 THEN 'citizen_report'
                              WHEN pg_temp.u(s.m, 11) < 0.85 THEN 'clinic_entry' ELSE 'bulk_import' END
                           AS origin,
                         p.final = 'submitted' AND pg_temp.u(s.m, 11) < 0.6 AND pg_temp.u(s.m, 12) < 0.15
                           AS draft
                  FROM (SELECT m, (m - 1) %% {self.C} + 1 AS c, (m - 1) / {self.C} AS kk,
                               width_bucket(pg_temp.u(m, 10), %(bounds)s::float8[]) AS p0
                        FROM generate_series(1, {self.M}::bigint) m OFFSET 0) s
                  JOIN g_path p0 ON p0.id = s.p0
                  JOIN g_path p ON p.id = CASE WHEN s.c %% 500 = 250 AND p0.twin IS NOT NULL THEN p0.twin
                                               ELSE p0.id END
                  OFFSET 0
                ) a
                OFFSET 0
              ) b JOIN g_ward w ON w.idx = b.widx
            ) q""", {"now": now, "days": self.days, "bounds": bounds})
        c.execute("CREATE UNIQUE INDEX ON g_case (m)")
        reasons = "ARRAY['unreadable', 'no_injection', 'identity', 'duplicate', 'other']"
        self.run(c, "verification_reconciliationcase", f"""
            INSERT INTO verification_reconciliationcase (id, tracking_code, origin, status, full_name,
                name_key, date_of_birth, birth_year, dob_precision, sex, id_number, phone, nationality,
                ward_id, facility_id, citizen_id, confirmed, reject_reason, reject_note, info_request,
                police_values, claimed_by_id, claim_expires_at, submitted_at, deadline_at, updated_at,
                closed_at)
            SELECT g.m, {code_sql('g.m', 36_837_729_016_011_523, self.seed)}, g.origin, g.final, ci.full_name,
                   ci.name_key,
                   ci.date_of_birth, ci.birth_year, ci.dob_precision, ci.sex, COALESCE(ci.cccd, ci.cmnd),
                   CASE WHEN ci.phone = '' AND g.origin = 'citizen_report'
                        THEN '0912' || lpad((g.m %% 1000000)::text, 6, '0') ELSE ci.phone END,
                   ci.nationality, g.ward, g.facility, g.citizen_id,
                   g.origin = 'citizen_report' AND NOT g.draft,
                   CASE WHEN g.final = 'rejected' THEN ({reasons})[1 + floor(pg_temp.u(g.m, 17) * 5)::int]
                        ELSE '' END,
                   CASE WHEN g.final = 'rejected' AND pg_temp.u(g.m, 17) >= 0.8
                        THEN 'Trùng với yêu cầu đã xử lý tại cơ sở khác.' ELSE '' END,
                   CASE WHEN g.asked THEN 'Đề nghị gửi lại ảnh phiếu tiêm chủng rõ nét.' ELSE '' END,
                   CASE WHEN g.mismatch THEN jsonb_build_object('date_of_birth',
                     (COALESCE(ci.date_of_birth, make_date(ci.birth_year, 1, 1)) + 1)::text)
                        ELSE '{{}}'::jsonb END,
                   CASE WHEN g.final = 'awaiting_police' AND pg_temp.u(g.m, 18) < 0.04
                        THEN {POLICE_BASE} + g.widx END,
                   CASE WHEN g.final = 'awaiting_police' AND pg_temp.u(g.m, 18) < 0.02
                          THEN %(now)s + interval '1 minute' * (5 + 10 * pg_temp.u(g.m, 19))
                        WHEN g.final = 'awaiting_police' AND pg_temp.u(g.m, 18) < 0.04
                          THEN %(now)s - interval '1 hour' END,
                   g.submitted, g.submitted + interval '48 hours', g.last_at,
                   CASE WHEN g.final IN ('closed', 'rejected', 'withdrawn') THEN g.last_at END
            FROM g_case g JOIN records_citizen ci ON ci.id = g.c""", {"now": now})

    def records(self, c, now) -> None:
        lot_key = "(x.vx * 1000 + (x.dd - date '2021-01-01'))"
        self.run(c, "records_injectionrecord (version 1)", f"""
            INSERT INTO records_injectionrecord (id, citizen_id, vaccine_id, dose_number, injection_date,
                lot_number, facility_id, source, status, version, previous_id, source_record_id,
                created_by_id, created_at)
            SELECT x.j, x.c, x.vx, x.d, x.dd,
                   substr('ABCDEFGHKMNPRT', 1 + floor(pg_temp.u({lot_key}, 46) * 14)::int, 1)
                     || (1000 + floor(pg_temp.u({lot_key}, 47) * 9000)::int)::text,
                   x.fac, x.src, x.status, 1, NULL,
                   CASE WHEN x.src = 'imported' THEN 'LOG-' || x.j ELSE '' END,
                   CASE WHEN x.src = 'reported' THEN NULL ELSE {CLINIC_BASE} + x.fac END, x.created
            FROM (
              SELECT r.j, r.c, r.d, pg_temp.vax(r.c, r.d) AS vx, pg_temp.rec_fac(r.c, r.d) AS fac,
                     LEAST(date '2022-12-31', pg_temp.dose_date(r.c, r.d)
                       + CASE WHEN r.t >= r.course AND pg_temp.u(r.j, 41) < 0.1
                              THEN 1 + floor(pg_temp.u(r.j, 42) * 3)::int ELSE 0 END) AS dd,
                     CASE WHEN g.m IS NOT NULL AND r.t %% 2 = 1 THEN 'administered'
                          WHEN r.t < r.course THEN CASE WHEN pg_temp.u(r.j, 43) < 0.85 THEN 'administered'
                                                        ELSE 'imported' END
                          WHEN pg_temp.u(r.j, 43) < 0.5 THEN 'reported' ELSE 'imported' END AS src,
                     CASE WHEN g.m IS NULL THEN CASE WHEN pg_temp.u(r.j, 40) < 0.40 THEN 'recorded'
                                                     WHEN pg_temp.u(r.j, 40) < 0.55 THEN 'verified'
                                                     ELSE 'signed' END
                          WHEN g.final IN ('signed', 'closed') THEN 'signed'
                          WHEN g.final IN ('identity_verified', 'awaiting_signature')
                               AND pg_temp.u(r.j, 44) < 0.3 THEN 'verified'
                          ELSE 'recorded' END AS status,
                     CASE WHEN g.m IS NULL THEN %(now)s - interval '1 day' * %(days)s * pg_temp.u(r.j, 45)
                          ELSE g.submitted - (g.submitted - (%(now)s - interval '1 day' * %(days)s))
                                             * pg_temp.u(r.j, 45) END AS created
              FROM (SELECT j, c, t, course, 1 + (t %% course)::int AS d
                    FROM (SELECT j, (j - 1) %% {self.C} + 1 AS c, (j - 1) / {self.C} AS t,
                                 pg_temp.course((j - 1) %% {self.C} + 1) AS course
                          FROM generate_series(1, {self.B}::bigint) j OFFSET 0) r0 OFFSET 0) r
              LEFT JOIN g_case g ON g.m = r.c + (r.t / 2) * {self.C} AND g.linked
                                AND (r.t %% 2 = 0 OR g.two_doses)
            ) x""", {"now": now, "days": self.days})
        self.run(c, "verification_reconciliationcase_injections", f"""
            INSERT INTO verification_reconciliationcase_injections (reconciliationcase_id, injectionrecord_id)
            SELECT m, j1 FROM g_case WHERE linked
            UNION ALL SELECT m, j1 + {self.C} FROM g_case WHERE linked AND two_doses""")
        self.run(c, "verification_claimeddose", """
            INSERT INTO verification_claimeddose (id, case_id, vaccine_id, vaccine_text, dose_number,
                injection_date, facility_id, lot_number, injection_id)
            SELECT g.m, g.m, r.vaccine_id, '', r.dose_number, r.injection_date, g.facility, r.lot_number,
                   CASE WHEN g.linked THEN r.id END
            FROM g_case g JOIN records_injectionrecord r ON r.id = g.j1 WHERE g.origin = 'citizen_report'""")

    def timeline(self, c) -> None:
        actor_id = (f"CASE st.actor WHEN 'clinic' THEN {CLINIC_BASE} + g.eff_fac WHEN 'police' THEN "
                    f"{POLICE_BASE} + g.widx WHEN 'signer' THEN {SIGNER_BASE} + g.widx END")
        actor_label = ("CASE st.actor WHEN 'clinic' THEN 'clinic_' || f.code "
                       "WHEN 'police' THEN 'police_' || g.ward "
                       "WHEN 'signer' THEN 'signer_' || g.ward ELSE st.actor END")
        pv_ref = code_sql("g.m * 16 + st.s", 21_345_678_901_234_567, self.seed)
        batch = "'LOAD-' || (g.m / 500)"
        joined_code = code_sql(f"g.m + {10 * self.M}", 36_837_729_016_011_523, self.seed)
        data = f"""CASE
            WHEN st.pv_source = 'registry'
                THEN jsonb_build_object('verification', {pv_ref}, 'source', 'registry', 'batch_id', {batch})
            WHEN st.pv_source = 'officer'
                THEN jsonb_build_object('verification', {pv_ref}, 'source', 'officer')
                || CASE WHEN st.pv_outcome = 'mismatch'
                        THEN jsonb_build_object('police_values', cs.police_values)
                        ELSE '{{}}'::jsonb END
            WHEN st.transition = 'reject' THEN jsonb_build_object('reason', cs.reject_reason)
            WHEN st.action = 'add_dose'
                THEN jsonb_build_object('action', 'add_dose', 'injection', g.j1 + {self.C})
            WHEN st.action = 'join_report'
                THEN jsonb_build_object('action', 'join_report', 'joined_report', {joined_code})
            ELSE '{{}}'::jsonb END"""
        self.run(c, "verification_caseevent", f"""
            INSERT INTO verification_caseevent (id, case_id, at, actor_id, actor_label, transition,
                                                from_status, to_status, message, data)
            SELECT g.m * 16 + st.s, g.m, pg_temp.step_at(g.submitted, g.span, st.s, g.n, g.m), {actor_id},
                   {actor_label}, st.transition, st.from_s, st.to_s,
                   CASE st.transition WHEN 'reject' THEN cs.reject_note
                                      WHEN 'request_info' THEN cs.info_request ELSE '' END, {data}
            FROM g_case g JOIN g_step st ON st.path = g.path AND st.actor <> 'none'
            JOIN records_facility f ON f.id = g.eff_fac
            JOIN verification_reconciliationcase cs ON cs.id = g.m
            UNION ALL
            SELECT g.m * 16, g.m, g.submitted, NULL, 'citizen', '', 'submitted', 'submitted',
                   '', '{{"action": "confirm", "msg": "confirm", "msg_args": {{}}}}'::jsonb
            FROM g_case g WHERE g.origin = 'citizen_report' AND NOT g.draft""")
        self.run(c, "verification_policeverification", f"""
            INSERT INTO verification_policeverification (id, case_id, reference, source, outcome,
                registry_values, differing_fields, officer_id, note, batch_id, at)
            SELECT g.m * 16 + st.s, g.m, {pv_ref}, st.pv_source, st.pv_outcome, '{{}}'::jsonb,
                   CASE WHEN st.pv_outcome = 'mismatch' THEN '["date_of_birth"]'::jsonb ELSE '[]'::jsonb END,
                   CASE WHEN st.pv_source = 'officer' THEN {POLICE_BASE} + g.widx END, '',
                   CASE WHEN st.pv_source = 'registry' THEN {batch} ELSE '' END,
                   pg_temp.step_at(g.submitted, g.span, st.s, g.n, g.m)
            FROM g_case g JOIN g_step st ON st.path = g.path AND st.pv_source IS NOT NULL""")

    def signatures_and_corrections(self, c, now) -> None:
        seed = self.seed
        pv_ref = code_sql("g.m * 16 + g.verify_step", 21_345_678_901_234_567, seed)
        sig_bytes = "decode(" + " || ".join(f"md5(r.id::text || '{x}{seed}')" for x in "abcd") + ", 'hex')"
        payload = f"md5(r.id::text || 'p{seed}') || md5(r.id::text || 'q{seed}')"
        self.run(c, "signing_signature (signed records)", f"""
            INSERT INTO signing_signature (id, record_id, case_id, police_reference, payload_hash, signature,
                algorithm, certificate_id, signing_time, signed_by_id, batch_id, status, superseded_at)
            SELECT r.id, r.id, g.m, CASE WHEN g.m IS NULL THEN 'LOAD-' || r.id ELSE {pv_ref} END, {payload},
                   {sig_bytes}, 'ecdsa-p256-sha256', pg_temp.ward_of(r.citizen_id) + 1,
                   COALESCE(g.sign_at, r.created_at + (%(now)s - r.created_at) * 0.9 * pg_temp.u(r.id, 48)),
                   {SIGNER_BASE} + pg_temp.ward_of(r.citizen_id), NULL, 'valid', NULL
            FROM records_injectionrecord r
            LEFT JOIN g_case g ON g.m = r.citizen_id + ((r.id - 1) / {self.C} / 2) * {self.C} AND g.linked
                               AND (((r.id - 1) / {self.C}) %% 2 = 0 OR g.two_doses)
            WHERE r.status = 'signed'""", {"now": now})
        self.run(c, "(correction plan)", f"""
            CREATE TEMP TABLE g_corr AS
            SELECT k, {self.B} + k AS id2, 1 + ((k - 1) * {self.B}) / {self.K} AS j
            FROM generate_series(1, {self.K}::bigint) k""")
        self.run(c, "records_injectionrecord (version 2)", f"""
            INSERT INTO records_injectionrecord (id, citizen_id, vaccine_id, dose_number, injection_date,
                lot_number, facility_id, source, status, version, previous_id, source_record_id,
                created_by_id, created_at)
            SELECT x.id2, r.citizen_id, r.vaccine_id, r.dose_number,
                   GREATEST(date '2021-03-08', r.injection_date + CASE WHEN pg_temp.u(x.id2, 51) < 0.5
                                           THEN -1 - floor(pg_temp.u(x.id2, 54) * 5)::int ELSE 0 END),
                   CASE WHEN pg_temp.u(x.id2, 51) >= 0.5 THEN r.lot_number || 'A' ELSE r.lot_number END,
                   r.facility_id, r.source,
                   CASE WHEN s.id IS NULL THEN r.status WHEN pg_temp.u(x.id2, 52) < 0.4 THEN 'signed'
                        WHEN pg_temp.u(x.id2, 52) < 0.85 THEN 'verified' ELSE 'recorded' END,
                   2, r.id, '', {CLINIC_BASE} + r.facility_id,
                   COALESCE(s.signing_time, r.created_at)
                     + (%(now)s - COALESCE(s.signing_time, r.created_at))
                       * (0.1 + 0.85 * pg_temp.u(x.id2, 53))
            FROM g_corr x JOIN records_injectionrecord r ON r.id = x.j
            LEFT JOIN signing_signature s ON s.id = x.j""", {"now": now})
        self.run(c, "signing_signature (re-signed version 2)", f"""
            INSERT INTO signing_signature (id, record_id, case_id, police_reference, payload_hash, signature,
                algorithm, certificate_id, signing_time, signed_by_id, batch_id, status, superseded_at)
            SELECT r.id, r.id, s.case_id, s.police_reference, {payload}, {sig_bytes}, s.algorithm,
                   s.certificate_id,
                   r.created_at + (%(now)s - r.created_at) * 0.9 * pg_temp.u(r.id, 55), s.signed_by_id, NULL,
                   'valid', NULL
            FROM g_corr x JOIN records_injectionrecord r ON r.id = x.id2 AND r.status = 'signed'
            JOIN signing_signature s ON s.id = x.j""", {"now": now})
        self.run(c, "signing_signature (superseded)", """
            UPDATE signing_signature s SET status = 'superseded', superseded_at = v2.created_at
            FROM g_corr x JOIN records_injectionrecord v2 ON v2.id = x.id2 WHERE s.id = x.j""")
        self.run(c, "records_injectionrecord (superseded)", """
            UPDATE records_injectionrecord r SET status = 'superseded' FROM g_corr x WHERE r.id = x.j""")
        self.run(c, "case links to version 2", """
            INSERT INTO verification_reconciliationcase_injections (reconciliationcase_id, injectionrecord_id)
            SELECT l.reconciliationcase_id, x.id2 FROM verification_reconciliationcase_injections l
            JOIN g_corr x ON x.j = l.injectionrecord_id""")

    def set_sequences(self, c) -> None:
        for table in FILLED_TABLES:
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST(max(id), 1)) "
                      f"FROM {table}")


def signer_certificates(wards: list[tuple], seed: int, now: dt.datetime) -> list[tuple]:
    """One self-signed P-256 certificate per ward signer (key derived from the seed):
    (ward code, DER hex, fingerprint, subject, serial hex, not before, not after)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    rows = []
    not_before, not_after = dt.datetime(2021, 9, 1, tzinfo=dt.UTC), now + dt.timedelta(days=730)
    for code, name in wards:
        digest = hashlib.sha256(f"{seed}:{code}".encode()).digest()
        key = ec.derive_private_key(int.from_bytes(digest, "big") % (2 ** 255) + 1, ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Chủ tịch UBND {name}"[:64]),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"UBND {name}"[:64]),
                             x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")])
        serial = int.from_bytes(digest[:16], "big") >> 1
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key())
                .serial_number(serial).not_valid_before(not_before).not_valid_after(not_after)
                .sign(key, hashes.SHA256()))
        der = cert.public_bytes(serialization.Encoding.DER)
        rows.append((code, der.hex(), hashlib.sha256(der).hexdigest(), subject.rfc4514_string(),
                     f"{serial:x}", not_before, not_after))
    return rows


def ensure_database(url: str) -> None:
    """Create the target database when it does not exist yet."""
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    admin.close()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--injections", type=int, default=10_000_000)
    parser.add_argument("--cases", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=60,
                        help="created_at / submitted_at spread (days before now)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes for a check: " + ", ".join(f"{v:,} {k}" for k, v in QUICK.items()))
    parser.add_argument("--reset", action="store_true",
                        help="TRUNCATE every table this script fills (users too) before filling: "
                             "throwaway DB only")
    args = parser.parse_args()
    if args.quick:
        vars(args).update(QUICK)
    return args


def main() -> int:
    args = _arguments()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("DATABASE_URL must point at PostgreSQL, "
                         "e.g. postgres://postgres@127.0.0.1:5432/vaxrecon_national")
    generator = Generator(citizens=args.citizens, injections=args.injections, cases=args.cases,
                          days=args.days, seed=args.seed)
    ensure_database(url)

    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.services import ensure_role_groups
    from records.models import Citizen, Ward

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("load_divisions")
    ensure_role_groups()
    if args.reset:
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(FILLED_TABLES)} RESTART IDENTITY CASCADE")
    elif Citizen.objects.exists():
        raise SystemExit("This database already holds citizens: drop it (dropdb) or pass --reset.")
    now = timezone.now().replace(microsecond=0)
    print(f"set-up (migrate, divisions) {time.monotonic() - started:.1f} s; now = {now.isoformat()}")
    wards = list(Ward.objects.order_by("code").values_list("code", "name"))
    certificates = signer_certificates(wards, args.seed, now)
    password_hash = make_password(DEMO_PASSWORD)
    with transaction.atomic(), connection.cursor() as cur:
        generator.fill(cur, now, password_hash, certificates)
    started_analyze = time.monotonic()
    connection.ensure_connection()
    connection.connection.autocommit = True
    with connection.cursor() as cur:
        # VACUUM too (sets the visibility map): otherwise autovacuum does it during the first benchmark.
        cur.execute(f"VACUUM (ANALYZE) {', '.join(FILLED_TABLES)}")
    print(f"  {'VACUUM (ANALYZE)':<44} {'':>12}      {time.monotonic() - started_analyze:8.1f} s")
    _reindex_unusable(connection)
    _print_counts(connection)
    print(f"\ntotal {time.monotonic() - started:.1f} s")
    return 0


def _reindex_unusable(connection) -> None:
    """Build again the indexes built over HOT chains (the records' versions superseded in the same
    transaction): PostgreSQL marks them ``indcheckxmin``, and no query uses them until every
    transaction of the cluster older than the build has ended. On a shared machine a long one in
    another database (a reports build, a test run idle in transaction) kept the person's-doses index
    out of use for many minutes: each one-dose create's duplicate check then scanned 2.5M records
    (2.5 s). After the VACUUM the chains are gone and the new build is usable at once."""
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SELECT DISTINCT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE i.indcheckxmin AND n.nspname = current_schema()")
        tables = [row[0] for row in cur.fetchall()]
        for table in tables:
            cur.execute(f"REINDEX TABLE {connection.ops.quote_name(table)}")
    print(f"  {'REINDEX (indexes built over HOT chains)':<44} {len(tables):>12,} tbl  "
          f"{time.monotonic() - started:8.1f} s")


def _print_counts(connection) -> None:
    print("\nrow counts:")
    with connection.cursor() as cur:
        for table in FILLED_TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")
            print(f"  {table:<44} {cur.fetchone()[0]:>12,}")
        cur.execute("SELECT status, count(*) FROM verification_reconciliationcase GROUP BY 1 ORDER BY 2 DESC")
        print("cases by status: " + ", ".join(f"{s} {n:,}" for s, n in cur.fetchall()))
        cur.execute("SELECT status, count(*) FROM records_injectionrecord GROUP BY 1 ORDER BY 2 DESC")
        print("records by status: " + ", ".join(f"{s} {n:,}" for s, n in cur.fetchall()))


if __name__ == "__main__":
    sys.exit(main())
