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
from signing.runner import chunk_size, signing_batch_resume, signing_batch_run
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
from vaxrecon.errors import InvalidInput, NotAllowed, NotFoundInScope

__all__ = [
    "POLICE_VALUES", "RECORD_VALUES", "SIGNER_ROLES", "Check", "SignatureReport", "authority_register",
    "check_certificate", "check_fits_scope", "chunk_size", "crl_import", "crl_refresh", "open_signer",
    "payload_for_signature", "pkcs11_module", "record_payload", "signature_export_cms", "signature_verify",
    "signatures_supersede", "signatures_verify", "signer_certificate_import_pkcs12",
    "signer_certificate_register", "signing_batch_resume", "signing_batch_run", "signing_start",
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
    sealed = seal_secret(batch.pk, secret)
    transaction.on_commit(lambda: sign_batch.delay(batch.pk, sealed))
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
