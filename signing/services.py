"""Signing verified injection records, checking signatures, and the trust store.

Entry points (the page, the API, the commands and the task all call these):

* ``signing_start(user=, certificate_id=, record_ids=, secret=)`` - one batch, one
  passphrase/PIN entry. Returns the ``SigningBatch`` (done already, or queued).
* ``signing_batch_resume(batch_id=, sealed_secret=)`` - the Celery task's body.
* ``signatures_supersede(record=, actor=)`` - called by a correction of a signed record.
* ``signature_verify`` / ``signatures_verify`` - chain, validity at signing time,
  revocation, the mathematics, and tamper detection (payload rebuilt from the database).
* ``authority_register``, ``crl_import``, ``crl_refresh``, ``signer_certificate_register``,
  ``signer_certificate_import_pkcs12`` - the trust store and the signers' certificates.

Passphrases and PINs in batches that run on Celery (why this design)
--------------------------------------------------------------------
A batch of up to ``SIGNING_SYNC_LIMIT`` records (default 200, about a second of work)
is signed in the request: the passphrase lives only in that request's memory. A larger
batch runs in a worker, which must open the key itself (a decrypted key cannot travel:
PKCS#11 sessions are per process and a private key must not be serialised). So:

1. In the request the key is opened once with the passphrase/PIN. A wrong passphrase is
   reported at once and nothing is queued or signed; the certificate chain is checked
   too. The key is closed again.
2. A fresh random 256-bit key K is made for this batch only. The passphrase is sealed
   with AES-256-GCM under K (the batch id is the associated data, so a sealed secret
   cannot be replayed against another batch). The *ciphertext* goes into the task
   message; K goes into the ``signing`` cache (Redis when Celery is not eager) with a
   short TTL (``SIGNING_BATCH_KEY_TTL``, default 10 min).
3. The worker takes K out of the cache and deletes it in the same step, unseals, opens
   the key, signs, and drops the passphrase. K is single-use: a redelivered or replayed
   message finds no key and the batch fails with "enter your passphrase again"; the
   records already signed stay signed and the rest can be signed in a new batch.

Nothing persistent ever holds the passphrase, clear or sealed: the database has neither
K nor the ciphertext, the broker has only the ciphertext, the cache only K, and K expires
unused after the TTL. Someone needs both the broker message and the cache entry, inside
the TTL, to recover a passphrase - and for a file key also the encrypted PKCS#12 from the
database. Deployments that want the two apart point ``SIGNING_CACHE_URL`` at a different
Redis instance from ``CELERY_BROKER_URL``.

Batch signing path and durability
---------------------------------
Every batch, small or large, runs ``signing_batch_run``: chunks of ``SIGNING_CHUNK``
records (default 5,000), each one transaction doing ``batchsign.sign_chunk`` (one
resolve query, template payloads, COPY/UPDATE writes, the set-wise ``sign`` transition
of the cases completed). On PostgreSQL with a file key and at least two chunks the key
is opened once and ``SIGNING_PROCESSES`` helpers (default min(2, CPUs)) are forked; each
opens its own database connection and takes chunks from a shared counter; the parent
then re-checks the touched cases (a case whose doses two helpers signed at the same
moment) and finishes the batch. A token key signs in one process (PKCS#11 sessions do
not survive ``fork``), and so does SQLite.

Chunk transactions commit with ``synchronous_commit = off`` (``SIGNING_ASYNC_COMMIT``,
default on). What that risks: if the PostgreSQL server crashes, the last few hundred
milliseconds of committed chunks can be lost - whole chunks only (signatures, record
statuses, audit events, case transitions and the batch's progress counter are in the
same transaction), leaving those records unsigned and awaiting signature as before, never
half-signed. The batch's final "done" commit is synchronous, which flushes the WAL of
every earlier chunk, so a batch reported done is durable. The signed data is rebuilt
and re-signed at no cost to anyone but a second click, which is why this is acceptable
here and not for, say, the police verification results.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from records.audit import record_event
from records.models import InjectionRecord
from signing import batchsign, cms, pki
from signing.canonical import canonical_payload, payload_hash
from signing.errors import CertificateRejected, KeyStoreError, SignatureInvalid, SigningError
from signing.keystores import Algorithm, FileKeySigner, Pkcs11Signer, Signer
from signing.models import (
    AuthorityCertificate,
    RevocationList,
    Signature,
    SignerCertificate,
    SigningBatch,
)
from signing.selectors import TrustMaterial, certificates_of, records_awaiting_signature, trust_material
from vaxrecon.access import FACILITY, PROVINCE, WARD, Scope, scope_for
from vaxrecon.errors import InvalidInput, NotAllowed, NotFoundInScope
from verification.models import PoliceVerification

SIGNER_ROLES = frozenset({Role.SIGNER, Role.PROVINCIAL_OFFICER})
ACCEPTED_POLICE_OUTCOMES = (PoliceVerification.Outcome.MATCH, PoliceVerification.Outcome.FOREIGN)

# What a signed payload is rebuilt from: one values() row per record version.
RECORD_VALUES = (
    "id", "version", "previous_id", "vaccine__code", "dose_number", "injection_date", "lot_number",
    "facility__code", "citizen__full_name", "citizen__sex", "citizen__date_of_birth",
    "citizen__birth_year", "citizen__dob_precision", "citizen__cccd", "citizen__cmnd",
    "citizen__nationality",
)
POLICE_VALUES = ("reference", "outcome", "at", "case__ward_id", "officer_id")


# --------------------------------------------------------------------------- payloads


def record_payload(row: dict, police: dict) -> bytes:
    """Return the canonical bytes signed for one record version.

    ``row`` is a ``values(*RECORD_VALUES)`` row, ``police`` a ``values(*POLICE_VALUES)``
    row of the police verification. The same function serves signing and verification,
    so a verifier rebuilds exactly what the signer signed.
    """
    return canonical_payload(
        record={"id": row["id"], "version": row["version"], "previous_id": row["previous_id"],
                "vaccine": row["vaccine__code"], "dose_number": row["dose_number"],
                "injection_date": row["injection_date"], "lot_number": row["lot_number"],
                "facility": row["facility__code"]},
        identity={"full_name": row["citizen__full_name"], "sex": row["citizen__sex"],
                  "date_of_birth": row["citizen__date_of_birth"],
                  "birth_year": row["citizen__birth_year"],
                  "dob_precision": row["citizen__dob_precision"], "cccd": row["citizen__cccd"],
                  "cmnd": row["citizen__cmnd"], "nationality": row["citizen__nationality"]},
        police_verification={"reference": police["reference"], "result": police["outcome"],
                             "verified_at": police["at"], "ward": police["case__ward_id"],
                             "officer": police["officer_id"]},
    )


def payload_for_signature(signature: Signature) -> bytes:
    """Return the payload of a stored signature as the database holds it now."""
    row = InjectionRecord.objects.filter(pk=signature.record_id).values(*RECORD_VALUES).get()
    police = PoliceVerification.objects.filter(reference=signature.police_reference).values(
        *POLICE_VALUES).first()
    if police is None:
        raise SignatureInvalid(_("The police verification %(ref)s no longer exists.")
                               % {"ref": signature.police_reference})
    return record_payload(row, police)


# ------------------------------------------------------------------------- key stores


def pkcs11_module() -> str:
    from signing.softhsm import find_softhsm_module

    module = settings.SIGNING_PKCS11_MODULE or find_softhsm_module()
    if not module:
        raise KeyStoreError(_("No PKCS#11 module is configured (SIGNING_PKCS11_MODULE)."))
    return module


def open_signer(*, certificate: SignerCertificate, secret: str) -> Signer:
    """Open the key of ``certificate`` with the passphrase (file) or PIN (token).

    Raises ``WrongPassphrase`` / ``WrongPin`` / ``KeyStoreError`` with a plain message.
    The caller closes the returned signer.
    """
    algorithm = Algorithm(certificate.algorithm)
    if certificate.key_store == SignerCertificate.KeyStore.FILE:
        signer: Signer = FileKeySigner.from_pkcs12(bytes(certificate.pkcs12), secret, algorithm=algorithm)
    else:
        signer = Pkcs11Signer(module_path=pkcs11_module(), token_label=certificate.token_label,
                              pin=secret, key_label=certificate.key_label,
                              certificate=certificate.certificate, algorithm=algorithm)
    if signer.certificate != certificate.certificate:
        signer.close()
        raise KeyStoreError(_("The key opened belongs to a different certificate."))
    return signer


def check_certificate(certificate: SignerCertificate, *, at: dt.datetime,
                      material: TrustMaterial | None = None) -> pki.ChainResult:
    """Raise ``CertificateRejected`` unless ``certificate`` could sign at ``at``."""
    material = material or trust_material()
    return pki.verify_chain(certificate.certificate, material.intermediates, material.roots, at=at,
                            crls=material.crls,
                            require_revocation_info=settings.SIGNING_REQUIRE_REVOCATION_INFO)


def _check_fits_scope(certificate: SignerCertificate, scope: Scope) -> None:
    fits = {
        WARD: certificate.ward_id is not None and certificate.ward_id == scope.ward_id
        and certificate.facility_id is None,
        FACILITY: certificate.facility_id is not None and certificate.facility_id == scope.facility_id,
        PROVINCE: certificate.province_id is not None and certificate.province_id == scope.province_id,
    }.get(scope.kind, False)
    if not fits:
        raise NotAllowed(_("This certificate was registered for another commune, facility or province."))


# ---------------------------------------------------------------------------- signing


def signing_start(*, user, certificate_id, record_ids: Sequence[int] | None, secret: str,
                  select_all: bool = False) -> SigningBatch:
    """Sign the chosen records (or all awaiting in scope) with one passphrase/PIN entry.

    Checks, before anything is written: the user may sign, the certificate is theirs and
    fits their scope, every chosen record awaits signature in their scope, the
    certificate chains to a trusted root and is valid and not revoked now, and the
    passphrase/PIN opens the key. Any failure raises (NotAllowed, NotFoundInScope,
    InvalidInput, or a ``SigningError`` such as ``WrongPassphrase``) and signs nothing.
    Small batches are signed here; larger ones are queued (see the module docstring).
    Returns the batch.
    """
    scope = scope_for(user)
    if scope.role not in SIGNER_ROLES:
        raise NotAllowed(_("Only signers can sign records."))
    certificate = certificates_of(user=user).filter(pk=certificate_id).first()
    if certificate is None:
        raise NotFoundInScope(_("No such certificate."))
    _check_fits_scope(certificate, scope)
    awaiting = records_awaiting_signature(scope=scope)
    if select_all:
        ids = list(awaiting.values_list("pk", flat=True))
    else:
        wanted = {int(i) for i in record_ids or ()}
        ids = sorted(set(awaiting.filter(pk__in=wanted).values_list("pk", flat=True)))
        if len(ids) != len(wanted):
            raise NotFoundInScope(_("%(n)d of the selected records are not awaiting your signature; "
                                    "nothing was signed.") % {"n": len(wanted) - len(ids)})
    if not ids:
        raise InvalidInput(_("Select at least one record to sign."))
    check_certificate(certificate, at=timezone.now())
    signer = open_signer(certificate=certificate, secret=secret)
    batch = SigningBatch.objects.create(signed_by=user, certificate=certificate, record_ids=ids,
                                        total=len(ids))
    record_event(actor=user, action="signing.batch_start", obj=batch,
                 after={"certificate": certificate.fingerprint, "records": len(ids)})
    if len(ids) <= settings.SIGNING_SYNC_LIMIT:
        try:
            return signing_batch_run(batch=batch, signer=signer)
        finally:
            signer.close()
    signer.close()
    from signing.tasks import sign_batch

    sealed = _seal_secret(batch.pk, secret)
    transaction.on_commit(lambda: sign_batch.delay(batch.pk, sealed))
    return batch


def signing_batch_resume(*, batch_id: int, sealed_secret: str) -> SigningBatch:
    """Run a queued batch in a worker: unseal the passphrase (once), open the key, sign."""
    batch = SigningBatch.objects.select_related("certificate", "signed_by").get(pk=batch_id)
    if batch.is_finished:
        return batch
    secret = _unseal_secret(batch.pk, sealed_secret)
    if secret is None:
        return _batch_failed(batch, _("The batch waited too long to start and the passphrase/PIN "
                                      "is no longer available. Sign the remaining records again."))
    try:
        signer = open_signer(certificate=batch.certificate, secret=secret)
    except SigningError as exc:
        return _batch_failed(batch, str(exc))
    finally:
        del secret
    try:
        return signing_batch_run(batch=batch, signer=signer)
    finally:
        signer.close()


def signing_batch_run(*, batch: SigningBatch, signer: Signer) -> SigningBatch:
    """Sign the batch's records in chunks with an open ``signer``; returns the finished batch.

    Each chunk is one transaction: records still awaiting signature in the signer's scope
    are locked, signed, stored, marked SIGNED, audited, and their cases moved to
    "signed" once every current dose of the case is signed. Records no longer awaiting
    (signed meanwhile, corrected, out of scope now) are counted as skipped.
    """
    user = batch.signed_by
    scope = scope_for(user)
    batch.status, batch.started_at = SigningBatch.Status.RUNNING, timezone.now()
    batch.save(update_fields=["status", "started_at"])
    try:
        _check_fits_scope(batch.certificate, scope)
        check_certificate(batch.certificate, at=timezone.now())
    except (SigningError, NotAllowed) as exc:
        return _batch_failed(batch, str(exc))
    template = cms.SignedAttributesTemplate(signer.certificate)
    chunks = list(_chunks(batch.record_ids, chunk_size()))

    def work(ids: Sequence[int]) -> set[int]:
        with transaction.atomic():
            if connection.vendor == "postgresql" and settings_value("SIGNING_ASYNC_COMMIT", True):
                # See "Durability" in the module docstring: a crash can lose only whole
                # chunks (signatures, statuses, audit and progress together), and the
                # batch's final commit is synchronous, so "done" is always durable.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            result = batchsign.sign_chunk(ids, signer=signer, template=template, user=user, scope=scope,
                                          certificate_id=batch.certificate_id, batch_id=batch.pk)
            if connection.vendor == "postgresql":
                # Run the deferred foreign-key checks of the chunk's rows now, not at
                # COMMIT: the progress UPDATE below locks the batch row until COMMIT, and
                # the other helpers wait for that lock.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            SigningBatch.objects.filter(pk=batch.pk).update(signed=F("signed") + result.signed,
                                                            skipped=F("skipped") + result.skipped)
        return result.case_ids

    try:
        processes = _processes_for(signer, len(chunks))
        if processes > 1:
            case_ids = _run_forked(chunks, processes, work)
            with transaction.atomic():
                # Cases whose doses were split between helpers that committed at the same time.
                batchsign.case_sign_bulk(case_ids, actor=user)
        else:
            for chunk in chunks:
                work(chunk)
    except SigningError as exc:  # e.g. the token was pulled out mid-batch
        batch.refresh_from_db()
        return _batch_failed(batch, str(exc))
    batch.refresh_from_db()
    batch.status, batch.finished_at = SigningBatch.Status.DONE, timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    record_event(actor=user, action="signing.batch_done", obj=batch,
                 after={"signed": batch.signed, "skipped": batch.skipped})
    return batch


def _batch_failed(batch: SigningBatch, message: str) -> SigningBatch:
    batch.status, batch.message, batch.finished_at = SigningBatch.Status.FAILED, message, timezone.now()
    batch.save(update_fields=["status", "message", "finished_at"])
    record_event(actor=batch.signed_by, action="signing.batch_failed", obj=batch, after={"message": message})
    return batch


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def settings_value(name: str, default):
    return getattr(settings, name, default)


def chunk_size() -> int:
    """Records per transaction (``SIGNING_CHUNK``, default 5,000: measured faster than
    10,000 with two helpers on two cores, docs/BENCHMARKS.md "Signing")."""
    return int(settings_value("SIGNING_CHUNK", 5_000))


def _processes_for(signer: Signer, chunks: int) -> int:
    """How many processes sign a batch: ``SIGNING_PROCESSES`` (default: the CPU count, at
    most 2) for a file key on PostgreSQL outside any transaction, when there are at least
    two chunks; otherwise 1. A token session cannot cross ``fork``, SQLite has one writer,
    and forked helpers could not see the caller's uncommitted rows."""
    wanted = int(settings_value("SIGNING_PROCESSES", min(2, os.cpu_count() or 1)))
    if (wanted < 2 or chunks < 2 or not isinstance(signer, FileKeySigner) or not hasattr(os, "fork")
            or connection.vendor != "postgresql" or connection.in_atomic_block):
        return 1
    return min(wanted, chunks)


