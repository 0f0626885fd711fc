"""Signing N injection records on PostgreSQL: canonicalise, sign (ECDSA P-256), store.

Per record, in worker processes: read the record version and its citizen from the
database (``values(*RECORD_VALUES)``, rows locked ``FOR UPDATE``), build and
canonicalise the payload, sign it (CMS signed attributes), then per chunk COPY the
``Signature`` rows, ``UPDATE`` the records to SIGNED and COPY one audit event per record.
These are the functions ``signing.services`` uses for a batch (``sign_items``,
``write_signatures``); what the bench leaves out is the part that needs cases: the
benchmark data (``seed_demo --citizens N``) has doses but no reconciliation cases, so
the police verification is a synthetic one per record and no case transition runs.

Reported in the same run, with the same key: a raw signing loop (``FileKeySigner.sign``
of 32-byte inputs) in 1 and in P processes, the pipeline with the file key, and the
pipeline through a SoftHSM2 token. Results go to the "Signing" section of
docs/BENCHMARKS.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vaxrecon_bench \\
      python manage.py seed_demo --citizens 460000          # ~1M doses
    python bench/sign_bench.py --records 1000000 [--processes 2] [--hsm-records 50000]

The bench signs records in status ``recorded`` and afterwards deletes its own rows
(signatures with a ``BENCH-`` police reference and their audit events, with raw SQL:
this is a throwaway benchmark database) and resets the records, so it can run again.
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

PASSPHRASE = "bench-passphrase"
TOKEN, PIN, SO_PIN = "bench-token", "123456", "12345678"
CHUNK = 2000
BENCH_USER = "bench-signer"
VERIFIED_AT = dt.datetime(2021, 10, 1, 8, 0, tzinfo=dt.UTC)


def setup_django() -> None:
    import django

    django.setup()


# ------------------------------------------------------------------------- worker side

_ctx: dict = {}


def _worker_init(store: str, p12: bytes, cert_der: bytes, softhsm_conf: str, module: str) -> None:
    setup_django()
    from cryptography import x509

    from signing import cms
    from signing.keystores import FileKeySigner, Pkcs11Signer

    if store == "file":
        signer = FileKeySigner.from_pkcs12(p12, PASSPHRASE)
    else:
        os.environ["SOFTHSM2_CONF"] = softhsm_conf
        signer = Pkcs11Signer(module_path=module, token_label=TOKEN, pin=PIN, key_label="bench",
                              certificate=x509.load_der_x509_certificate(cert_der))
    _ctx.update(signer=signer, template=cms.SignedAttributesTemplate(signer.certificate))


def _sign_chunk(args: tuple[list[int], int, int]) -> int:
    """Lock, read, canonicalise, sign and store one chunk of records; returns rows signed."""
    ids, user_id, certificate_id = args
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from records.models import InjectionRecord
    from signing import services

    user = _ctx.get("user") or get_user_model().objects.get(pk=user_id)
    _ctx["user"] = user
    with transaction.atomic():
        locked = list(InjectionRecord.objects.select_for_update().filter(
            pk__in=ids, status=InjectionRecord.Status.RECORDED).values_list("pk", flat=True))
        rows = InjectionRecord.objects.filter(pk__in=locked).values(*services.RECORD_VALUES, "citizen__ward_id")
        items = [services._Item(row=row, case_id=None, police=synthetic_police(row)) for row in rows]
        now = timezone.now()
        signed = services.sign_items(items, signer=_ctx["signer"], template=_ctx["template"], at=now)
        services.write_signatures(items, signed, user=user, certificate_id=certificate_id, batch_id=None, at=now)
    return len(items)


def synthetic_police(row: dict) -> dict:
    return {"reference": f"BENCH-{row['id']}", "outcome": "match", "at": VERIFIED_AT,
            "case__ward_id": row["citizen__ward_id"], "officer_id": None}


def _raw_sign(n: int) -> int:
    signer = _ctx["signer"]
    data = os.urandom(32)
    for _ in range(n):
        signer.sign(data)
    return n


# ------------------------------------------------------------------------- parent side


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
            "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}


def prepare(args) -> dict:
    """Dev CA, the bench signer with an EC file key (and a SoftHSM2 token key), clean state."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Role
    from accounts.services import user_create
    from records.models import Ward
    from signing import devpki, pki, services
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
            user=user, certificate=cert, chain=[issuing.certificate], key_store=SignerCertificate.KeyStore.PKCS11,
            token_label=TOKEN, key_label="bench")
        hsm_info = {"conf": str(hsm.conf_path), "module": hsm.module_path, "cert": hsm_cert,
                    "cert_der": cert.public_bytes(serialization.Encoding.DER)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM records_injectionrecord WHERE status = 'recorded' ORDER BY id LIMIT %s",
                       [args.records + args.hsm_records])
        ids = [r[0] for r in cursor.fetchall()]
    del pki
    return {"user": user, "file_cert": file_cert, "p12": p12, "hsm": hsm_info, "ids": ids}


