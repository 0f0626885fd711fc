"""A Celery worker killed with kill -9 in the middle of a signing batch (PostgreSQL + Redis only):
its forked helpers die with it and write nothing more, the batch is reaped as failed and
resumable, and the signer's resume (passphrase again) signs the rest, every record once."""

from __future__ import annotations

import time

import pytest
from django.db.models import Count
from django.urls import reverse

from records.models import AuditEvent, InjectionRecord
from signing import services
from signing.models import Signature, SigningBatch
from tests.faults import SecondSession, kill_when_held, wait_for
from tests.signing.conftest import PASSPHRASE
from verification.models import ReconciliationCase, TaskOutbox
from verification.workflow import CaseStatus

CASES, DOSES, CHUNK, LEASE = 60, 5, 25, 1
WORKER_ENV = {"JOB_LEASE_SECONDS": str(LEASE), "SIGNING_CHUNK": str(CHUNK), "SIGNING_PROCESSES": "2"}


@pytest.mark.services
def test_a_worker_killed_mid_batch_leaves_a_resumable_batch_that_signs_every_record_once(
        celery_worker_factory, signer_user, register_file_key, make_awaiting_case, hanoi_facility, client,
        settings):
    settings.JOB_LEASE_SECONDS = LEASE
    cert = register_file_key(signer_user)
    records = [r for _n in range(CASES) for r in make_awaiting_case(facility=hanoi_facility, doses=DOSES)[1]]
    blocker = SecondSession()  # holds one record of the ninth chunk: its helper waits there
    blocker.execute("SELECT id FROM records_injectionrecord WHERE id = %s FOR UPDATE", [records[200].pk])
    worker = celery_worker_factory(**WORKER_ENV)
    batch = services.signing_start(user=signer_user, certificate_id=cert.pk, record_ids=None,
                                   secret=PASSPHRASE, select_all=True)
    assert batch.status == SigningBatch.Status.QUEUED and batch.total == CASES * DOSES
    all_but_one = CASES * DOSES - CHUNK
    kill_when_held(worker, blocker,
                   ready=lambda: blocker.waiting_on_locks() and Signature.objects.count() == all_but_one,
                   what=lambda: f"every chunk but the blocked one to be signed: {Signature.objects.count()} "
                   f"signed, {blocker.waiting_on_locks()} waiting, "
                   f"{SigningBatch.objects.values_list('status', 'message').get(pk=batch.pk)}")
    time.sleep(1)
    batch.refresh_from_db()
    assert Signature.objects.count() == CASES * DOSES - CHUNK == batch.signed  # nothing more written
    assert batch.status == SigningBatch.Status.RUNNING

    time.sleep(LEASE + 0.5)
    celery_worker_factory(**WORKER_ENV)  # its start reaps the batch whose lease ran out
    wait_for(lambda: SigningBatch.objects.filter(pk=batch.pk, status="failed", resumable=True).exists(),
             timeout=10, what="the batch to be reaped as failed and resumable")
    client.force_login(signer_user)
    page = client.get(reverse("signing:batch_detail", args=[batch.pk])).content.decode()
    assert reverse("signing:batch_resume", args=[batch.pk]) in page
    wrong = client.post(reverse("signing:batch_resume", args=[batch.pk]), {"secret": "not it"})
    assert wrong.status_code == 400 and SigningBatch.objects.get(pk=batch.pk).status == "failed"

    response = client.post(reverse("signing:batch_resume", args=[batch.pk]), {"secret": PASSPHRASE})
    assert response.status_code == 302
    wait_for(lambda: SigningBatch.objects.filter(pk=batch.pk, status__in=["done", "failed"]).exists(),
             timeout=60, what="the resumed batch to finish")

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
    wait_for(lambda: not TaskOutbox.objects.filter(sent_at__isnull=True).exists(), timeout=10,
             what="the citizens' news kept by the helpers to be sent")