def _run_forked(chunks: Sequence[Sequence[int]], processes: int, work) -> set[int]:
    """Run ``work(chunk)`` for every chunk in ``processes`` forked helpers; returns the union
    of the case ids they report. The key is already open (the child inherits it: the
    passphrase is not needed again); each helper opens its own database connection and
    takes the next chunk from a shared counter. A failure in one helper stops the others
    after their current chunk and is raised here (a ``SigningError`` as itself)."""
    import json
    import multiprocessing

    from django.db import connections

    connections.close_all()  # never share a socket with a child
    next_chunk, stop = multiprocessing.Value("q", 0), multiprocessing.Value("b", 0)
    children = []
    for _helper in range(processes):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # helper
            os.close(read_fd)
            # Forget (never close: that would end the parent's session) any connection the
            # parent still held, so this helper always opens a socket of its own.
            for conn in connections.all(initialized_only=True):
                conn.connection = None
            code, report = 0, {"cases": [], "error": None, "signing_error": False}
            try:
                while not stop.value:
                    with next_chunk.get_lock():
                        index = next_chunk.value
                        next_chunk.value += 1
                    if index >= len(chunks):
                        break
                    report["cases"].extend(work(chunks[index]))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                stop.value, code = 1, 1
                report.update(error=str(exc) if isinstance(exc, SigningError) else f"{type(exc).__name__}: {exc}",
                              signing_error=isinstance(exc, SigningError))
            finally:
                try:
                    connections.close_all()
                    with os.fdopen(write_fd, "w") as pipe:
                        json.dump(report, pipe)
                finally:
                    os._exit(code)
        os.close(write_fd)
        children.append((pid, read_fd))
    case_ids: set[int] = set()
    errors = []
    for pid, read_fd in children:
        with os.fdopen(read_fd) as pipe:
            text = pipe.read()
        _pid, status = os.waitpid(pid, 0)
        try:
            report = json.loads(text)
        except ValueError:
            report = {"cases": [], "error": f"signing helper exited with status {status}", "signing_error": False}
        case_ids.update(report["cases"])
        if report["error"]:
            errors.append(report)
    if errors:
        first = errors[0]
        if first["signing_error"]:
            raise SigningError(first["error"])
        raise RuntimeError(f"signing helper failed: {first['error']}")
    return case_ids


