"""PostgreSQL restarted in the middle of a bulk import (a private cluster of this test: the
shared server is never restarted). The worker's transaction dies with the restart; its task
retries once the database is back, takes its own job again and lands the rest: every row
once, the batches landed before the restart kept."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from tests.faults import SecondSession, wait_for
from tests.imports.test_worker_killed import BATCH, WORKER_ENV, _ledger_key, _log
from verification.imports.tasks import run_import_job
from verification.models import ImportJob


@pytest.mark.services
def test_postgres_restarted_mid_import_the_task_takes_its_job_back_and_lands_every_row_once(
        private_cluster, celery_worker_factory, registry, clinic_user, hanoi_facility, tmp_path):
    # private_cluster first: it is torn down after the worker, which still talks to it.
    path = _log(tmp_path)
    job = ImportJob(facility=hanoi_facility, uploaded_by=clinic_user, original_name="log.csv")
    job.file.save("restart.csv", ContentFile(path.read_bytes()))
    database_url = private_cluster.copy_of_test_database()
    blocker = SecondSession(**private_cluster.params())  # holds the fifth batch of the engine's rows
    blocker.execute("INSERT INTO verification_importedrow (source_record_id, content_hash, outcome, "
                    "created_at) VALUES (%s, %s, 'none', now())", _ledger_key(path, "K-200"))
    worker = celery_worker_factory(DATABASE_URL=database_url, **WORKER_ENV)
    run_import_job.delay(job.pk)
    wait_for(blocker.waiting_on_locks, timeout=60, what="the import to reach the blocked batch")
    landed = private_cluster.rows("SELECT count(*) FROM verification_importedrow")[0][0]

    private_cluster.restart()

    blocker.close()
    statement = "SELECT status, attempts, linked_rows + review_rows + unmatched_rows, skipped_rows " \
                "FROM verification_importjob WHERE id = %s"
    wait_for(lambda: private_cluster.rows(statement, [job.pk])[0][0] == "done", timeout=60,
             what="the retried task to finish the import")
    assert worker.poll() is None  # the worker lived through it
    assert landed == 1 + 4 * BATCH  # what landed before the restart: whole batches
    assert private_cluster.rows(statement, [job.pk])[0][1:] == (2, 303, 0)
    ledger = private_cluster.rows("SELECT count(*), count(DISTINCT source_record_id), count(*) FILTER "
                                  "(WHERE job_id = %s) FROM verification_importedrow", [job.pk])
    assert ledger == [(303, 303, 303)]
    assert private_cluster.rows("SELECT count(*) FROM records_injectionrecord WHERE source_record_id = "
                                "'R-LINK'") == [(1,)]
    events, distinct = private_cluster.rows("SELECT count(*), count(DISTINCT data->>'record_id') FROM "
                                            "verification_caseevent WHERE transition = 'import'")[0]
    cases = private_cluster.rows("SELECT count(*) FROM verification_reconciliationcase")[0][0]
    assert events == distinct == cases > 0
