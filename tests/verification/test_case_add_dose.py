from datetime import date

import pytest

from records.models import InjectionRecord, VaccineProduct
from tests.factories import CitizenFactory, InjectionRecordFactory
from vaxrecon.errors import InvalidInput, InvalidTransition, NotAllowed, NotFoundInScope
from verification.services import DuplicateDose, case_add_dose, case_link_citizen, case_use_existing_dose
from verification.timeline import event_line


@pytest.fixture
def linked_case(case_in_review, clinic_user):
    lan = CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12),
                         cccd="001191004567", phone="0912345678")
    return case_link_citizen(case=case_in_review, actor=clinic_user, citizen_id=lan.pk)


def az():
    return VaccineProduct.objects.get(code="astrazeneca")


def test_staff_add_the_missing_dose_and_the_case_is_updated(linked_case, clinic_user, hanoi_facility):
    record = case_add_dose(case=linked_case, actor=clinic_user, vaccine=az(), dose_number=2,
                           injection_date=date(2021, 10, 2), lot_number="NJ0342", facility=hanoi_facility)
    linked_case.refresh_from_db()
    assert linked_case.status == "record_updated"
    assert list(linked_case.injections.all()) == [record]
    assert record.source == InjectionRecord.Source.REPORTED and record.created_by == clinic_user
    assert linked_case.claimed_doses.get().injection == record


def test_a_second_dose_on_an_updated_case_keeps_its_state(linked_case, clinic_user):
    case_add_dose(case=linked_case, actor=clinic_user, vaccine=az(), dose_number=2,
                  injection_date=date(2021, 10, 2))
    case_add_dose(case=linked_case, actor=clinic_user, vaccine=az(), dose_number=1,
                  injection_date=date(2021, 7, 10))
    linked_case.refresh_from_db()
    assert linked_case.status == "record_updated" and linked_case.injections.count() == 2


def test_the_same_vaccine_family_within_three_days_is_a_duplicate(linked_case, clinic_user):
    existing = InjectionRecordFactory(citizen=linked_case.citizen, vaccine=az(), dose_number=2,
                                      injection_date=date(2021, 10, 4))
    covishield_alias_same_family = az()
    with pytest.raises(DuplicateDose) as err:
        case_add_dose(case=linked_case, actor=clinic_user, vaccine=covishield_alias_same_family,
                      dose_number=2, injection_date=date(2021, 10, 1))
    assert err.value.existing == existing
    assert InjectionRecord.objects.count() == 1
    linked_case.refresh_from_db()
    assert linked_case.status == "in_review"


def test_another_family_or_four_days_apart_is_not_a_duplicate(linked_case, clinic_user):
    InjectionRecordFactory(citizen=linked_case.citizen, vaccine=az(), dose_number=1,
                           injection_date=date(2021, 10, 6))
    pfizer = VaccineProduct.objects.get(code="pfizer")
    case_add_dose(case=linked_case, actor=clinic_user, vaccine=pfizer, dose_number=2,
                  injection_date=date(2021, 10, 6))
    case_add_dose(case=linked_case, actor=clinic_user, vaccine=az(), dose_number=3,
                  injection_date=date(2021, 10, 2))


def test_hayat_vax_and_sinopharm_are_one_family(linked_case, clinic_user):
    InjectionRecordFactory(citizen=linked_case.citizen, vaccine=VaccineProduct.objects.get(code="sinopharm"),
                           injection_date=date(2021, 10, 2))
    with pytest.raises(DuplicateDose):
        case_add_dose(case=linked_case, actor=clinic_user,
                      vaccine=VaccineProduct.objects.get(code="hayat-vax"), dose_number=1,
                      injection_date=date(2021, 10, 3))