# ----------------------------------------------------------- sealing the batch secret


def _secret_cache_key(batch_id: int) -> str:
    return f"signing:batch-key:{batch_id}"


def _seal_secret(batch_id: int, secret: str) -> str:
    key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), f"signing-batch:{batch_id}".encode())
    caches["signing"].set(_secret_cache_key(batch_id), key.hex(), timeout=settings.SIGNING_BATCH_KEY_TTL)
    return (nonce + sealed).hex()


def _unseal_secret(batch_id: int, sealed_hex: str) -> str | None:
    cache = caches["signing"]
    key_hex = cache.get(_secret_cache_key(batch_id))
    cache.delete(_secret_cache_key(batch_id))  # single use, whatever happens next
    if key_hex is None:
        return None
    sealed = bytes.fromhex(sealed_hex)
    try:
        return AESGCM(bytes.fromhex(key_hex)).decrypt(sealed[:12], sealed[12:],
                                                      f"signing-batch:{batch_id}".encode()).decode()
    except Exception:  # a tampered or mismatched message: treat as no secret
        return None


# ------------------------------------------------------------------------ corrections


def signatures_supersede(*, record: InjectionRecord, actor) -> int:
    """Mark the valid signatures of ``record`` superseded (it was corrected); returns how many.

    The signature stays valid for the old version, which is kept unchanged.
    """
    now = timezone.now()
    changed = 0
    for signature in Signature.objects.select_for_update().filter(record=record,
                                                                  status=Signature.Status.VALID):
        signature.status, signature.superseded_at = Signature.Status.SUPERSEDED, now
        signature.save(update_fields=["status", "superseded_at"])
        record_event(actor=actor, action="signature.supersede", obj=signature,
                     before={"status": Signature.Status.VALID},
                     after={"status": Signature.Status.SUPERSEDED, "record": record.pk})
        changed += 1
    return changed


