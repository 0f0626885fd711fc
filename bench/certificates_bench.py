"""Issuing vaccination certificates in bulk on PostgreSQL, with a file DSC, database writes included.

Set-up (not timed): N citizens with two Pfizer doses each, both signed (a valid ``Signature`` row
each, written directly: the signing path is sign_bench's subject), a CSCA and an ES256 file DSC.
Timed: ``certificates.services.certificates_issue_all`` - what ``issue_certificates --all`` runs:
per chunk of 2,000 citizens the rows locked, the current records and their signatures read, the
payload, CBOR, COSE ES256, zlib, Base45, then bulk INSERT of the certificates, their record links
and one audit event each. Then the same call again (every certificate unchanged: the idempotent
path). The figures go to the "Vaccination certificates" section of docs/BENCHMARKS.md (target
≥ 2,000 certificates/s with a file key, issue 14).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vaxrecon_h6 python manage.py migrate
    flock /work/notes/bench.lock nice -n 5 python bench/certificates_bench.py --citizens 50000

It deletes what it wrote afterwards (around the append-only triggers, as the database superuser:
a throwaway database; its audit chain is broken by that, as sign_bench's clean-up says).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxrecon.settings.dev")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vaxrecon_h6")

from bench.results import record  # noqa: E402

SECRET = "bench-dsc-secret"
MARK = "BENCHCERT"  # police_reference prefix and citizen names of this bench's rows
TARGET = 2000.0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def prepare(citizens: int):
    """N citizens with two signed doses each, a signer certificate for the signatures, a DSC."""
    from django.conf import settings

    from accounts.models import Role
    from accounts.services import user_create
    from certificates import dsc
    from records.models import Citizen, Facility, InjectionRecord, VaccineProduct, Ward
    from signing import devpki, pki, services
    from signing.models import Signature

    cleanup()
    ward = Ward.objects.order_by("code").first()
    from django.contrib.auth import get_user_model

    name = f"{MARK.lower()}-signer"
    user = get_user_model().objects.filter(username=name).first() or user_create(
        username=name, password=None, role=Role.SIGNER, ward=ward)
    root = pki.create_root_ca(not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
    issuing = pki.create_issuing_ca(root, not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
    services.authority_register(certificate=root.certificate, trusted=True, label=f"{MARK} root")
    services.authority_register(certificate=issuing.certificate, label=f"{MARK} issuing")
    p12, _cert = devpki.issue_file_signer(issuing, user=user, passphrase=SECRET)
    signer_cert = services.signer_certificate_import_pkcs12(user=user, data=p12, passphrase=SECRET)
    csca = dsc.create_csca()
    dsc.csca_register(certificate=csca.certificate, label=f"{MARK} CSCA")
    key = pki.generate_key("ec")
    dsc.dsc_register_pkcs12(data=pki.export_pkcs12(pki.CertAndKey(dsc.issue_dsc(csca, key.public_key()), key),
                                                   SECRET), passphrase=SECRET)
    settings.CERTIFICATES_DSC_SECRET = SECRET
    facility = Facility.objects.create(code=f"{MARK}-F", name=f"{MARK} facility", ward=ward)
    pfizer = VaccineProduct.objects.get(code="pfizer")
    started = time.perf_counter()
    people = Citizen.objects.bulk_create(
        [Citizen(full_name=f"Nguyễn Thị {MARK} {n}", name_key=f"nguyen thi {MARK.lower()} {n}", sex="F",
                 date_of_birth=dt.date(1980 + n % 30, 1 + n % 12, 1 + n % 28), birth_year=1980 + n % 30,
                 cccd=f"9{n:011d}", ward=ward, phone="") for n in range(citizens)], batch_size=5000)
    records = InjectionRecord.objects.bulk_create(
        [InjectionRecord(citizen=c, vaccine=pfizer, dose_number=d, injection_date=dt.date(2021, 6 + 2 * d, 1),
                         facility=facility, status=InjectionRecord.Status.SIGNED, lot_number="FK1")
         for c in people for d in (1, 2)], batch_size=5000)
    now = dt.datetime.now(dt.UTC)
    Signature.objects.bulk_create(
        [Signature(record=r, police_reference=f"{MARK}-{r.pk}", payload_hash="0" * 64, signature=b"bench",
                   algorithm=signer_cert.algorithm, certificate=signer_cert, signing_time=now, signed_by=user)
         for r in records], batch_size=5000)
    print(f"  set-up: {len(people):,} citizens, {len(records):,} signed records in "
          f"{time.perf_counter() - started:.0f} s")
    analyze()
    return len(people)


TABLES = ("records_citizen", "records_injectionrecord", "signing_signature", "records_auditevent",
          "certificates_vaccinationcertificate", "certificates_certificaterecord")


def analyze() -> None:
    """VACUUM ANALYZE the tables the issue reads and writes, as autovacuum would have on a live
    database: without it, the rows a previous run of this benchmark deleted are still scanned and
    the planner has no statistics for the rows just written (both the run's, not the code's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")  # the fixed table names above


def cleanup() -> None:
    from django.db import connection, transaction

    mine = f"SELECT id FROM records_citizen WHERE full_name LIKE '%%{MARK}%%'"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM records_auditevent WHERE "
                       "object_type = 'certificates.vaccinationcertificate' "
                       f"AND object_id IN (SELECT id::text FROM certificates_vaccinationcertificate "
                       f"WHERE citizen_id IN ({mine}))")
        cursor.execute(f"DELETE FROM certificates_certificaterecord WHERE certificate_id IN "
                       f"(SELECT id FROM certificates_vaccinationcertificate WHERE citizen_id IN ({mine}))")
        cursor.execute(f"DELETE FROM certificates_vaccinationcertificate WHERE citizen_id IN ({mine})")
        cursor.execute(f"DELETE FROM signing_signature WHERE police_reference LIKE '{MARK}-%%'")
        cursor.execute(f"DELETE FROM records_injectionrecord WHERE citizen_id IN ({mine})")
        cursor.execute(f"DELETE FROM records_citizen WHERE full_name LIKE '%%{MARK}%%'")
        cursor.execute(f"DELETE FROM records_facility WHERE code = '{MARK}-F'")
        cursor.execute("DELETE FROM certificates_documentsigner WHERE csca_id IN "
                       f"(SELECT id FROM certificates_countrysigningca WHERE label = '{MARK} CSCA')")
        cursor.execute(f"DELETE FROM certificates_countrysigningca WHERE label = '{MARK} CSCA'")


