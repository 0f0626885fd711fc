from datetime import date

import pytest

from records.models import AuditEvent, InjectionRecord, VaccineProduct
from tests.factories import CitizenFactory, InjectionRecordFactory
from vaxrecon.errors import InvalidTransition, NotFoundInScope
from verification.services import DuplicateDose, case_correct_dose, case_link_citizen, case_use_existing_dose
from verification.timeline import event_line


@pytest.fixture
def wrong_dose(case_in_review, clinic_user, hanoi_facility):
    lan = CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12),
                         cccd="001191004567", phone="0912345678")
    case_link_citizen(case=case_in_review, actor=clinic_user, citizen_id=lan.pk)
    return InjectionRecordFactory(citizen=lan, injection_date=date(2021, 11, 2), dose_number=2,
                                  facility=hanoi_facility, status=InjectionRecord.Status.SIGNED)


def test_a_correction_writes_a_new_version_and_keeps_the_signed_one(case_in_review, clinic_user, wrong_dose):
    new = case_correct_dose(case=case_in_review, actor=clinic_user, injection_id=wrong_dose.pk,
                            injection_date=date(2021, 10, 2))
    wrong_dose.refresh_from_db()
    assert wrong_dose.status == InjectionRecord.Status.SUPERSEDED
    assert wrong_dose.injection_date == date(2021, 11, 2)  # the signed content is untouched
    assert (new.version, new.previous, new.injection_date) == (2, wrong_dose, date(2021, 10, 2))
    case_in_review.refresh_from_db()
    assert case_in_review.status == "record_updated" and list(case_in_review.injections.all()) == [new]


def test_a_correction_onto_another_existing_dose_is_a_duplicate(case_in_review, clinic_user, wrong_dose):
    InjectionRecordFactory(citizen=wrong_dose.citizen, injection_date=date(2021, 10, 1), dose_number=1)
    with pytest.raises(DuplicateDose):
        case_correct_dose(case=case_in_review, actor=clinic_user, injection_id=wrong_dose.pk,
                          injection_date=date(2021, 10, 2))


def test_only_the_linked_citizens_doses_can_be_corrected(case_in_review, clinic_user, wrong_dose):
    other = InjectionRecordFactory(citizen__cccd="001080000009", citizen__phone="0900000009")
    with pytest.raises(NotFoundInScope):
        case_correct_dose(case=case_in_review, actor=clinic_user, injection_id=other.pk, dose_number=3)


def test_a_clinic_elsewhere_cannot_correct(case_in_review, other_clinic_user, wrong_dose):
    with pytest.raises(NotFoundInScope):
        case_correct_dose(case=case_in_review, actor=other_clinic_user, injection_id=wrong_dose.pk,
                          dose_number=3)


# What is checked, stored and written on the timeline (mutation run of verification/services,
# docs/TESTING.md).

def test_the_correction_replaces_the_attached_dose_and_the_timeline_names_both(case_in_review, clinic_user,
                                                                              wrong_dose):
    case_use_existing_dose(case=case_in_review, actor=clinic_user, injection_id=wrong_dose.pk)
    new = case_correct_dose(case=case_in_review, actor=clinic_user, injection_id=wrong_dose.pk,
                            injection_date=date(2021, 10, 2))
    assert list(case_in_review.injections.all()) == [new]
    assert AuditEvent.objects.get(action="injection.correct").actor == clinic_user
    event = case_in_review.events.filter(data__action="correct_dose").get()
    assert (event_line(event), {k: event.data[k] for k in ("action", "injection", "previous")}) == (
        f"Dose corrected (version 2): {new.vaccine.name}, dose 2, 02/10/2021.",
        {"action": "correct_dose", "injection": new.pk, "previous": wrong_dose.pk})


def test_a_lot_number_alone_is_corrected_the_dose_is_not_its_own_duplicate(case_in_review, clinic_user,
                                                                           wrong_dose):
    new = case_correct_dose(case=case_in_review, actor=clinic_user, injection_id=wrong_dose.pk,
                            lot_number="FK9999")
    assert (new.lot_number, new.injection_date) == ("FK9999", date(2021, 11, 2))


def test_a_new_vaccine_is_checked_against_the_doses_of_its_own_family(case_in_review, clinic_user,
                                                                      wrong_dose):
    az = VaccineProduct.objects.get(code="astrazeneca")
    InjectionRecordFactory(citizen=wrong_dose.citizen, vaccine=az, injection_date=date(2021, 11, 3),
                           dose_number=1)
    with pytest.raises(DuplicateDose):
        case_correct_dose(case=case_in_review, actor=clinic_user, injection_id=wrong_dose.pk,
                          vaccine=az)
    wrong_dose.refresh_from_db()
    assert wrong_dose.status == InjectionRecord.Status.SIGNED


def test_a_replaced_version_cannot_be_corrected_again(case_in_review, clinic_user, wrong_dose):
    case_correct_dose(case=case_in_review, actor=clinic_user, injection_id=wrong_dose.pk,
                      injection_date=date(2021, 10, 2))
    with pytest.raises(NotFoundInScope) as err:
        case_correct_dose(case=case_in_review, actor=clinic_user, injection_id=wrong_dose.pk,
                          injection_date=date(2021, 10, 5))
    assert err.value.message == "No such dose for the linked citizen."
    assert InjectionRecord.objects.filter(citizen=wrong_dose.citizen).count() == 2


def test_a_case_not_in_review_cannot_have_a_dose_corrected_naming_the_step(reported_case, clinic_user,
                                                                           hanoi_facility):
    dose = InjectionRecordFactory(citizen__cccd="001191004567", citizen__phone="0912345678")
    with pytest.raises(InvalidTransition) as err:
        case_correct_dose(case=reported_case, actor=clinic_user, injection_id=dose.pk,
                          injection_date=date(2021, 10, 5))
    assert err.value.message == "A case that is “Submitted” cannot be changed this way: correct a dose."