# ---------------------------------------------------------------------- verification


@dataclass
class Check:
    name: str        # chain | signature | payload
    ok: bool
    message: str


@dataclass
class SignatureReport:
    """The outcome of checking one stored signature; ``ok`` when every check passed."""

    signature_id: int
    record_id: int
    status: str
    signed_by: str
    signing_time: dt.datetime
    certificate: str
    checks: list[Check]
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        data["signing_time"] = self.signing_time.isoformat()
        return data


def signatures_verify(signatures: Iterable[Signature], *, material: TrustMaterial | None = None
                      ) -> Iterator[SignatureReport]:
    """Check each signature: chain to a trusted root valid at signing time and not revoked,
    the signature over the stored hash, and the payload rebuilt from the database now."""
    material = material or trust_material()
    chain_cache: dict[tuple[int, dt.datetime], Check] = {}
    certs: dict[int, x509.Certificate] = {}
    for signature in signatures:
        cert = certs.setdefault(signature.certificate_id, signature.certificate.certificate)
        key = (signature.certificate_id, signature.signing_time)
        if key not in chain_cache:
            try:
                result = pki.verify_chain(cert, material.intermediates, material.roots,
                                          at=signature.signing_time, crls=material.crls,
                                          require_revocation_info=settings.SIGNING_REQUIRE_REVOCATION_INFO)
                note = "" if result.revocation_checked else " " + _("No revocation list was available.")
                chain_cache[key] = Check("chain", True, _("Chains to the trusted root %(root)s; valid at "
                                                          "signing time.") % {
                    "root": result.root.subject.rfc4514_string()} + note)
            except CertificateRejected as exc:
                chain_cache[key] = Check("chain", False, str(exc))
        checks = [chain_cache[key]]
        try:
            cms.verify_payload_signature(certificate=cert, algorithm=signature.algorithm,
                                         payload_hash=signature.payload_hash,
                                         signing_time=signature.signing_time,
                                         signature=bytes(signature.signature))
            checks.append(Check("signature", True, _("The signature matches the certificate.")))
        except SignatureInvalid as exc:
            checks.append(Check("signature", False, str(exc)))
        try:
            current = payload_hash(payload_for_signature(signature))
            same = current == signature.payload_hash
            checks.append(Check("payload", same, _("The record is unchanged since it was signed.") if same
                                else _("The record in the database differs from what was signed.")))
        except SigningError as exc:
            checks.append(Check("payload", False, str(exc)))
        yield SignatureReport(
            signature_id=signature.pk, record_id=signature.record_id, status=signature.status,
            signed_by=signature.signed_by.get_username(), signing_time=signature.signing_time,
            certificate=signature.certificate.subject, checks=checks,
            warnings=[_("The revocation list of %(ca)s is out of date.") % {"ca": ca}
                      for ca in material.stale_crls])


