"""A case's timeline is append-only in the database: plain SQL cannot change or delete an
event; only the purge of a citizen's never-confirmed draft removes its events (with its case)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from records.models import AuditEvent
from tests.verification.conftest import report_kwargs
from verification.models import CaseEvent, ReconciliationCase
from verification.services import case_submit
from verification.tasks import purge_unconfirmed_reports

pytestmark = pytest.mark.django_db


def _refused(statement: str, params) -> str:
    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
    return str(refused.value)


def test_plain_sql_cannot_change_a_case_event(case_in_review):
    event = CaseEvent.objects.filter(case=case_in_review).latest("id")

    message = _refused("UPDATE verification_caseevent SET to_status = 'signed' WHERE id = %s", [event.pk])

    assert "verification_caseevent is append-only" in message
    assert CaseEvent.objects.get(pk=event.pk).to_status == event.to_status


def test_plain_sql_cannot_delete_a_case_event_of_a_confirmed_case(case_in_review):
    events = CaseEvent.objects.filter(case=case_in_review).count()

    message = _refused("DELETE FROM verification_caseevent WHERE case_id = %s", [case_in_review.pk])

    assert "append-only" in message
    assert CaseEvent.objects.filter(case=case_in_review).count() == events > 0


def test_deleting_a_confirmed_case_with_its_timeline_is_refused(case_in_review):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReconciliationCase.objects.filter(pk=case_in_review.pk).delete()

    assert ReconciliationCase.objects.filter(pk=case_in_review.pk).exists()


def test_the_purge_removes_a_stale_unconfirmed_draft_with_its_events_and_audits_it(hanoi_facility):
    draft = case_submit(**report_kwargs(hanoi_facility))
    CaseEvent.objects.create(case=draft, actor_label="citizen", message="joined", data={"action": "joined"})
    ReconciliationCase.objects.filter(pk=draft.pk).update(submitted_at=timezone.now() - dt.timedelta(days=2))

    purged = purge_unconfirmed_reports()

    assert purged == 1
    assert not ReconciliationCase.objects.filter(pk=draft.pk).exists()
    assert not CaseEvent.objects.filter(case_id=draft.pk).exists()
    audit = AuditEvent.objects.get(action="case.purge_unconfirmed", object_id=str(draft.pk))
    assert audit.before == {"tracking_code": draft.tracking_code, "events": 1}
    assert draft.phone not in str(audit.before) and draft.id_number not in str(audit.before)
