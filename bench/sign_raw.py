"""Raw signing rates: ECDSA P-256 from a file key and through SoftHSM2 (no database).

Prints records/second for:
  * cryptography's ECDSA sign alone (the floor everything else sits on),
  * ``FileKeySigner.sign`` of the CMS signed attributes (what a record signature is),
  * payload build + RFC 8785 canonicalisation alone (rfc8785 package and fast path),
  * the whole per-record path (build, canonicalise, hash, attributes, sign),
    in one process and in N worker processes,
  * the same ECDSA signature through a SoftHSM2 token (PKCS#11, CKM_ECDSA).

The later full pipeline (with PostgreSQL writes) must reach 10,000 records/s on 2 cores;
this shows how much of that budget signing itself takes.

    .venv/bin/python bench/sign_raw.py [--records 20000] [--workers 2] [--hsm-records 3000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from bench.results import record  # noqa: E402
from signing import cms, pki  # noqa: E402
from signing.canonical import build_payload, canonical_json, canonical_payload  # noqa: E402
from signing.keystores import Algorithm, FileKeySigner, Pkcs11Signer  # noqa: E402

PASSPHRASE = "bench-passphrase"
SIGNED_AT = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thị Dung", "Hoàng Văn Em"]
VACCINES = ["comirnaty", "vaxzevria", "spikevax", "covilo", "abdala"]


def synthetic_parts(i: int) -> dict:
    """Return the three input dicts for record ``i`` (deterministic, varied)."""
    year = 1940 + i % 70
    return {
        "record": {"id": 1_000_000 + i, "version": 1 + i % 3, "vaccine": VACCINES[i % 5],
                   "dose_number": 1 + i % 4, "injection_date": dt.date(2021, 3 + i % 9, 1 + i % 28),
                   "lot_number": f"LOT{i % 9973:05d}", "facility": f"F-{i % 3321:04d}"},
        "identity": {"full_name": NAMES[i % 5], "sex": "MF"[i % 2],
                     "date_of_birth": dt.date(year, 1 + i % 12, 1 + i % 28), "birth_year": year,
                     "cccd": f"{1 + i % 96:03d}{i % 2}{year % 100:02d}{i % 1_000_000:06d}",
                     "nationality": "VN"},
        "police_verification": {"reference": f"CA-{i:09d}", "result": "match", "ward": i % 3321,
                                "verified_at": dt.datetime(2021, 10, 1, tzinfo=dt.UTC)},
    }


def rate(label: str, count: int, seconds: float, *, kept: bool = False) -> float:
    """Print a rate; `kept`: also one of the reference figures of `make bench`'s table."""
    per_s = count / seconds
    print(f"  {label:<58} {per_s:>10,.0f} /s  ({1e6 * seconds / count:7.1f} µs each, n={count:,})")
    if kept:
        record("signing, raw (no database)", label, per_s, "/s")
    return per_s


def sign_records(signer: FileKeySigner, parts: list[dict]) -> int:
    """The whole per-record path; returns how many were signed."""
    template = cms.SignedAttributesTemplate(signer.certificate)
    for p in parts:
        cms.sign_payload(signer, canonical_payload(**p), signing_time=SIGNED_AT,
                         template=template)
    return len(parts)


_worker_signer: FileKeySigner | None = None


def _worker_init(p12: bytes) -> None:
    global _worker_signer  # noqa: PLW0603 - the Pool initializer: each worker process opens the key once
    _worker_signer = FileKeySigner.from_pkcs12(p12, PASSPHRASE)


def _worker_sign(bounds: tuple[int, int]) -> int:
    assert _worker_signer is not None
    return sign_records(_worker_signer, [synthetic_parts(i) for i in range(*bounds)])