def cleanup() -> None:
    """Remove the rows earlier bench runs wrote; reset the records they signed."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE records_injectionrecord r SET status = 'recorded' FROM signing_signature s "
                       "WHERE s.record_id = r.id AND s.police_reference LIKE 'BENCH-%%'")
        cursor.execute("DELETE FROM signing_signature WHERE police_reference LIKE 'BENCH-%%'")
        cursor.execute("DELETE FROM records_auditevent WHERE action = 'injection.sign' AND actor_label = %s",
                       [BENCH_USER])


def run_pipeline(label: str, store: str, ids: list[int], processes: int, ctx: dict, cert_id: int) -> float:
    from django.db import connections

    connections.close_all()
    chunks = [(ids[i:i + CHUNK], ctx["user"].pk, cert_id) for i in range(0, len(ids), CHUNK)]
    hsm = ctx["hsm"]
    pool_ctx = mp.get_context("spawn")
    with pool_ctx.Pool(processes, initializer=_worker_init,
                       initargs=(store, ctx["p12"], hsm["cert_der"], hsm["conf"], hsm["module"])) as pool:
        pool.map(_raw_sign, [1] * processes)  # warm up: imports, Django, key opened
        started = time.perf_counter()
        done = 0
        for n in pool.imap_unordered(_sign_chunk, chunks):
            done += n
            if len(chunks) > 20 and done % (CHUNK * 50) < CHUNK:
                elapsed = time.perf_counter() - started
                print(f"\r  {label}: {done:,}/{len(ids):,} ({done / elapsed:,.0f}/s)", end="", flush=True)
        elapsed = time.perf_counter() - started
    print(f"\r  {label}: {done:,} records in {elapsed:.1f} s = {done / elapsed:,.0f} records/s" + " " * 20)
    return done / elapsed if done else 0.0


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


def check_sample(ids: list[int], cert_id: int) -> int:
    """Rebuild and verify a sample of stored signatures; returns how many verified."""
    from records.models import InjectionRecord
    from signing import cms, services
    from signing.canonical import payload_hash
    from signing.models import Signature, SignerCertificate

    cert = SignerCertificate.objects.get(pk=cert_id).certificate
    sample = ids[:: max(1, len(ids) // 200)]
    rows = {r["id"]: r for r in InjectionRecord.objects.filter(pk__in=sample)
            .values(*services.RECORD_VALUES, "citizen__ward_id")}
    ok = 0
    for sig in Signature.objects.filter(record_id__in=sample, certificate_id=cert_id):
        expected = payload_hash(services.record_payload(rows[sig.record_id], synthetic_police(rows[sig.record_id])))
        cms.verify_payload_signature(certificate=cert, algorithm=sig.algorithm, payload_hash=sig.payload_hash,
                                     signing_time=sig.signing_time, signature=bytes(sig.signature))
        ok += expected == sig.payload_hash
    return ok


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--raw", type=int, default=100_000, help="signatures in the raw loop")
    parser.add_argument("--hsm-records", type=int, default=50_000, help="0 skips SoftHSM2")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("sign_bench needs PostgreSQL (DATABASE_URL)", file=sys.stderr)
        return 2
    info = machine()
    print(f"{info['date']}  {info['nproc']} CPUs  {info['cpu']}  {info['ram']}  db={connection.settings_dict['NAME']}")
    ctx = prepare(args)
    ids = ctx["ids"]
    file_ids, hsm_ids = ids[:args.records], ids[args.records:]
    if len(file_ids) < args.records:
        print(f"  only {len(file_ids):,} unsigned records in the database (asked {args.records:,}); "
              "seed more with seed_demo --citizens", file=sys.stderr)
    p = args.processes
    raw1 = run_raw("file", args.raw // 2, 1, ctx)
    rawp = run_raw("file", args.raw, p, ctx)
    print(f"  raw FileKeySigner.sign (ECDSA P-256), 1 process: {raw1:,.0f}/s; {p} processes: {rawp:,.0f}/s")
    pipe = run_pipeline(f"pipeline, file key, {p} processes", "file", file_ids, p, ctx, ctx["file_cert"].pk)
    checked = check_sample(file_ids, ctx["file_cert"].pk)
    rawp_after = run_raw("file", args.raw, p, ctx)
    print(f"  raw loop again after the pipeline, {p} processes: {rawp_after:,.0f}/s; sample verified: {checked}")
    hsm_rate = hsm_raw = 0.0
    if hsm_ids:
        hsm_raw = run_raw("token", min(args.raw, 20_000), p, ctx)
        hsm_rate = run_pipeline(f"pipeline, SoftHSM2, {p} processes", "token", hsm_ids, p, ctx,
                                ctx["hsm"]["cert"].pk)
        print(f"  raw Pkcs11Signer.sign via SoftHSM2, {p} processes: {hsm_raw:,.0f}/s")
    from django.db import connections

    connections.close_all()
    cleanup()
    if args.no_report:
        return 0
    write_report(f"""## Signing

