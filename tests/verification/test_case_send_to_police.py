import pytest

from vaxrecon.errors import InvalidTransition, NotAllowed, NotFoundInScope
from verification.services import case_send_to_police

from .helpers import update_record


def test_an_updated_record_goes_to_the_police(case_in_review, clinic_user):
    case = case_send_to_police(case=update_record(case_in_review, clinic_user), actor=clinic_user)
    assert case.status == "awaiting_police"


def test_a_case_still_in_review_cannot_go_to_the_police(case_in_review, clinic_user):
    with pytest.raises(InvalidTransition):
        case_send_to_police(case=case_in_review, actor=clinic_user)


def test_outsiders_cannot_send(case_in_review, clinic_user, other_clinic_user, police_user):
    case = update_record(case_in_review, clinic_user)
    with pytest.raises(NotFoundInScope):
        case_send_to_police(case=case, actor=other_clinic_user)
    with pytest.raises(NotAllowed):
        case_send_to_police(case=case, actor=police_user)