def bench_file_key(records: int, workers: int, issuing: pki.CertAndKey) -> None:
    key = pki.generate_key("ec")
    cert = pki.issue_signer_certificate(issuing, key.public_key(), organisation="UBND xã Bench",
                                        unit="Xã Bench", person="Người ký Bench")
    p12 = pki.export_pkcs12(pki.CertAndKey(cert, key), PASSPHRASE, [issuing.certificate])
    signer = FileKeySigner.from_pkcs12(p12, PASSPHRASE)
    parts = [synthetic_parts(i) for i in range(records)]
    payloads = [canonical_payload(**p) for p in parts]
    template = cms.SignedAttributesTemplate(cert)
    attrs = [template.der(os.urandom(32), SIGNED_AT) for _ in range(records)]
    print(f"ECDSA P-256, file key (PKCS#12), {os.cpu_count()} CPUs reported")

    t = time.perf_counter()
    for a in attrs:
        key.sign(a, ec.ECDSA(hashes.SHA256()))
    rate("cryptography key.sign (raw ECDSA-SHA256)", records, time.perf_counter() - t)

    t = time.perf_counter()
    for a in attrs:
        signer.sign(a)
    rate("FileKeySigner.sign (pure sign)", records, time.perf_counter() - t)

    t = time.perf_counter()
    for p in parts:
        canonical_json(build_payload(**p))
    rate("build_payload + canonical_json (rfc8785 package)", records, time.perf_counter() - t)

    t = time.perf_counter()
    for p in parts:
        canonical_payload(**p)
    rate("canonical_payload (build + fast JCS encoder)", records, time.perf_counter() - t)

    t = time.perf_counter()
    for pl in payloads:
        cms.sign_payload(signer, pl, signing_time=SIGNED_AT, template=template)
    rate("sign_payload (hash + attribute template + sign)", records, time.perf_counter() - t)

    t = time.perf_counter()
    sign_records(signer, parts)
    rate("canonicalise + sign, 1 process", records, time.perf_counter() - t, kept=True)

    if workers > 1:
        ctx = mp.get_context("fork")
        step = -(-records // workers)
        bounds = [(s, min(s + step, records)) for s in range(0, records, step)]
        with ctx.Pool(workers, initializer=_worker_init, initargs=(p12,)) as pool:
            pool.map(_worker_sign, [(0, 10)] * workers)  # warm up: load keys, import modules
            t = time.perf_counter()
            done = sum(pool.map(_worker_sign, bounds))
            rate(f"canonicalise + sign, {workers} processes (incl. synthetic data)", done,
                 time.perf_counter() - t, kept=True)


def bench_softhsm(records: int, issuing: pki.CertAndKey) -> None:
    from signing.softhsm import SoftHsm, find_softhsm_module

    if find_softhsm_module() is None:
        print("SoftHSM2: not installed, skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        hsm = SoftHsm.create(tmp)
        hsm.init_token("bench", user_pin="1234", so_pin="12345678")
        hsm.provision_signer(issuing, token_label="bench", user_pin="1234", key_label="ec",
                             organisation="UBND xã Bench", unit="Xã Bench", person="Token Bench")
        payloads = [canonical_payload(**synthetic_parts(i)) for i in range(records)]
        print(f"ECDSA P-256 through SoftHSM2 ({hsm.module_path}), one session")
        with Pkcs11Signer(module_path=hsm.module_path, token_label="bench", pin="1234",
                          key_label="ec", algorithm=Algorithm.ECDSA_P256_SHA256) as signer:
            digest = os.urandom(32)
            t = time.perf_counter()
            for _ in range(records):
                signer.sign_digest(digest)
            rate("Pkcs11Signer.sign_digest (CKM_ECDSA + DER)", records, time.perf_counter() - t)
            template = cms.SignedAttributesTemplate(signer.certificate)
            t = time.perf_counter()
            for pl in payloads:
                cms.sign_payload(signer, pl, signing_time=SIGNED_AT, template=template)
            rate("sign_payload through the token", records, time.perf_counter() - t, kept=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hsm-records", type=int, default=3_000)
    args = parser.parse_args()
    issuing = pki.create_issuing_ca(pki.create_root_ca())
    bench_file_key(args.records, args.workers, issuing)
    bench_softhsm(args.hsm_records, issuing)


if __name__ == "__main__":
    main()
