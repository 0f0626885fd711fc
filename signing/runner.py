"""Running a signing batch: its chunks, one transaction each, in one process or in forked
helpers; the worker's run of a queued batch, under a lease; and the reaper of the batches
whose worker was lost (docs/SIGNING.md, "Batch signing path and durability";
docs/OPERATIONS.md for the faults).

A forked helper dies with its parent (a pipe the parent holds open: end of file means the
parent is gone) and sends no task itself: what its chunks queue (citizens' news) waits in the
outbox for the parent to send, since the broker socket it inherited is the parent's.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from records.audit import record_event
from signing import batchsign, cms
from signing.errors import SigningError
from signing.keystores import FileKeySigner, Signer
from signing.models import Signature, SigningBatch
from signing.sealing import unseal_secret
from signing.signers import check_certificate, check_fits_scope, open_signer
from vaxrecon.access import Scope, scope_for
from vaxrecon.errors import NotAllowed
from verification.services.leases import lease_claim, lease_held, lease_kept, lease_owner, leases_reap
from verification.services.outbox import outbox_hold, outbox_sweep


def signing_batch_resume(*, batch_id: int, sealed_secret: str, owner: str | None = None) -> SigningBatch:
    """Run a queued batch in a worker: claim its lease, unseal the passphrase (once), open the
    key, sign. A batch another worker holds, or finished, is returned untouched."""
    owner = owner or lease_owner()
    if not lease_claim(SigningBatch, pk=batch_id, owner=owner):
        return SigningBatch.objects.get(pk=batch_id)
    batch = SigningBatch.objects.select_related("certificate", "signed_by").get(pk=batch_id)
    secret = unseal_secret(batch.pk, sealed_secret)
    if secret is None:
        return _batch_failed(batch, _("The batch waited too long to start and the passphrase/PIN "
                                      "is no longer available. Resume it with your passphrase/PIN."),
                             resumable=True)
    try:
        signer = open_signer(certificate=batch.certificate, secret=secret)
    except SigningError as exc:
        return _batch_failed(batch, str(exc), resumable=True)
    finally:
        del secret
    try:
        return signing_batch_run(batch=batch, signer=signer, owner=owner)
    finally:
        signer.close()


def signing_batch_run(*, batch: SigningBatch, signer: Signer, owner: str | None = None) -> SigningBatch:
    """Sign the batch's records in chunks with an open ``signer``; returns the finished batch.

    Each chunk is one transaction: records still awaiting signature in the signer's scope
    are locked, signed, stored, marked SIGNED, audited, and their cases moved to
    "signed" once every current dose of the case is signed; the batch's counters move in the
    same transaction. Records no longer awaiting (signed meanwhile, corrected, out of scope
    now) are counted as skipped. A later attempt (resumed after its worker was lost) signs
    only the records this batch has not signed yet, so each is signed once and the counters
    add up to the total. The batch runs under a lease held by ``owner`` (claimed here when
    not given) and renewed while it runs.
    """
    owner = owner or lease_owner("run")
    if not lease_held(SigningBatch, pk=batch.pk, owner=owner).exists() and not lease_claim(
            SigningBatch, pk=batch.pk, owner=owner):
        batch.refresh_from_db()
        return batch
    batch.refresh_from_db()
    if batch.started_at is None:
        batch.started_at = timezone.now()
        batch.save(update_fields=["started_at"])
    scope = scope_for(batch.signed_by)
    try:
        check_fits_scope(batch.certificate, scope)
        check_certificate(batch.certificate, at=timezone.now())
    except (SigningError, NotAllowed) as exc:
        return _batch_failed(batch, str(exc))
    chunks = list(_chunks(_still_to_sign(batch), chunk_size()))
    try:
        with lease_kept(SigningBatch, pk=batch.pk, owner=owner):
            _sign_chunks(batch, chunks, _chunk_work(batch, signer, scope), signer)
    except SigningError as exc:  # e.g. the token was pulled out mid-batch
        return _batch_failed(batch, str(exc), resumable=True)
    finished = lease_held(SigningBatch, pk=batch.pk, owner=owner).update(
        status=SigningBatch.Status.DONE, finished_at=timezone.now(), lease_owner="")
    batch.refresh_from_db()
    if finished:
        record_event(actor=batch.signed_by, action="signing.batch_done", obj=batch,
                     after={"signed": batch.signed, "skipped": batch.skipped, "attempts": batch.attempts})
    return batch


def _still_to_sign(batch: SigningBatch) -> list[int]:
    """The batch's records, less those an earlier attempt of it signed; the counters start again
    from those (what the earlier attempt skipped is looked at again, and counted once)."""
    if batch.attempts <= 1:
        return list(batch.record_ids)
    done = set(Signature.objects.filter(batch=batch, record_id__in=batch.record_ids)
               .values_list("record_id", flat=True))
    SigningBatch.objects.filter(pk=batch.pk).update(signed=len(done), skipped=0)
    return [pk for pk in batch.record_ids if pk not in done]


def _sign_chunks(batch: SigningBatch, chunks: list[Sequence[int]], work, signer: Signer) -> None:
    processes = _processes_for(signer, len(chunks))
    if processes > 1:
        case_ids = _run_forked(chunks, processes, work)
        outbox_sweep()  # what the helpers kept for the broker, all of it
        with transaction.atomic():
            # Cases whose doses were split between helpers that committed at the same time.
            batchsign.case_sign_bulk(case_ids, actor=batch.signed_by)
    else:
        for chunk in chunks:
            work(chunk)


def _chunk_work(batch: SigningBatch, signer: Signer, scope: Scope) -> Callable[[Sequence[int]], set[int]]:
    """The work of one chunk (one transaction); it returns the ids of the cases touched."""
    template = cms.SignedAttributesTemplate(signer.certificate)
    user = batch.signed_by

    def work(ids: Sequence[int]) -> set[int]:
        with transaction.atomic():
            if connection.vendor == "postgresql" and settings.SIGNING_ASYNC_COMMIT:
                # See "Durability" in docs/SIGNING.md: a crash can lose only whole chunks
                # (signatures, statuses, audit and progress together), and the batch's
                # final commit is synchronous, so "done" is always durable.
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

    return work


def _batch_failed(batch: SigningBatch, message: str, *, resumable: bool = False) -> SigningBatch:
    batch.status, batch.message, batch.finished_at = SigningBatch.Status.FAILED, message, timezone.now()
    batch.resumable, batch.lease_owner = resumable, ""
    batch.save(update_fields=["status", "message", "finished_at", "resumable", "lease_owner"])
    record_event(actor=batch.signed_by, action="signing.batch_failed", obj=batch,
                 after={"message": message, "resumable": resumable})
    return batch


def signing_batches_reap() -> list[int]:
    """Mark failed and resumable the running batches whose lease expired; returns their ids."""
    return leases_reap(SigningBatch, action="signing.batch_lease_expired", message=_(
        "The worker signing this batch stopped (killed, or cut off from the database). The records "
        "signed before stay signed; resume it with your passphrase/PIN to sign the rest."))


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def chunk_size() -> int:
    """Records per transaction (``SIGNING_CHUNK``, default 5,000: measured faster than
    10,000 with two helpers on two cores, docs/BENCHMARKS.md "Signing")."""
    return int(settings.SIGNING_CHUNK)


def _processes_for(signer: Signer, chunks: int) -> int:
    """How many processes sign a batch: ``SIGNING_PROCESSES`` (default: the CPU count, at
    most 2) for a file key on PostgreSQL outside any transaction, when there are at least
    two chunks; otherwise 1. A token session cannot cross ``fork``, SQLite has one writer,
    and forked helpers could not see the caller's uncommitted rows."""
    wanted = int(settings.SIGNING_PROCESSES)
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
    connections.close_all()  # never share a socket with a child
    next_chunk, stop = multiprocessing.Value("q", 0), multiprocessing.Value("b", 0)
    parent_alive, parent_holds = os.pipe()  # the helpers' end reads EOF once the parent is gone
    children = []
    try:
        for _helper in range(processes):
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # helper: never returns
                os.close(read_fd)
                os.close(parent_holds)
                _watch_parent(parent_alive)
                _helper_main(chunks, work, next_chunk, stop, write_fd)
            os.close(write_fd)
            children.append((pid, read_fd))
    finally:
        os.close(parent_alive)
    try:
        return _helpers_collect(children)
    finally:
        os.close(parent_holds)


