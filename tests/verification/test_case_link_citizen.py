import pytest

from records.models import AuditEvent, Citizen
from records.normalize import parse_birth_date
from tests.factories import CitizenFactory
from vaxrecon.errors import InvalidInput, InvalidTransition, NotAllowed, NotFoundInScope
from verification.services import case_create_citizen, case_link_citizen, case_start_review
from verification.timeline import event_line

from .conftest import confirmed_report


@pytest.fixture
def lan(reference_data):
    return CitizenFactory(full_name="Trần Thị Lan", sex="F",
                          date_of_birth=parse_birth_date("1991-03-12").value, cccd="001191004567",
                          phone="0912345678")


def test_staff_link_the_case_to_a_candidate(case_in_review, clinic_user, lan):
    case = case_link_citizen(case=case_in_review, actor=clinic_user, citizen_id=lan.pk)
    assert case.citizen == lan and case.status == "in_review"
    assert case.events.filter(data__action="link_citizen").exists()
    assert AuditEvent.objects.filter(action="case.link_citizen", object_id=str(case.pk)).exists()


def test_staff_cannot_link_someone_who_is_not_a_candidate(case_in_review, clinic_user, reference_data):
    stranger = CitizenFactory(full_name="Phạm Văn Đồng", cccd="001080000001", phone="0900000001")
    with pytest.raises(InvalidInput):
        case_link_citizen(case=case_in_review, actor=clinic_user, citizen_id=stranger.pk)


def test_linking_needs_the_review_to_have_started(reported_case, clinic_user, lan):
    with pytest.raises(InvalidTransition):
        case_link_citizen(case=reported_case, actor=clinic_user, citizen_id=lan.pk)


def test_a_clinic_elsewhere_and_the_police_cannot_link(case_in_review, other_clinic_user, police_user, lan):
    with pytest.raises(NotFoundInScope):
        case_link_citizen(case=case_in_review, actor=other_clinic_user, citizen_id=lan.pk)
    with pytest.raises(NotAllowed):
        case_link_citizen(case=case_in_review, actor=police_user, citizen_id=lan.pk)


def test_staff_create_the_person_when_no_one_matches(case_in_review, clinic_user):
    citizen = case_create_citizen(case=case_in_review, actor=clinic_user, full_name="Trần Thị Lan",
                                  birth=parse_birth_date("12/03/1991"), sex="F", cccd="001191004567")
    case_in_review.refresh_from_db()
    assert case_in_review.citizen == citizen and citizen.ward_id == case_in_review.ward_id


@pytest.mark.parametrize("number", [{"cccd": "001091004567"},  # digit 4 does not fit the sex and century
                                    {"id_number": "1234567890"}])  # not 9 digits, so checked as a CCCD
def test_creating_a_person_names_the_wrong_field(case_in_review, clinic_user, number):
    with pytest.raises(InvalidInput) as err:
        case_create_citizen(case=case_in_review, actor=clinic_user, full_name="Trần Thị Lan",
                            birth=parse_birth_date("12/03/1991"), sex="F", **number)
    assert err.value.field == "cccd"
    assert not Citizen.objects.exists()


def test_the_number_as_typed_is_told_apart_by_its_length(case_in_review, clinic_user, hanoi_facility):
    by_cmnd = case_create_citizen(case=case_in_review, actor=clinic_user, full_name="Trần Thị Lan",
                                  birth=parse_birth_date("12/03/1991"), sex="F", id_number="123 456 789")
    assert (by_cmnd.cmnd, by_cmnd.cccd) == ("123456789", None)
    other = confirmed_report(hanoi_facility, phone="0987654321", full_name="Lê Văn Nam", id_number="")
    case_start_review(case=other, actor=clinic_user)
    by_cccd = case_create_citizen(case=other, actor=clinic_user, full_name="Lê Văn Nam",
                                  birth=parse_birth_date("1980"), sex="M", id_number="001.080.000.001")
    assert (by_cccd.cccd, by_cccd.cmnd) == ("001080000001", "")


# What is stored, audited and refused (mutation run of verification/services, docs/TESTING.md).

def test_a_created_person_is_audited_and_on_the_timeline(case_in_review, clinic_user):
    citizen = case_create_citizen(case=case_in_review, actor=clinic_user, full_name="Trần Thị Lan",
                                  birth=parse_birth_date("12/03/1991"), sex="F", cccd="001191004567")
    assert (citizen.cccd, citizen.cmnd, citizen.nationality) == ("001191004567", "", "VN")
    assert AuditEvent.objects.get(action="citizen.create").actor == clinic_user
    event = case_in_review.events.get(data__action="create_citizen")
    assert (event.actor, event_line(event), {k: event.data[k] for k in ("action", "citizen")}) == (
        clinic_user, "Created the citizen Trần Thị Lan on the platform.",
        {"action": "create_citizen", "citizen": citizen.pk})


def test_a_person_given_by_cmnd_alone_gets_no_cccd(case_in_review, clinic_user):
    citizen = case_create_citizen(case=case_in_review, actor=clinic_user, full_name="Trần Thị Lan",
                                  birth=parse_birth_date("12/03/1991"), sex="F", cmnd="123456789")
    assert (citizen.cccd, citizen.cmnd) == (None, "123456789")


def test_a_foreign_nationals_case_creates_a_foreign_citizen(case_in_review, clinic_user):
    type(case_in_review).objects.filter(pk=case_in_review.pk).update(nationality="KR", id_number="")
    citizen = case_create_citizen(case=case_in_review, actor=clinic_user, full_name="Kim Min Jun",
                                  birth=parse_birth_date("1990"), sex="M")
    assert citizen.nationality == "KR"


def test_a_case_not_in_review_is_refused_naming_the_step(reported_case, clinic_user):
    with pytest.raises(InvalidTransition) as err:
        case_create_citizen(case=reported_case, actor=clinic_user, full_name="Trần Thị Lan",
                            birth=parse_birth_date("12/03/1991"), sex="F", cccd="001191004567")
    assert err.value.message == "A case that is “Submitted” cannot be changed this way: create a citizen."
    assert not Citizen.objects.exists()


def test_a_second_person_is_refused_on_the_citizen_field(case_in_review, clinic_user):
    case_create_citizen(case=case_in_review, actor=clinic_user, full_name="Trần Thị Lan",
                        birth=parse_birth_date("12/03/1991"), sex="F", cccd="001191004567")
    with pytest.raises(InvalidInput) as err:
        case_create_citizen(case=case_in_review, actor=clinic_user, full_name="Trần Thị Lan",
                            birth=parse_birth_date("12/03/1991"), sex="F", cmnd="123456789")
    assert (err.value.message, err.value.field) == ("The case is already linked to a citizen.", "citizen")
    assert Citizen.objects.count() == 1