def signature_verify(signature: Signature) -> SignatureReport:
    return next(signatures_verify([signature]))


def signature_export_cms(signature: Signature) -> bytes:
    """Return the detached CMS (DER) of a stored signature, with the intermediates."""
    material = trust_material()
    return cms.export_detached_cms(certificate=signature.certificate.certificate,
                                   algorithm=signature.algorithm, payload_hash=signature.payload_hash,
                                   signing_time=signature.signing_time,
                                   signature=bytes(signature.signature), chain=material.intermediates)


# ------------------------------------------------------------------------ trust store


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _cert_fields(cert: x509.Certificate) -> dict:
    return {"der": cert.public_bytes(serialization.Encoding.DER), "subject": cert.subject.rfc4514_string(),
            "issuer_name": cert.issuer.rfc4514_string(), "serial": format(cert.serial_number, "x"),
            "not_before": cert.not_valid_before_utc, "not_after": cert.not_valid_after_utc}


@transaction.atomic
def authority_register(*, certificate: x509.Certificate, trusted: bool = False, label: str = "",
                       actor=None) -> AuthorityCertificate:
    """Add a CA certificate (idempotent by fingerprint). ``trusted`` puts a root in the trust
    store; a self-signed certificate is a root, anything else an intermediate."""
    is_root = certificate.subject == certificate.issuer and pki._signed_by(certificate, certificate)
    kind = AuthorityCertificate.Kind.ROOT if is_root else AuthorityCertificate.Kind.INTERMEDIATE
    if trusted and not is_root:
        raise InvalidInput(_("Only a self-signed root certificate can be trusted."))
    authority, created = AuthorityCertificate.objects.get_or_create(
        fingerprint=_fingerprint(certificate),
        defaults={**_cert_fields(certificate), "kind": kind, "trusted": trusted, "label": label})
    if not created and trusted and not authority.trusted:
        authority.trusted = True
        authority.save(update_fields=["trusted"])
    if created or trusted:
        record_event(actor=actor, action="pki.authority_register", obj=authority,
                     after={"subject": authority.subject, "kind": kind, "trusted": authority.trusted})
    return authority


