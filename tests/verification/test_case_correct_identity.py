import pytest

from records.models import AuditEvent
from records.normalize import parse_birth_date
from tests.factories import CitizenFactory
from vaxrecon.errors import InvalidInput, InvalidTransition, NotFoundInScope
from verification.services import case_correct_identity, case_send_to_police, case_transition
from verification.timeline import event_line

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


# What is stored and audited, field by field (mutation run of verification/services, docs/TESTING.md).

def _correct(case, user, *, birth="12/03/1991", id_number="001191004567", name="Trần Thị Lành"):
    return case_correct_identity(case=case, actor=user, full_name=name, birth=parse_birth_date(birth),
                                 sex="F", id_number=id_number)


def test_a_new_cccd_is_stored_on_the_citizen_and_the_audit_row_holds_both_sides(mismatched, clinic_user):
    citizen = mismatched.citizen
    case = _correct(mismatched, clinic_user, birth="1991", id_number="001191004568")
    citizen.refresh_from_db()
    assert (citizen.cccd, citizen.cmnd, citizen.date_of_birth, citizen.birth_year, citizen.dob_precision) == (
        "001191004568", "", None, 1991, "year")
    case.refresh_from_db()
    assert (case.full_name, case.id_number, case.date_of_birth, case.birth_year, case.dob_precision) == (
        "Trần Thị Lành", "001191004568", None, 1991, "year")
    audit = AuditEvent.objects.get(action="citizen.correct_identity")
    assert (audit.actor, audit.object_type, audit.object_id) == (
        clinic_user, "records.citizen", str(citizen.pk))
    assert audit.before == {"full_name": "Trần Thị Lan", "date_of_birth": "1991-03-12", "birth_year": 1991,
                            "dob_precision": "day", "sex": "F", "cccd": "001191004567", "cmnd": ""}
    assert audit.after == {"full_name": "Trần Thị Lành", "date_of_birth": None, "birth_year": 1991,
                           "dob_precision": "year", "sex": "F", "cccd": "001191004568", "cmnd": ""}


def test_a_cmnd_is_stored_as_the_cmnd_and_the_cccd_is_kept(mismatched, clinic_user):
    case = _correct(mismatched, clinic_user, id_number="012345678")
    citizen = case.citizen
    citizen.refresh_from_db()
    assert (citizen.cccd, citizen.cmnd) == ("001191004567", "012345678")
    case.refresh_from_db()
    assert case.id_number == "012345678"


def test_a_citizen_with_only_a_cmnd_keeps_no_cccd(mismatched, clinic_user):
    type(mismatched.citizen).objects.filter(pk=mismatched.citizen_id).update(cccd=None, cmnd="012345678")
    _correct(mismatched, clinic_user, id_number="012345679")
    citizen = type(mismatched.citizen).objects.get(pk=mismatched.citizen_id)
    assert (citizen.cccd, citizen.cmnd) == (None, "012345679")


def test_no_number_given_keeps_the_numbers_of_the_case_and_the_citizen(mismatched, clinic_user):
    case = _correct(mismatched, clinic_user, id_number="")
    case.refresh_from_db()
    citizen = case.citizen
    citizen.refresh_from_db()
    assert (case.id_number, citizen.cccd, citizen.cmnd) == ("001191004567", "001191004567", "")


def test_another_citizens_cccd_is_refused_and_nothing_changes(mismatched, clinic_user):
    CitizenFactory(full_name="Trần Thị Lành", sex="F", cccd="001191004568")
    with pytest.raises(InvalidInput) as err:
        _correct(mismatched, clinic_user, id_number="001191004568")
    assert (err.value.message, err.value.field) == (
        "Another citizen already has this CCCD number.", "id_number")
    mismatched.citizen.refresh_from_db()
    assert (mismatched.citizen.full_name, mismatched.citizen.cccd) == ("Trần Thị Lan", "001191004567")
    assert not AuditEvent.objects.filter(action="citizen.correct_identity").exists()


def test_a_case_with_no_citizen_is_refused_on_the_citizen_field(case_in_review, clinic_user):
    with pytest.raises(InvalidInput) as err:
        _correct(case_in_review, clinic_user)
    assert (err.value.message, err.value.field) == ("Link the case to a citizen first.", "citizen")


def test_a_case_with_the_police_is_refused_naming_the_step(mismatched, clinic_user):
    case = _correct(mismatched, clinic_user)
    case_send_to_police(case=case, actor=clinic_user)
    with pytest.raises(InvalidTransition) as err:
        _correct(case, clinic_user)
    assert err.value.message == ("A case that is “Awaiting police verification” cannot be changed this way: "
                                 "correct the identity.")


def test_the_timeline_says_the_identity_was_corrected(mismatched, clinic_user):
    case = _correct(mismatched, clinic_user)
    event = case.events.filter(transition="update_record").last()
    assert (event_line(event), event.data["action"], event.from_status) == (
        "Identity corrected: Trần Thị Lành.", "correct_identity", "identity_mismatch")
