"""Leases on jobs, the reaper and the outbox, as the services and the operator's commands use
them (any database: the worker-kill tests bring the real faults)."""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation

from records.models import AuditEvent
from verification.models import ImportJob, TaskOutbox
from verification.services.leases import lease_claim, lease_held, leases_reap
from verification.services.outbox import outbox_enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(hanoi_facility):
    return ImportJob.objects.create(facility=hanoi_facility, original_name="log.csv", file="imports/x.csv")


def test_a_queued_job_is_claimed_once_and_a_second_worker_waits_for_the_lease(job):
    assert lease_claim(ImportJob, pk=job.pk, owner="host:1:task-a")
    assert not lease_claim(ImportJob, pk=job.pk, owner="host:2:task-a")  # redelivered to another worker
    assert lease_claim(ImportJob, pk=job.pk, owner="host:1:task-a")  # its own retry takes it back
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_owner) == ("running", 2, "host:1:task-a")


def test_a_job_whose_lease_ran_out_can_be_taken_over_and_the_loser_writes_nothing_final(job):
    lease_claim(ImportJob, pk=job.pk, owner="dead")
    ImportJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert lease_claim(ImportJob, pk=job.pk, owner="alive")
    assert not lease_held(ImportJob, pk=job.pk, owner="dead").update(status="done")
    assert ImportJob.objects.get(pk=job.pk).status == "running"


def test_a_finished_job_is_never_claimed_again(job):
    ImportJob.objects.filter(pk=job.pk).update(status="done")
    assert not lease_claim(ImportJob, pk=job.pk, owner="anyone")


def test_the_reaper_command_marks_stale_jobs_failed_and_resumable_with_an_audit_event(job):
    translation.deactivate()  # as a beat process starts: the site's language (a page test may leave another)
    lease_claim(ImportJob, pk=job.pk, owner="gone")
    fresh = ImportJob.objects.create(facility=job.facility, original_name="b.csv", file="imports/b.csv")
    lease_claim(ImportJob, pk=fresh.pk, owner="alive")
    ImportJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    out = StringIO()

    call_command("reap_stale_jobs", stdout=out)

    job.refresh_from_db()
    assert (job.status, job.resumable, job.lease_owner) == ("failed", True, "")
    assert "đã dừng" in job.message  # in the site's first language, Vietnamese
    assert ImportJob.objects.get(pk=fresh.pk).status == "running"  # its lease is alive
    assert AuditEvent.objects.filter(action="import.lease_expired", object_id=str(job.pk)).count() == 1
    assert f"imports reaped: [{job.pk}]" in out.getvalue()


def test_the_relay_command_sends_what_the_outbox_kept(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    TaskOutbox.objects.create(task="verification.tasks.purge_unconfirmed_reports")
    out = StringIO()

    call_command("relay_outbox", stdout=out)

    assert not TaskOutbox.objects.filter(sent_at__isnull=True).exists()
    assert "1 task(s) sent; 0 still waiting" in out.getvalue()


def test_a_task_enqueued_in_a_transaction_that_rolls_back_is_never_kept(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, suppress(RuntimeError), transaction.atomic():
        outbox_enqueue("verification.tasks.purge_unconfirmed_reports")
        raise RuntimeError("the work failed")
    assert not TaskOutbox.objects.exists() and not callbacks


# What the lease helpers select and what the reaper writes (mutation run, docs/TESTING.md).

def test_the_holder_finishes_only_its_own_job_and_only_while_it_runs(job):
    other = ImportJob.objects.create(facility=job.facility, original_name="b.csv", file="imports/b.csv")
    lease_claim(ImportJob, pk=job.pk, owner="w1")
    lease_claim(ImportJob, pk=other.pk, owner="w1")
    assert list(lease_held(ImportJob, pk=job.pk, owner="w1")) == [job]
    ImportJob.objects.filter(pk=job.pk).update(status="failed")  # reaped, say; the owner is still named
    assert not lease_held(ImportJob, pk=job.pk, owner="w1").exists()


def test_the_reaper_takes_only_running_jobs_and_writes_when_and_what(job):
    queued = ImportJob.objects.create(facility=job.facility, original_name="q.csv", file="imports/q.csv")
    done = ImportJob.objects.create(facility=job.facility, original_name="d.csv", file="imports/d.csv",
                                    status="done")
    lease_claim(ImportJob, pk=job.pk, owner="gone")
    ImportJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    before = timezone.now()

    reaped = leases_reap(ImportJob, action="import.lease_expired", message="stopped")

    assert reaped == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", "stopped")
    assert before <= job.finished_at <= timezone.now()
    assert [ImportJob.objects.get(pk=j.pk).status for j in (queued, done)] == ["queued", "done"]
    audit = AuditEvent.objects.get(action="import.lease_expired")
    assert (audit.actor, audit.actor_label, audit.object_type, audit.object_id) == (
        None, "system", "verification.importjob", str(job.pk))
    assert audit.before == {"status": "running", "lease_owner": "gone", "attempts": 1}
    assert audit.after == {"status": "failed", "resumable": True}


def test_a_resumed_job_once_claimed_is_no_longer_offered_for_resuming(job):
    ImportJob.objects.filter(pk=job.pk).update(resumable=True)  # queued again after a failure
    assert lease_claim(ImportJob, pk=job.pk, owner="w1")
    job.refresh_from_db()
    assert (job.status, job.resumable) == ("running", False)
