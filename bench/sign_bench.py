"""Signing N injection records on PostgreSQL through the production batch path.

The bench gives the records what real ones have before they can be signed: one
reconciliation case per citizen (status awaiting_signature, in the bench signer's ward)
holding that citizen's doses, and one police verification (match) per case. Then it
runs ``signing.services.signing_batch_run`` - the function the Celery task runs for a
large batch - on one ``SigningBatch`` of all N records: per chunk one resolve query
(scope, case, police verification, every payload field, rows locked), the template
payload, SHA-256, CMS signed attributes, ECDSA P-256; COPY of the signatures and of one
audit event per record, one UPDATE of the records, and the ``sign`` transition of the
cases whose doses are all signed (CaseEvent + AuditEvent per case). On PostgreSQL with a
file key the service forks ``SIGNING_PROCESSES`` helpers after opening the key.

Also in the same run, before it, the FLOOR (``run_floor``): the same records through
the same forked code path writing only the signatures and the records' status (no
audit events, no case transition), each chunk rolled back.

Reported in the same run, with the same key: a raw signing loop (``FileKeySigner.sign``
of 32-byte inputs) in 1 and in P processes, before and after the pipeline; the raw
SoftHSM2 loop and the pipeline through a SoftHSM2 token (one process: a PKCS#11
session does not survive fork). Results go to the "Signing" section of
docs/BENCHMARKS.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vaxrecon_bench \\
      python manage.py seed_demo --citizens 490000          # ~1M doses
    python bench/sign_bench.py --records 1000000 [--processes 2] [--chunk 10000] [--hsm-records 20000]

Afterwards the bench deletes what it wrote (signatures with a ``BENCH-`` police
reference, its cases, police verifications, case and audit events, batches; raw SQL
with the triggers off, ``session_replication_role = replica``, so it needs the database
superuser: this is a throwaway benchmark database, whose audit chain that breaks) and
resets the records, so it can run again.
"""
from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxrecon.settings.dev")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vaxrecon_bench")

from bench.results import record  # noqa: E402

PASSPHRASE = "bench-passphrase"
TOKEN, PIN, SO_PIN = "bench-token", "123456", "12345678"
BENCH_USER = "bench-signer"
VERIFIED_AT = dt.datetime(2021, 10, 1, 8, 0, tzinfo=dt.UTC)


def setup_django() -> None:
    import django

    django.setup()


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ------------------------------------------------------------------- raw signing loop

_ctx: dict = {}


def _worker_init(store: str, p12: bytes, cert_der: bytes, softhsm_conf: str, module: str) -> None:
    from cryptography import x509

    from signing.keystores import FileKeySigner, Pkcs11Signer

    if store == "file":
        signer = FileKeySigner.from_pkcs12(p12, PASSPHRASE)
    else:
        os.environ["SOFTHSM2_CONF"] = softhsm_conf
        signer = Pkcs11Signer(module_path=module, token_label=TOKEN, pin=PIN, key_label="bench",
                              certificate=x509.load_der_x509_certificate(cert_der))
    _ctx.update(signer=signer)


def _raw_sign(n: int) -> int:
    signer = _ctx["signer"]
    data = os.urandom(32)
    for _ in range(n):
        signer.sign(data)
    return n


def run_raw(store: str, n: int, processes: int, ctx: dict) -> float:
    hsm = ctx["hsm"]
    with mp.get_context("spawn").Pool(processes, initializer=_worker_init,
                                      initargs=(store, ctx["p12"], hsm["cert_der"], hsm["conf"],
                                                hsm["module"])) as pool:
        pool.map(_raw_sign, [1] * processes)
        per = n // processes
        started = time.perf_counter()
        done = sum(pool.map(_raw_sign, [per] * processes))
        elapsed = time.perf_counter() - started
    return done / elapsed


# ------------------------------------------------------------------------- data set-up


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
            "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}


