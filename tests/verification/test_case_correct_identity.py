import pytest

from records.models import AuditEvent
from records.normalize import parse_birth_date
from vaxrecon.errors import InvalidInput, NotFoundInScope
from verification.services import case_correct_identity, case_send_to_police, case_transition

from .helpers import update_record


@pytest.fixture
def mismatched(case_in_review, clinic_user, police_user):
    case = case_send_to_police(case=update_record(case_in_review, clinic_user), actor=clinic_user)
    return case_transition(case=case, name="report_mismatch", actor=police_user,
                           updates={"police_values": {"full_name": "Trần Thị Lành"}})


def test_the_police_values_correct_the_citizen_and_the_case_goes_back(mismatched, clinic_user):
    case = case_correct_identity(case=mismatched, actor=clinic_user, full_name="Trần Thị Lành",
                                 birth=parse_birth_date("12/03/1991"), sex="F", id_number="001191004567")
    assert case.status == "record_updated"
    case.citizen.refresh_from_db()
    assert case.citizen.full_name == "Trần Thị Lành" and case.full_name == "Trần Thị Lành"
    audit = AuditEvent.objects.get(action="citizen.correct_identity")
    assert audit.before["full_name"] == "Trần Thị Lan"
    assert case_send_to_police(case=case, actor=clinic_user).status == "awaiting_police"


def test_a_corrected_identity_is_checked_too(mismatched, clinic_user):
    with pytest.raises(InvalidInput) as err:
        case_correct_identity(case=mismatched, actor=clinic_user, full_name="Trần Thị Lành",
                              birth=parse_birth_date("12/03/1992"), sex="F", id_number="001191004567")
    assert err.value.field == "id_number"


def test_a_clinic_elsewhere_cannot_correct(mismatched, other_clinic_user):
    with pytest.raises(NotFoundInScope):
        case_correct_identity(case=mismatched, actor=other_clinic_user, full_name="X Y",
                              birth=parse_birth_date("1991"), sex="F", id_number="")