def _watch_parent(parent_alive: int) -> None:
    """In a helper: exit at once when the parent dies (its end of the pipe closes), whatever the
    helper is doing; an open transaction is then rolled back by the database."""
    def watch():
        while os.read(parent_alive, 1):
            pass
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _helper_main(chunks, work, next_chunk, stop, write_fd: int) -> None:
    """A forked helper: take chunks until none is left (or another failed), report, exit."""
    # Forget (never close: that would end the parent's session) any connection the
    # parent still held, so this helper always opens a socket of its own.
    for conn in connections.all(initialized_only=True):
        conn.connection = None
    outbox_hold()
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


def _helpers_collect(children: list[tuple[int, int]]) -> set[int]:
    """Wait for every helper; the union of their cases, or the first failure raised."""
    case_ids: set[int] = set()
    errors = []
    for pid, read_fd in children:
        with os.fdopen(read_fd) as pipe:
            text = pipe.read()
        _pid, status = os.waitpid(pid, 0)
        try:
            report = json.loads(text)
        except ValueError:
            report = {"cases": [], "error": f"signing helper exited with status {status}",
                      "signing_error": False}
        case_ids.update(report["cases"])
        if report["error"]:
            errors.append(report)
    if errors:
        first = errors[0]
        if first["signing_error"]:
            raise SigningError(first["error"])
        raise RuntimeError(f"signing helper failed: {first['error']}")
    return case_ids
