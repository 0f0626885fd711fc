from datetime import date

import pytest

from records.models import InjectionRecord
from tests.factories import CitizenFactory, InjectionRecordFactory
from vaxrecon.errors import NotFoundInScope
from verification.services import DuplicateDose, case_correct_dose, case_link_citizen


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