@transaction.atomic
def crl_import(*, data: bytes, source: str = "", actor=None) -> RevocationList:
    """Store a CRL as the current one of its issuer (a registered CA that signed it).

    An older CRL than the one held is refused. Returns the stored list.
    """
    try:
        crl = pki.load_crl(data)
    except ValueError as exc:
        raise InvalidInput(_("The file is not a certificate revocation list.")) from exc
    issuer = next((a for a in AuthorityCertificate.objects.all()
                   if a.certificate.subject == crl.issuer and crl.is_signature_valid(a.certificate.public_key())),
                  None)
    if issuer is None:
        raise InvalidInput(_("The revocation list was not issued by a registered CA."))
    current = RevocationList.objects.select_for_update().filter(issuer=issuer).first()
    if current is not None and current.this_update > crl.last_update_utc:
        raise InvalidInput(_("This revocation list is older than the one already imported."))
    values = {"der": crl.public_bytes(serialization.Encoding.DER), "this_update": crl.last_update_utc,
              "next_update": crl.next_update_utc, "revoked_count": len(crl),
              "source": source or (current.source if current else ""), "imported_at": timezone.now()}
    stored, _created = RevocationList.objects.update_or_create(issuer=issuer, defaults=values)
    record_event(actor=actor, action="pki.crl_import", obj=stored,
                 after={"issuer": issuer.subject, "this_update": crl.last_update_utc,
                        "revoked": len(crl), "source": stored.source})
    return stored


