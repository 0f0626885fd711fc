import pytest

from vaxrecon.errors import InvalidTransition, NotAllowed, NotFoundInScope
from verification.services import case_start_review


def test_clinic_staff_start_the_review(reported_case, clinic_user):
    case = case_start_review(case=reported_case, actor=clinic_user)
    assert case.status == "in_review"
    assert case.events.filter(transition="start_review", actor=clinic_user).exists()


def test_a_clinic_elsewhere_cannot_find_the_case(reported_case, other_clinic_user):
    with pytest.raises(NotFoundInScope):
        case_start_review(case=reported_case, actor=other_clinic_user)


def test_the_police_may_not_review(reported_case, police_user):
    with pytest.raises(NotAllowed):
        case_start_review(case=reported_case, actor=police_user)


def test_a_case_is_reviewed_only_once(case_in_review, clinic_user):
    with pytest.raises(InvalidTransition):
        case_start_review(case=case_in_review, actor=clinic_user)