def prepare(args) -> dict:
    """Dev CA, the bench signer with an EC file key (and a SoftHSM2 token key), cases."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Role
    from accounts.services import user_create
    from records.models import Ward
    from signing import devpki, services
    from signing.models import SignerCertificate

    cleanup()
    pki_dir = Path(tempfile.mkdtemp(prefix="vaxrecon-bench-pki-"))
    _root, issuing, _ = devpki.init_dev_ca(pki_dir)
    devpki.register_dev_ca(pki_dir)
    user = get_user_model().objects.filter(username=BENCH_USER).first() or user_create(
        username=BENCH_USER, password=None, role=Role.SIGNER, ward=Ward.objects.order_by("code").first())
    SignerCertificate.objects.filter(user=user).update(active=False)
    p12, _cert = devpki.issue_file_signer(issuing, user=user, passphrase=PASSPHRASE)
    file_cert = services.signer_certificate_import_pkcs12(user=user, data=p12, passphrase=PASSPHRASE)
    hsm_info = {"conf": "", "module": "", "cert": None, "cert_der": b""}
    if args.hsm_records:
        from cryptography.hazmat.primitives import serialization

        from signing.softhsm import SoftHsm

        hsm = SoftHsm.create(Path(tempfile.mkdtemp(prefix="vaxrecon-bench-hsm-")))
        hsm.init_token(TOKEN, user_pin=PIN, so_pin=SO_PIN)
        cert = hsm.provision_signer(issuing, token_label=TOKEN, user_pin=PIN, key_label="bench",
                                    **devpki.signer_subject(user))
        hsm_cert = services.signer_certificate_register(
            user=user, certificate=cert, chain=[issuing.certificate],
            key_store=SignerCertificate.KeyStore.PKCS11, token_label=TOKEN, key_label="bench")
        os.environ["SOFTHSM2_CONF"] = str(hsm.conf_path)
        hsm_info = {"conf": str(hsm.conf_path), "module": hsm.module_path, "cert": hsm_cert,
                    "cert_der": cert.public_bytes(serialization.Encoding.DER)}
    ward_id = user.profile.ward_id
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_ids AS SELECT id, citizen_id FROM records_injectionrecord "
                       "WHERE status = 'recorded' ORDER BY id LIMIT %s",
                       [args.records + args.hsm_records + args.interactive * args.interactive_size])
        # One case per citizen, holding that citizen's doses; the police confirmed each.
        cursor.execute(
            "INSERT INTO verification_reconciliationcase (tracking_code, origin, status, full_name, "
            "name_key, date_of_birth, birth_year, dob_precision, sex, id_number, phone, nationality, "
            "ward_id, citizen_id, confirmed, reject_reason, reject_note, info_request, police_values, "
            "submitted_at, deadline_at, updated_at) SELECT 'BENCH' || c.id, 'bulk_import', "
            "'awaiting_signature', c.full_name, c.name_key, c.date_of_birth, c.birth_year, c.dob_precision, "
            "c.sex, COALESCE(c.cccd, ''), '', c.nationality, %s, "
            "c.id, false, '', '', '', '{}', now(), now() + interval '30 days', now() "
            "FROM records_citizen c WHERE c.id IN (SELECT citizen_id FROM bench_ids)", [ward_id])
        cursor.execute(
            "INSERT INTO verification_reconciliationcase_injections "
            "(reconciliationcase_id, injectionrecord_id) "
            "SELECT k.id, b.id FROM bench_ids b JOIN verification_reconciliationcase k "
            "ON k.citizen_id = b.citizen_id AND k.tracking_code LIKE 'BENCH%%'")
        cursor.execute(
            "INSERT INTO verification_policeverification (case_id, reference, source, outcome, "
            "registry_values, differing_fields, note, batch_id, at) SELECT k.id, 'BENCH-' || k.id, "
            "'registry', 'match', '{}', '[]', '', 'bench', %s FROM verification_reconciliationcase k "
            "WHERE k.tracking_code LIKE 'BENCH%%'",
            [VERIFIED_AT])
        cursor.execute("SELECT count(*) FROM verification_reconciliationcase "
                       "WHERE tracking_code LIKE 'BENCH%%'")
        cases = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM bench_ids ORDER BY id")
        ids = [r[0] for r in cursor.fetchall()]
        cursor.execute("DROP TABLE bench_ids")
    connection.commit() if not connection.get_autocommit() else None
    vacuum_analyze()
    print(f"  set-up: {cases:,} cases for {len(ids):,} records in {time.perf_counter() - started:.0f} s")
    return {"user": user, "file_cert": file_cert, "p12": p12, "hsm": hsm_info, "ids": ids, "cases": cases}


TABLES = ("records_injectionrecord", "signing_signature", "records_auditevent", "verification_caseevent",
          "verification_reconciliationcase", "verification_reconciliationcase_injections",
          "verification_policeverification")


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")


def cleanup() -> None:
    """Remove the rows earlier bench runs wrote; reset the records they signed."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        # Around the append-only triggers (records migration 0006), as the database superuser
        # may: this throwaway database's audit chain is broken by it (verify_audit_chain says so).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE records_injectionrecord r SET status = 'recorded' FROM signing_signature s "
                       "WHERE s.record_id = r.id AND s.police_reference LIKE 'BENCH-%%'")
        cursor.execute("DELETE FROM signing_signature WHERE police_reference LIKE 'BENCH-%%'")
        cursor.execute("DELETE FROM records_auditevent WHERE actor_label = %s AND "
                       "(action LIKE 'injection.sign' "
                       "OR action LIKE 'case.sign' OR action LIKE 'signing.batch%%')", [BENCH_USER])
        cursor.execute("DELETE FROM signing_signingbatch WHERE signed_by_id IN "
                       "(SELECT id FROM auth_user WHERE username = %s)", [BENCH_USER])
        bench_cases = "SELECT id FROM verification_reconciliationcase WHERE tracking_code LIKE 'BENCH%%'"
        cursor.execute(f"DELETE FROM verification_caseevent WHERE case_id IN ({bench_cases})")
        cursor.execute(f"DELETE FROM verification_reconciliationcase_injections "
                       f"WHERE reconciliationcase_id IN ({bench_cases})")
        cursor.execute(f"DELETE FROM verification_policeverification WHERE case_id IN ({bench_cases})")
        cursor.execute("DELETE FROM verification_reconciliationcase WHERE tracking_code LIKE 'BENCH%%'")