def render_times(samples: int = 20) -> float:
    """Median milliseconds to render one certificate's QR PNG and its A4 PDF (the download pages' work)."""
    import statistics

    from certificates import pdf, qr
    from certificates.models import VaccinationCertificate

    cert = VaccinationCertificate.objects.filter(citizen__full_name__contains=MARK).first()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        qr.qr_png(cert.hc1, scale=6)
        pdf.certificate_pdf(cert, size="a4")
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def signature_floor(count: int = 5000) -> float:
    """ES256 signatures per second of the DSC's key alone (a 400-byte message, as a certificate's
    Sig_structure): the ceiling of the issue rate on this machine, whatever else is made faster."""
    import os as _os

    from certificates.issuer import Issuer

    message = _os.urandom(400)
    with Issuer() as issuer:
        started = time.perf_counter()
        for _ in range(count):
            issuer._signer.sign(message)
        return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=50_000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from certificates.services import certificates_issue_all

    if connection.vendor != "postgresql":
        print("PostgreSQL only (DATABASE_URL)")
        return 2
    try:
        n = prepare(args.citizens)
        load_before = loadavg()
        started, cpu = time.perf_counter(), time.process_time()
        first = certificates_issue_all()
        issue, cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        again = certificates_issue_all()
        unchanged = time.perf_counter() - started
        render_ms = render_times()
        floor = signature_floor()
    finally:
        cleanup()
    rate, rate_again = first.issued / issue, again.unchanged / unchanged
    print(f"  issued {first.issued:,} of {n:,} in {issue:.2f} s: {rate:,.0f} certificates/s "
          f"(target ≥ {TARGET:,.0f}); load before {load_before}, after {loadavg()}")
    print(f"  this process's CPU: {cpu:.2f} s ({first.issued / cpu:,.0f} certificates per CPU-second of "
          "Python; PostgreSQL's own work not in it)")
    print(f"  again, all unchanged ({again.unchanged:,}): {unchanged:.2f} s, {rate_again:,.0f} citizens/s")
    record("certificates_bench", "bulk issue, file key, with DB writes", rate, "certificates/s",
           f"≥ {TARGET:,.0f}/s", met=rate >= TARGET)
    print(f"  QR PNG + A4 PDF of one certificate: {render_ms:.0f} ms (median of 20; target ≤ 150 ms)")
    record("certificates_bench", "QR PNG + PDF of one certificate", render_ms, "ms", "≤ 150 ms",
           met=render_ms <= 150)
    print(f"  ES256 signatures alone with the DSC's file key: {floor:,.0f}/s")
    record("certificates_bench", "bulk issue, Python CPU only", first.issued / cpu, "certificates/CPU-s")
    record("certificates_bench", "ES256 signatures alone (DSC file key)", floor, "signatures/s")
    record("certificates_bench", "bulk issue again (unchanged)", rate_again, "citizens/s")
    return 0 if first.issued == n and again.unchanged == n else 1


if __name__ == "__main__":
    sys.exit(main())
