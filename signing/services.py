"""Signing verified injection records, checking signatures, and the trust store.

The import surface of the signing room: pages, commands, tasks and other rooms call the
functions named here. How a batch keeps the passphrase, runs in chunks and forked helpers,
and stays durable is told in docs/SIGNING.md, with the module each step lives in.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from records.audit import record_event
from records.models import InjectionRecord
from signing.checks import Check, SignatureReport, signature_export_cms, signature_verify, signatures_verify
from signing.models import Signature, SigningBatch
from signing.payloads import POLICE_VALUES, RECORD_VALUES, payload_for_signature, record_payload
from signing.runner import chunk_size, signing_batch_resume, signing_batch_run, signing_batches_reap
from signing.sealing import seal_secret
from signing.selectors import certificates_of, records_awaiting_signature
from signing.signers import SIGNER_ROLES, check_certificate, check_fits_scope, open_signer, pkcs11_module
from signing.tasks import sign_batch
from signing.trust import (
    authority_register,
    crl_import,
    crl_refresh,
    signer_certificate_import_pkcs12,
    signer_certificate_register,
)
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidInput, InvalidTransition, NotAllowed, NotFoundInScope, ServiceUnavailable
from verification.services.outbox import outbox_enqueue

__all__ = [
    "POLICE_VALUES", "RECORD_VALUES", "SIGNER_ROLES", "Check", "SignatureReport", "authority_register",
    "check_certificate", "check_fits_scope", "chunk_size", "crl_import", "crl_refresh", "open_signer",
    "payload_for_signature", "pkcs11_module", "record_payload", "signature_export_cms", "signature_verify",
    "signatures_supersede", "signatures_verify", "signer_certificate_import_pkcs12",
    "signer_certificate_register", "signing_batch_resume", "signing_batch_resume_start", "signing_batch_run",
    "signing_batches_reap", "signing_start",
]


def signing_start(*, user, certificate_id, record_ids: Sequence[int] | None, secret: str,
                  select_all: bool = False) -> SigningBatch:
    """Sign the chosen records (or all awaiting in scope) with one passphrase/PIN entry.

    Checks, before anything is written: the user may sign, the certificate is theirs and
    fits their scope, every chosen record awaits signature in their scope, the
    certificate chains to a trusted root and is valid and not revoked now, and the
    passphrase/PIN opens the key. Any failure raises (NotAllowed, NotFoundInScope,
    InvalidInput, or a ``SigningError`` such as ``WrongPassphrase``) and signs nothing.
    Small batches are signed here; larger ones are queued with the passphrase sealed
    (docs/SIGNING.md says why).
    Returns the batch.
    """
    scope = scope_for(user)
    if scope.role not in SIGNER_ROLES:
        raise NotAllowed(_("Only signers can sign records."))
    certificate = certificates_of(user=user).filter(pk=certificate_id).first()
    if certificate is None:
        raise NotFoundInScope(_("No such certificate."))
    check_fits_scope(certificate, scope)
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
    if len(ids) <= settings.SIGNING_SYNC_LIMIT:
        try:
            return signing_batch_run(batch=_new_batch(user, certificate, ids), signer=signer)
        finally:
            signer.close()
    signer.close()
    with transaction.atomic():  # the batch and its queued task together, or neither
        batch = _new_batch(user, certificate, ids)
        _queue(batch, secret)
    return batch


def _new_batch(user, certificate, ids: list[int]) -> SigningBatch:
    batch = SigningBatch.objects.create(signed_by=user, certificate=certificate, record_ids=ids,
                                        total=len(ids))
    record_event(actor=user, action="signing.batch_start", obj=batch,
                 after={"certificate": certificate.fingerprint, "records": len(ids)})
    return batch


def _queue(batch: SigningBatch, secret: str) -> None:
    """The batch's task into the outbox, with the passphrase sealed (its key in the signing
    cache, Redis: without it no large batch can be queued, and nothing is written)."""
    try:
        sealed = seal_secret(batch.pk, secret)
    except Exception as exc:  # noqa: BLE001 - the signing cache (Redis) cannot be reached
        raise ServiceUnavailable(_("The task queue is unavailable, so a batch this large cannot be queued "
                                   "now: sign at most %(n)d records at once, or try again later.")
                                 % {"n": settings.SIGNING_SYNC_LIMIT}) from exc
    outbox_enqueue(sign_batch, batch.pk, sealed)


def signing_batch_resume_start(*, user, batch_id: int, secret: str) -> SigningBatch:
    """Resume a batch of the user's that its worker lost (failed, resumable) with the
    passphrase/PIN entered again: it is queued as at the start, and signs only the records it
    has not signed yet. Checks the certificate and the secret first (a wrong one changes
    nothing); audited. Returns the batch."""
    batch = SigningBatch.objects.select_related("certificate").filter(signed_by=user, pk=batch_id).first()
    if batch is None:
        raise NotFoundInScope(_("No such batch."))
    if batch.status != SigningBatch.Status.FAILED or not batch.resumable:
        raise InvalidTransition(_("Only a batch whose worker stopped can be resumed."))
    check_fits_scope(batch.certificate, scope_for(user))
    check_certificate(batch.certificate, at=timezone.now())
    open_signer(certificate=batch.certificate, secret=secret).close()
    with transaction.atomic():
        reopened = SigningBatch.objects.filter(pk=batch.pk, status=SigningBatch.Status.FAILED, resumable=True)
        if not reopened.update(status=SigningBatch.Status.QUEUED, resumable=False, message="",
                               finished_at=None):
            raise InvalidTransition(_("Only a batch whose worker stopped can be resumed."))
        record_event(actor=user, action="signing.batch_resume", obj=batch,
                     before={"status": batch.status, "signed": batch.signed, "skipped": batch.skipped,
                             "attempts": batch.attempts},
                     after={"status": SigningBatch.Status.QUEUED})
        _queue(batch, secret)
    batch.refresh_from_db()
    return batch


def signatures_supersede(*, record: InjectionRecord, actor) -> int:
    """Mark the valid signatures of ``record`` superseded (it was corrected); returns how many.

    Signing's reaction to ``records.supersession.signed_version_replaced`` (registered in
    ``SigningConfig.ready``), run inside the correction's transaction.
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