# ---------------------------------------------------------------------------- pipeline


def run_pipeline(label: str, ids: list[int], ctx: dict, cert, signer) -> tuple[float, object]:
    """Run the production batch path on ``ids``; returns (records/s, finished batch)."""
    from signing import services
    from signing.models import SigningBatch

    batch = SigningBatch.objects.create(signed_by=ctx["user"], certificate=cert, record_ids=ids,
                                        total=len(ids))
    updates_before = record_updates()
    before = loadavg()
    started = time.perf_counter()
    batch = services.signing_batch_run(batch=batch, signer=signer)
    elapsed = time.perf_counter() - started
    after = loadavg()
    rate = batch.signed / elapsed if elapsed else 0.0
    updates, hot = (a - b for a, b in zip(record_updates(), updates_before))
    ctx["hot"] = f"{hot:,} of {updates:,}"
    print(f"  {label}: {batch.status}, {batch.signed:,} signed, {batch.skipped:,} skipped in {elapsed:.1f} s "
          f"= {rate:,.0f} records/s  (load {before} -> {after}; record UPDATEs HOT: {ctx['hot']}) "
          f"{batch.message}")
    return rate, batch, before, after


def run_floor(ids: list[int], ctx: dict, cert, signer) -> tuple[float, int, str, str]:
    """The floor: the same records through the same code path (chunks, forked helpers,
    resolve with the row locks, payload, SHA-256, ECDSA, COPY of the signatures, the records'
    status UPDATE, the deferred FK checks of those rows run with SET CONSTRAINTS ALL
    IMMEDIATE) but ``sign_chunk(audit=False)``: no audit events, no case transition, no
    batch progress UPDATE; and every chunk is ROLLED BACK instead of committed. Returns
    (records/s, records signed, load before, load after)."""
    import multiprocessing

    from django.db import connection, transaction

    from signing import batchsign, cms, runner
    from signing.models import SigningBatch
    from vaxrecon.access import scope_for

    user = ctx["user"]
    batch = SigningBatch.objects.create(signed_by=user, certificate=cert, record_ids=[], total=len(ids))
    scope, template = scope_for(user), cms.SignedAttributesTemplate(signer.certificate)
    chunks = list(runner._chunks(ids, runner.chunk_size()))
    signed = multiprocessing.Value("q", 0)

    def work(chunk):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
            result = batchsign.sign_chunk(chunk, signer=signer, template=template, user=user, scope=scope,
                                          certificate_id=cert.pk, batch_id=batch.pk, audit=False)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            transaction.set_rollback(True)
        with signed.get_lock():
            signed.value += result.signed
        return []

    processes = runner._processes_for(signer, len(chunks))
    before = loadavg()
    started = time.perf_counter()
    if processes > 1:
        runner._run_forked(chunks, processes, work)
    else:
        for chunk in chunks:
            work(chunk)
    elapsed = time.perf_counter() - started
    after = loadavg()
    rate = signed.value / elapsed if elapsed else 0.0
    print(f"  floor (signatures + record status only, rolled back), {processes} processes: "
          f"{signed.value:,} in {elapsed:.1f} s = {rate:,.0f} records/s  (load {before} -> {after})")
    return rate, signed.value, before, after