`bench/sign_bench.py` ({info['date']}): machine {info['nproc']} CPUs (`nproc`), {info['cpu']}, {info['ram']} RAM;
PostgreSQL on 127.0.0.1; {p} worker processes; chunks of {CHUNK:,} records per transaction.
Pipeline per record: read the record version + citizen (rows locked), RFC 8785 payload, SHA-256, CMS signed
attributes, ECDSA P-256 signature; per chunk COPY of the signatures, UPDATE of the records to SIGNED, COPY of one
audit event per record (the functions `signing.services` uses for a batch; no case transitions: the benchmark data
has no cases, the police verification reference is synthetic).

| what | records | records/s |
| --- | ---: | ---: |
| raw `FileKeySigner.sign`, same key, 1 process | {args.raw // 2:,} | {raw1:,.0f} |
| raw `FileKeySigner.sign`, same key, {p} processes (before the pipeline) | {args.raw:,} | {rawp:,.0f} |
| **pipeline with database writes, file key, {p} processes** | **{len(file_ids):,}** | **{pipe:,.0f}** |
| raw `FileKeySigner.sign`, same key, {p} processes (after the pipeline) | {args.raw:,} | {rawp_after:,.0f} |
| raw `Pkcs11Signer.sign` through SoftHSM2 (CKM_ECDSA), {p} processes | {min(args.raw, 20_000):,} | {hsm_raw:,.0f} |
| pipeline with database writes, SoftHSM2 token, {p} processes | {len(hsm_ids):,} | {hsm_rate:,.0f} |

Target: ≥ 10,000 records/s for the file-key pipeline. A sample of {checked} stored signatures was rebuilt from the
database and verified after the run.
""")
    print("written to docs/BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