def test_a_flagged_duplicate_can_be_attached_instead(linked_case, clinic_user):
    existing = InjectionRecordFactory(citizen=linked_case.citizen, vaccine=az(),
                                      injection_date=date(2021, 10, 2))
    case_use_existing_dose(case=linked_case, actor=clinic_user, injection_id=existing.pk)
    linked_case.refresh_from_db()
    assert linked_case.status == "record_updated" and list(linked_case.injections.all()) == [existing]


def test_a_dose_needs_a_linked_citizen(case_in_review, clinic_user):
    with pytest.raises(InvalidInput, match="Link the case"):
        case_add_dose(case=case_in_review, actor=clinic_user, vaccine=az(), dose_number=2,
                      injection_date=date(2021, 10, 2))


def test_a_bad_lot_number_is_named(linked_case, clinic_user):
    with pytest.raises(InvalidInput) as err:
        case_add_dose(case=linked_case, actor=clinic_user, vaccine=az(), dose_number=2,
                      injection_date=date(2021, 10, 2), lot_number="??")
    assert err.value.field == "lot_number"


def test_outsiders_cannot_add_doses(linked_case, other_clinic_user, police_user):
    with pytest.raises(NotFoundInScope):
        case_add_dose(case=linked_case, actor=other_clinic_user, vaccine=az(), dose_number=2,
                      injection_date=date(2021, 10, 2))
    with pytest.raises(NotAllowed):
        case_add_dose(case=linked_case, actor=police_user, vaccine=az(), dose_number=2,
                      injection_date=date(2021, 10, 2))


# What is attached, refused and written on the timeline (mutation run of verification/services,
# docs/TESTING.md).

def test_the_named_dose_is_attached_and_the_timeline_says_so(linked_case, clinic_user):
    InjectionRecordFactory(citizen=linked_case.citizen, vaccine=az(), injection_date=date(2021, 8, 2))
    second = InjectionRecordFactory(citizen=linked_case.citizen, vaccine=az(), dose_number=2,
                                    injection_date=date(2021, 10, 2))
    case_use_existing_dose(case=linked_case, actor=clinic_user, injection_id=second.pk)
    assert list(linked_case.injections.all()) == [second]
    event = linked_case.events.get(transition="update_record")
    assert (event_line(event), {k: event.data[k] for k in ("action", "injection")}) == (
        f"The dose was already on the platform: {az().name}, 02/10/2021.",
        {"action": "use_existing_dose", "injection": second.pk})


def test_a_replaced_version_cannot_be_attached(linked_case, clinic_user):
    old = InjectionRecordFactory(citizen=linked_case.citizen, vaccine=az(), injection_date=date(2021, 10, 2),
                                 status=InjectionRecord.Status.SUPERSEDED)
    with pytest.raises(NotFoundInScope) as err:
        case_use_existing_dose(case=linked_case, actor=clinic_user, injection_id=old.pk)
    assert err.value.message == "No such dose for the linked citizen."
    assert not linked_case.injections.exists()


def test_a_case_not_in_review_cannot_take_a_dose_naming_the_step(reported_case, clinic_user):
    dose = InjectionRecordFactory(citizen__cccd="001191004567", citizen__phone="0912345678")
    with pytest.raises(InvalidTransition) as err:
        case_use_existing_dose(case=reported_case, actor=clinic_user, injection_id=dose.pk)
    assert err.value.message == "A case that is “Submitted” cannot be changed this way: use an existing dose."


def test_the_duplicate_refusal_names_the_dose_already_there(linked_case, clinic_user):
    InjectionRecordFactory(citizen=linked_case.citizen, vaccine=az(), dose_number=2,
                           injection_date=date(2021, 10, 2))
    with pytest.raises(DuplicateDose) as err:
        case_add_dose(case=linked_case, actor=clinic_user, vaccine=az(), dose_number=2,
                      injection_date=date(2021, 10, 4))
    assert err.value.message == (
        f"This person already has this dose: {az().name} on 02/10/2021 (dose 2). "
        "Doses of the same vaccine within 3 days are the same dose; it was not added.")