def record_updates() -> tuple[int, int]:
    """(row updates, HOT row updates) of records_injectionrecord so far (statistics
    collector; given a moment to catch up with the helpers' backends)."""
    from django.db import connection

    time.sleep(1.0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                       "WHERE relname = 'records_injectionrecord'")
        return cursor.fetchone()


def check_sample(ids: list[int], cert_id: int) -> tuple[int, int]:
    """Verify a sample of stored signatures with the verification service (chain, signature,
    payload rebuilt from the database); returns (verified, checked)."""
    from signing import services
    from signing.models import Signature

    sample = ids[:: max(1, len(ids) // 200)]
    reports = list(services.signatures_verify(
        Signature.objects.filter(record_id__in=sample, certificate_id=cert_id).select_related("certificate",
                                                                                              "signed_by")))
    return sum(r.ok for r in reports), len(reports)


def case_counts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM verification_reconciliationcase "
                       "WHERE tracking_code LIKE 'BENCH%%' GROUP BY status")
        counts = dict(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM verification_caseevent e JOIN verification_reconciliationcase k "
                       "ON k.id = e.case_id WHERE k.tracking_code LIKE 'BENCH%%' AND e.transition = 'sign'")
        counts["sign events"] = cursor.fetchone()[0]
    return counts


def report_text(*, info, args, ctx, cases, hot, p, raw1, rawp, rawp_after, floor, floor_n, batch, pipe,
                hsm_raw, hsm_batch, hsm_rate, load_raw, load_before, load_after, verified, checked) -> str:
    """The docs/BENCHMARKS.md section of a run."""
    return (
        f"## Signing\n\n"
        f"`bench/sign_bench.py` ({info['date']}): machine {info['nproc']} CPUs (`nproc`), {info['cpu']}, "
        f"{info['ram']} RAM;\n"
        f"PostgreSQL 15 on 127.0.0.1; `SIGNING_PROCESSES={p}`, `SIGNING_CHUNK={args.chunk:,}`.\n\n"
        f"| what | records | records/s |\n"
        f"| --- | ---: | ---: |\n"
        f"| raw `FileKeySigner.sign`, same key, 1 process | {args.raw // 2:,} | {raw1:,.0f} |\n"
        f"| raw `FileKeySigner.sign`, same key, {p} processes (before the pipeline) | {args.raw:,} "
        f"| {rawp:,.0f} |\n"
        f"| floor: same path, signatures + record status only, rolled back, {p} processes | {floor_n:,} "
        f"| {floor:,.0f} |\n"
        f"| **production batch path, file key, {p} processes** | **{batch.signed:,}** | **{pipe:,.0f}** |\n"
        f"| raw `FileKeySigner.sign`, same key, {p} processes (after the pipeline) | {args.raw:,} "
        f"| {rawp_after:,.0f} |\n"
        f"| raw `Pkcs11Signer.sign` through SoftHSM2 (CKM_ECDSA), 1 process | {min(args.raw, 10_000):,} "
        f"| {hsm_raw:,.0f} |\n"
        f"| production batch path, SoftHSM2 token, 1 process | {hsm_batch.signed if hsm_batch else 0:,} "
        f"| {hsm_rate:,.0f} |\n\n"
        f"Load average (1/5/15 min) before the raw loop {load_raw}; before the pipeline {load_before}; "
        f"after it {load_after}.\n"
        f"Cases: {ctx['cases']:,} (one per citizen); after the runs {cases}. Record UPDATEs that were HOT "
        f"(file-key run): {hot}.\n"
        f"Signatures checked afterwards with `signatures_verify` (chain, signature, payload rebuilt from the "
        f"database):\n"
        f"{verified} of a sample of {checked} verified.\n\n"
    )


def write_report(text: str) -> None:
    path = ROOT / "docs" / "BENCHMARKS.md"
    path.parent.mkdir(exist_ok=True)
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    section = re.compile(r"^## Signing\n.*?(?=^## |\Z)", re.S | re.M)
    if section.search(current):
        current = section.sub(lambda _m: text, current)
    else:
        current = current.rstrip("\n") + "\n\n" + text
    path.write_text(current)


def run_token(hsm_ids: list[int], ctx: dict, raw: int) -> tuple[float, float, object]:
    """The raw loop and the batch path through the SoftHSM2 token, one process; returns
    (batch records/s, raw signatures/s, finished batch)."""
    from cryptography import x509

    from signing.keystores import Pkcs11Signer

    hsm_raw = run_raw("token", min(raw, 10_000), 1, ctx)
    hsm = ctx["hsm"]
    token = Pkcs11Signer(module_path=hsm["module"], token_label=TOKEN, pin=PIN, key_label="bench",
                         certificate=x509.load_der_x509_certificate(hsm["cert_der"]))
    try:
        hsm_rate, hsm_batch, *_ = run_pipeline("pipeline, SoftHSM2, 1 process", hsm_ids, ctx, hsm["cert"],
                                               token)
    finally:
        token.close()
    print(f"  raw Pkcs11Signer.sign via SoftHSM2, 1 process: {hsm_raw:,.0f}/s")
    return hsm_rate, hsm_raw, hsm_batch


def run_interactive(ids: list[int], ctx: dict, size: int) -> list[float]:
    """A signer's batches as the signer page sends them (signing_start: scope, certificate
    checks, passphrase, the synchronous path up to SIGNING_SYNC_LIMIT), after the big run
    left its records signed in the table; prints and records the p95 of the batches."""
    from django.db import connection

    from signing import services

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM signing_signature")
        signatures = cursor.fetchone()[0]
    seconds = []
    for start in range(0, len(ids) - size + 1, size):
        started = time.perf_counter()
        services.signing_start(user=ctx["user"], certificate_id=ctx["file_cert"].pk,
                               record_ids=ids[start:start + size], secret=PASSPHRASE)
        seconds.append(time.perf_counter() - started)
    if not seconds:
        return seconds
    ordered = sorted(seconds)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    print(f"  interactive batches of {size} through signing_start, {signatures:,} signatures already in the "
          f"table: {len(seconds)} batches, median {ordered[len(ordered) // 2]:.2f} s, p95 {p95:.2f} s, "
          f"max {ordered[-1]:.2f} s (load {loadavg()})")
    record("signing", f"signer's batch of {size} in the page, p95 of {len(seconds)}, "
           f"{signatures:,} signatures in the table", p95, "s", "≤ 1 s (1M signed)", met=p95 <= 1)
    return seconds


def _record(*, batch, p: int, pipe: float, floor: float, floor_n: int, rawp: float) -> None:
    """The figures of `make bench`'s table: the production path beside the floor and the raw loop."""
    record("signing", f"production batch path, file key, {p} processes, {batch.signed:,} records", pipe, "/s",
           "≥ 5,000 /s (1M records)", met=pipe >= 5000, baseline=floor or None,
           baseline_label=f"floor, {floor_n:,} records" if floor else "",
           ratio=pipe / floor if floor else None)
    record("signing", f"raw FileKeySigner loop, {p} processes", rawp, "/s")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--raw", type=int, default=100_000, help="signatures in the raw loop")
    parser.add_argument("--hsm-records", type=int, default=20_000, help="0 skips SoftHSM2")
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="skip the floor run (signatures + record status only, rolled back)")
    parser.add_argument("--interactive", type=int, default=20,
                        help="signer's batches through the page's service after the big run (0: none)")
    parser.add_argument("--interactive-size", type=int, default=200, help="records per interactive batch")
    parser.add_argument("--no-report", action="store_true")
    return parser.parse_args()


