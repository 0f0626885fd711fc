"""Celery tasks for imports: thin, take ids, call the service."""

from __future__ import annotations

from celery import shared_task

from verification.imports.jobs import import_job_run


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> str:
    """Run one uploaded import. No automatic retry: the job ends done or failed on the page,
    and a re-upload is safe (the ledger skips what already landed)."""
    job = import_job_run(job_id=job_id)
    return job.status if job else "skipped"
