"""Celery tasks for signing: ids in, a service call. docs/SIGNING.md says why the
passphrase arrives sealed and how its single-use key reaches the worker."""

from celery import shared_task

from signing.runner import signing_batch_resume


@shared_task(acks_late=False, max_retries=0)
def sign_batch(batch_id: int, sealed_secret: str) -> int:
    """Sign a queued batch; returns how many records were signed.

    Never retried: the key that unseals the passphrase is used up on the first attempt,
    so a retry could only fail; the batch records why and the signer starts a new one.
    """
    return signing_batch_resume(batch_id=batch_id, sealed_secret=sealed_secret).signed