def main() -> int:
    args = _arguments()
    setup_django()
    from django.conf import settings
    from django.db import connection

    from signing.keystores import FileKeySigner

    if connection.vendor != "postgresql":
        print("sign_bench needs PostgreSQL (DATABASE_URL)", file=sys.stderr)
        return 2
    settings.SIGNING_PROCESSES, settings.SIGNING_CHUNK = args.processes, args.chunk
    info = machine()
    print(f"{info['date']}  {info['nproc']} CPUs  {info['cpu']}  {info['ram']}  "
          f"db={connection.settings_dict['NAME']}  load {loadavg()}")
    ctx = prepare(args)
    ids = ctx["ids"]
    file_ids, hsm_ids = ids[:args.records], ids[args.records:args.records + args.hsm_records]
    interactive_ids = ids[args.records + args.hsm_records:]
    if len(file_ids) < args.records:
        print(f"  only {len(file_ids):,} unsigned records in the database (asked {args.records:,}); "
              "seed more with seed_demo --citizens", file=sys.stderr)
    p = args.processes
    load_raw = loadavg()
    raw1 = run_raw("file", args.raw // 2, 1, ctx)
    rawp = run_raw("file", args.raw, p, ctx)
    print(f"  raw FileKeySigner.sign (ECDSA P-256), 1 process: {raw1:,.0f}/s; {p} processes: {rawp:,.0f}/s "
          f"(load {load_raw})")
    signer = FileKeySigner.from_pkcs12(ctx["p12"], PASSPHRASE)
    floor = floor_n = 0
    if args.floor:
        floor, floor_n, *_ = run_floor(file_ids, ctx, ctx["file_cert"], signer)
        vacuum_analyze()  # the rolled-back row versions go before the measured run
    pipe, batch, load_before, load_after = run_pipeline(f"pipeline, file key, {p} processes", file_ids, ctx,
                                                        ctx["file_cert"], signer)
    hot = ctx["hot"]
    verified, checked = check_sample(file_ids, ctx["file_cert"].pk)
    rawp_after = run_raw("file", args.raw, p, ctx)
    print(f"  raw loop again after the pipeline, {p} processes: {rawp_after:,.0f}/s; sample verified by "
          f"signatures_verify: {verified}/{checked}")
    hsm_rate, hsm_raw, hsm_batch = run_token(hsm_ids, ctx, args.raw) if hsm_ids else (0.0, 0.0, None)
    run_interactive(interactive_ids, ctx, args.interactive_size)
    cases = case_counts()
    print(f"  bench cases by status after the runs: {cases}")
    from django.db import connections

    connections.close_all()
    cleanup()
    print(f"  cleaned up; load {loadavg()}")
    _record(batch=batch, p=p, pipe=pipe, floor=floor, floor_n=floor_n, rawp=rawp)
    if args.no_report:
        return 0
    write_report(report_text(info=info, args=args, ctx=ctx, cases=cases, hot=hot, p=p, raw1=raw1, rawp=rawp,
                             rawp_after=rawp_after, floor=floor, floor_n=floor_n, batch=batch, pipe=pipe,
                             hsm_raw=hsm_raw, hsm_batch=hsm_batch, hsm_rate=hsm_rate, load_raw=load_raw,
                             load_before=load_before, load_after=load_after, verified=verified,
                             checked=checked))
    print("written to docs/BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
