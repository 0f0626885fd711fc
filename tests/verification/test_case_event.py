"""``case_event``: a change that does not move the state (a citizen linked, a report joined) leaves a
timeline row and an audit row naming who did it, with the case's state before and after."""

from __future__ import annotations

import pytest

from records.audit import snapshot
from records.models import AuditEvent
from tests.verification.test_cases_transition_bulk import make_case
from verification.models import CaseEvent
from verification.services.transitions import AUDITED_FIELDS, case_event
from verification.workflow import CITIZEN, SYSTEM, CaseStatus

pytestmark = pytest.mark.django_db


def _rows(case, action):
    return CaseEvent.objects.get(case=case, data__action=action), AuditEvent.objects.get(
        action=f"case.{action}", object_id=str(case.pk))


def test_a_clinic_users_change_names_them_on_the_timeline_and_in_the_audit(clinic_user, hanoi_facility):
    case = make_case(hanoi_facility, status=CaseStatus.IN_REVIEW)
    before = {"citizen": None}
    case_event(case=case, actor=clinic_user, action="link", message="Linked", data={"citizen": 7},
               before=before)
    event, audit = _rows(case, "link")
    assert (event.actor, event.actor_label, event.transition) == (clinic_user, clinic_user.get_username(), "")
    assert (event.from_status, event.to_status) == (CaseStatus.IN_REVIEW, CaseStatus.IN_REVIEW)
    assert (event.message, event.data) == ("Linked", {"action": "link", "citizen": 7})
    assert (audit.actor, audit.actor_label) == (clinic_user, clinic_user.get_username())
    assert audit.before == before
    # the case as it stands after the change (stored as JSON)
    assert audit.after.keys() == snapshot(case, AUDITED_FIELDS).keys()
    assert (audit.after["status"], audit.after["full_name"]) == (CaseStatus.IN_REVIEW, case.full_name)


def test_a_citizens_change_is_labelled_citizen_and_a_tasks_system(hanoi_facility):
    case = make_case(hanoi_facility, status=CaseStatus.SUBMITTED)
    case_event(case=case, actor=CITIZEN, action="confirm")
    case_event(case=case, actor=None, action="joined", after={"joined": 2})
    confirm, confirm_audit = _rows(case, "confirm")
    joined, joined_audit = _rows(case, "joined")
    assert (confirm.actor, confirm.actor_label, confirm_audit.actor_label) == (None, CITIZEN, CITIZEN)
    assert (joined.actor, joined.actor_label, joined_audit.actor_label) == (None, SYSTEM, SYSTEM)
    assert confirm_audit.before is None and joined_audit.after == {"joined": 2}
