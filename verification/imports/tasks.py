"""Celery tasks for imports: thin, take ids, call the service."""

from __future__ import annotations

from celery import shared_task

from verification.imports.jobs import DATABASE_LOST, import_job_run, import_jobs_reap
from verification.imports.shards import SHARD_TASK, shard_match
from verification.services.leases import lease_owner


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, autoretry_for=DATABASE_LOST,
             retry_backoff=2, retry_backoff_max=60, max_retries=10)
def run_import_job(self, job_id: int) -> str:
    """Run one uploaded import. Acknowledged when it ends, and given back to the queue if its
    worker dies: the lease makes a second delivery harmless (it runs only a job nobody holds).
    Retried only when the database went away (a restart): the same task takes its job back and
    the ledger skips what already landed; any other failure ends the job on its page."""
    job = import_job_run(job_id=job_id, owner=lease_owner(self.request.id or ""))
    return job.status if job else "skipped"


@shared_task
def reap_stale_imports() -> list[int]:
    """Beat: imports left running by a lost worker become failed and resumable."""
    return import_jobs_reap()


@shared_task(name=SHARD_TASK, acks_late=True, reject_on_worker_lost=True, autoretry_for=DATABASE_LOST,
             retry_backoff=2, retry_backoff_max=60, max_retries=10)
def match_linkage_shard(job_dir: str, round_: int, shard: int) -> int:
    """Match one shard's records of one round of a sharded job (`shards.match_sharded`).
    Acknowledged when it ends and given back if its worker dies: the shard's evidence file is
    written whole or not at all, so a second delivery only writes it again. Retried when the
    database went away; any other failure leaves the file missing and the coordinator's wait
    ends in its timeout."""
    return shard_match(job_dir=job_dir, round_=round_, shard=shard)
