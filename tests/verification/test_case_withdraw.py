import pytest

from vaxrecon.errors import InvalidTransition, NotAllowed
from verification.services import case_send_to_police, case_transition, case_withdraw
from verification.timeline import event_line

from .helpers import update_record


def test_the_citizen_withdraws_an_open_report(reported_case):
    case = case_withdraw(case=reported_case)
    assert case.status == "withdrawn" and case.events.get(transition="withdraw").actor_label == "citizen"


def test_a_report_with_the_police_cannot_be_withdrawn(case_in_review, clinic_user):
    case = case_send_to_police(case=update_record(case_in_review, clinic_user), actor=clinic_user)
    with pytest.raises(InvalidTransition):
        case_withdraw(case=case)


def test_staff_cannot_withdraw_for_the_citizen(reported_case, clinic_user):
    with pytest.raises(NotAllowed):
        case_transition(case=reported_case, name="withdraw", actor=clinic_user)


def test_the_timeline_says_the_citizen_withdrew(reported_case):
    case = case_withdraw(case=reported_case)
    assert event_line(case.events.get(transition="withdraw")) == "Withdrawn by the citizen."
