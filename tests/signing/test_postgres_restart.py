"""PostgreSQL restarted in the middle of a signing batch (a private cluster of this test: the
shared server is never restarted). The restart ends the worker's sessions: the helper held up on
a locked record loses its transaction (its chunk rolls back whole), the batch is left running
until its lease runs out, the reaper marks it failed and resumable, and the signer's resume
(passphrase again) signs the rest: every record once, the chunks signed before the restart kept."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.urls import reverse

from records.models import AuditEvent, InjectionRecord
from signing import services
from signing.models import Signature, SigningBatch
from tests.faults import SecondSession, wait_for
from tests.signing.conftest import PASSPHRASE
from tests.signing.test_worker_killed import CASES, CHUNK, DOSES, LEASE, WORKER_ENV
from verification.models import ReconciliationCase
from verification.workflow import CaseStatus


def _progress(batch_id: int) -> str:
    return (f"{Signature.objects.count()} signed, "
            f"{SigningBatch.objects.values_list('status', 'message').get(pk=batch_id)}")


@pytest.mark.services
def test_postgres_restarted_mid_batch_the_resumed_batch_signs_every_record_once(
        private_cluster, celery_worker_factory, signer_user, register_file_key, make_awaiting_case,
        hanoi_facility, client, settings, capsys, django_on_private_cluster):
    # private_cluster first: it is torn down after the worker, which still talks to it;
    # django_on_private_cluster last: this process is back on the test database before its flush.
    settings.JOB_LEASE_SECONDS = LEASE
    records = [r for _n in range(CASES) for r in make_awaiting_case(facility=hanoi_facility, doses=DOSES)[1]]
    cert = register_file_key(signer_user)
    blocker = SecondSession(**private_cluster.params())  # holds one record of the ninth chunk
    blocker.execute("SELECT id FROM records_injectionrecord WHERE id = %s FOR UPDATE", [records[200].pk])
    worker = celery_worker_factory(DATABASE_URL=django_on_private_cluster, **WORKER_ENV)
    batch = services.signing_start(user=signer_user, certificate_id=cert.pk, record_ids=None,
                                   secret=PASSPHRASE, select_all=True)
    assert batch.status == SigningBatch.Status.QUEUED and batch.total == CASES * DOSES
    all_but_one = CASES * DOSES - CHUNK
    wait_for(lambda: blocker.waiting_on_locks() and Signature.objects.count() == all_but_one, timeout=60,
             what=lambda: f"every chunk but the blocked one to be signed: {_progress(batch.pk)}")

    private_cluster.restart()

    blocker.close()
    connection.close()  # this process's session ended with the restart too
    time.sleep(LEASE + 1)  # the failed task leaves the batch running until its lease runs out
    batch.refresh_from_db()
    assert (batch.status, batch.signed) == (SigningBatch.Status.RUNNING, all_but_one), batch.message
    assert Signature.objects.count() == all_but_one  # the chunks committed before the restart are kept
    assert InjectionRecord.objects.filter(status=InjectionRecord.Status.SIGNED).count() == all_but_one
    call_command("reap_stale_jobs")
    assert f"signing batches reaped: [{batch.pk}]" in capsys.readouterr().out
    batch.refresh_from_db()
    assert (batch.status, batch.resumable) == (SigningBatch.Status.FAILED, True)

    client.force_login(signer_user)
    response = client.post(reverse("signing:batch_resume", args=[batch.pk]), {"secret": PASSPHRASE})
    assert response.status_code == 302
    wait_for(lambda: SigningBatch.objects.filter(pk=batch.pk, status__in=["done", "failed"]).exists(),
             timeout=60, what=lambda: f"the resumed batch to finish: {_progress(batch.pk)}")

    assert worker.poll() is None  # the worker lived through the restart
    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.signed, batch.skipped) == ("done", 2, CASES * DOSES, 0), \
        batch.message
    per_record = Signature.objects.values("record").annotate(n=Count("id"))
    assert len(per_record) == CASES * DOSES and {row["n"] for row in per_record} == {1}
    assert InjectionRecord.objects.filter(status=InjectionRecord.Status.SIGNED).count() == CASES * DOSES
    assert ReconciliationCase.objects.filter(status=CaseStatus.SIGNED).count() == CASES
    audit = dict(AuditEvent.objects.filter(object_id=str(batch.pk), action__startswith="signing.batch_")
                 .values_list("action").annotate(n=Count("id")))
    assert audit == {"signing.batch_start": 1, "signing.batch_lease_expired": 1, "signing.batch_resume": 1,
                     "signing.batch_done": 1}
    signing_audit = AuditEvent.objects.filter(action="injection.sign").values("object_id").annotate(
        n=Count("id"))
    assert len(signing_audit) == CASES * DOSES and {row["n"] for row in signing_audit} == {1}