def crl_refresh(*, actor=None, fetch=None) -> list[tuple[RevocationList, str]]:
    """Re-import every CRL from its recorded source (file path or http(s) URL).

    Returns (list, outcome message) pairs; a failing source does not stop the others.
    """
    fetch = fetch or _read_source
    results = []
    for crl in RevocationList.objects.exclude(source="").select_related("issuer"):
        try:
            results.append((crl_import(data=fetch(crl.source), source=crl.source, actor=actor), "ok"))
        except (InvalidInput, OSError) as exc:
            results.append((crl, getattr(exc, "message", str(exc))))
    return results


def _read_source(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        from urllib.request import urlopen

        with urlopen(source, timeout=30) as response:  # noqa: S310 - scheme checked above
            return response.read()
    with open(source, "rb") as handle:
        return handle.read()


@transaction.atomic
def signer_certificate_register(*, user, certificate: x509.Certificate, key_store: str,
                                chain: Sequence[x509.Certificate] = (), pkcs12: bytes | None = None,
                                token_label: str = "", key_label: str = "",
                                algorithm: Algorithm | None = None, actor=None) -> SignerCertificate:
    """Bind a signer certificate (and where its key is) to ``user`` and their scope.

    Refuses users who do not sign, certificates that do not chain to a trusted root or
    are expired/revoked now, and certificates already registered. Intermediates in
    ``chain`` are added to the known CAs. Returns the registration.
    """
    scope = scope_for(user)
    if scope.role not in SIGNER_ROLES:
        raise NotAllowed(_("Only signers and provincial health officers can hold signing certificates."))
    for extra in chain:
        if extra.subject != extra.issuer:
            authority_register(certificate=extra, actor=actor)
    material = trust_material()
    result = pki.verify_chain(certificate, material.intermediates, material.roots, at=timezone.now(),
                              crls=material.crls)
    if SignerCertificate.objects.filter(fingerprint=_fingerprint(certificate)).exists():
        raise InvalidInput(_("This certificate is already registered."))
    issuer = AuthorityCertificate.objects.filter(fingerprint=_fingerprint(result.chain[1])).first() \
        if len(result.chain) > 1 else None
    registered = SignerCertificate.objects.create(
        **_cert_fields(certificate), fingerprint=_fingerprint(certificate), user=user, issuer=issuer,
        ward_id=scope.ward_id if scope.kind == WARD else None,
        facility_id=scope.facility_id if scope.kind == FACILITY else None,
        province_id=scope.province_id if scope.kind == PROVINCE else None,
        key_store=key_store, algorithm=(algorithm or _default_algorithm(certificate)).value,
        pkcs12=pkcs12, token_label=token_label, key_label=key_label)
    record_event(actor=actor or user, action="pki.signer_certificate_register", obj=registered,
                 after={"user": user.get_username(), "subject": registered.subject,
                        "key_store": key_store, "not_after": registered.not_after})
    return registered


def _default_algorithm(certificate: x509.Certificate) -> Algorithm:
    from signing.keystores import default_algorithm

    return default_algorithm(certificate)


def signer_certificate_import_pkcs12(*, user, data: bytes, passphrase: str,
                                     algorithm: Algorithm | None = None, actor=None) -> SignerCertificate:
    """Register a PKCS#12 key file for ``user``, kept encrypted exactly as given.

    The passphrase is used once here to prove it opens the file and that key and
    certificate belong together, then forgotten. Raises ``WrongPassphrase`` /
    ``KeyStoreError`` / ``CertificateRejected`` / domain errors.
    """
    signer = FileKeySigner.from_pkcs12(data, passphrase, algorithm=algorithm)
    return signer_certificate_register(user=user, certificate=signer.certificate, chain=signer.chain,
                                       key_store=SignerCertificate.KeyStore.FILE, pkcs12=data,
                                       algorithm=signer.algorithm, actor=actor)
