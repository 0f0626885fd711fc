"""Celery tasks for signing: ids in, a service call. docs/SIGNING.md says why the
passphrase arrives sealed and how its single-use key reaches the worker."""

from celery import shared_task

from signing.runner import signing_batch_resume, signing_batches_reap
from verification.services.leases import lease_owner


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=0)
def sign_batch(self, batch_id: int, sealed_secret: str) -> int:
    """Sign a queued batch; returns how many records were signed.

    Never retried: the key that unseals the passphrase is used up on the first attempt, so a
    retry could only fail. Acknowledged at the end and given back if the worker dies: a second
    delivery finds the batch held under a live lease, or finished, and leaves it; once the lease
    has run out it finds the key used and marks the batch failed and resumable, as the reaper
    does. The signer resumes it with the passphrase/PIN (`signing_batch_resume_start`).
    """
    return signing_batch_resume(batch_id=batch_id, sealed_secret=sealed_secret,
                                owner=lease_owner(self.request.id or "")).signed


@shared_task
def reap_stale_batches() -> list[int]:
    """Beat: batches left running by a lost worker become failed and resumable."""
    return signing_batches_reap()
