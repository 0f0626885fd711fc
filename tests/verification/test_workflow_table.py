"""The transition table itself: every state reachable, final states final, guards by actor."""

import pytest

from accounts.models import Role
from records.models import AuditEvent
from vaxrecon.errors import InvalidTransition, NotAllowed, NotFoundInScope
from verification import workflow
from verification.models import ReconciliationCase
from verification.services import case_transition

S = workflow.CaseStatus


def test_every_state_is_reachable_from_submitted():
    seen, frontier = {S.SUBMITTED}, [S.SUBMITTED]
    while frontier:
        state = frontier.pop()
        for t in workflow.TRANSITIONS.values():
            if state in t.sources and t.target not in seen:
                seen.add(t.target)
                frontier.append(t.target)
    assert seen == set(S)


def test_no_transition_leaves_a_final_state():
    for t in workflow.TRANSITIONS.values():
        assert not (t.sources & workflow.FINAL_STATES), t.name


def test_police_cannot_take_clinic_transitions():
    names = {t.name for t in workflow.allowed_transitions(S.IN_REVIEW, Role.COMMUNE_POLICE)}
    assert names == set()
    assert {t.name for t in workflow.allowed_transitions(S.AWAITING_POLICE, Role.COMMUNE_POLICE)} == {
        "verify_identity", "report_mismatch", "report_not_found", "mark_foreign"}


@pytest.fixture
def case(hanoi_facility):
    return ReconciliationCase.objects.create(
        origin="clinic_entry", full_name="Lê Văn Tám", birth_year=1980, sex="M",
        ward=hanoi_facility.ward, facility=hanoi_facility)


def test_a_transition_moves_the_case_and_writes_timeline_and_audit(case, clinic_user):
    moved = case_transition(case=case, name="start_review", actor=clinic_user)
    assert moved.status == S.IN_REVIEW
    event = moved.events.get()
    assert (event.from_status, event.to_status, event.actor) == (S.SUBMITTED, S.IN_REVIEW, clinic_user)
    audit = AuditEvent.objects.get(action="case.start_review")
    assert audit.before["status"] == S.SUBMITTED and audit.after["status"] == S.IN_REVIEW


def test_an_illegal_transition_is_refused_and_changes_nothing(case, clinic_user):
    with pytest.raises(InvalidTransition):
        case_transition(case=case, name="send_to_police", actor=clinic_user)
    case.refresh_from_db()
    assert case.status == S.SUBMITTED and case.events.count() == 0


def test_a_clinic_elsewhere_cannot_see_the_case(case, other_clinic_user):
    with pytest.raises(NotFoundInScope):
        case_transition(case=case, name="start_review", actor=other_clinic_user)


def test_police_of_the_ward_cannot_review_at_the_clinic(case, police_user):
    with pytest.raises(NotAllowed):
        case_transition(case=case, name="start_review", actor=police_user)


def test_reachable_states_are_the_state_and_what_the_table_leads_to_from_it():
    assert workflow.reachable_states(S.AWAITING_SIGNATURE) == {S.AWAITING_SIGNATURE, S.SIGNED, S.CLOSED}
    assert workflow.reachable_states(S.SIGNED) == {S.SIGNED, S.CLOSED}
    assert workflow.reachable_states(S.CLOSED) == {S.CLOSED}
    assert workflow.reachable_states(S.SUBMITTED) == set(S)
