"""A facility's bulk of doses (verification.services.doses_record): a dose the person already has
on the platform is refused naming that record, the same record the one-dose path names."""

from __future__ import annotations

from datetime import date

import pytest

from records.models import VaccineProduct
from tests.factories import CitizenFactory, InjectionRecordFactory
from verification.services import dose_record
from verification.services.cases import DuplicateDose
from verification.services.doses import DoseIn, doses_record

pytestmark = pytest.mark.django_db


def test_a_dose_on_the_platform_again_names_its_record_as_the_one_dose_path(clinic_user, hanoi_facility,
                                                                            hcm_facility):
    lan = CitizenFactory(cccd="001191004567")
    given = InjectionRecordFactory(citizen=lan, facility=hcm_facility, injection_date=date(2021, 9, 1))
    pfizer = VaccineProduct.objects.get(code="pfizer")
    again = DoseIn(vaccine=pfizer, dose_number=1, injection_date=date(2021, 9, 2), cccd=lan.cccd)

    [refusal] = doses_record(actor=clinic_user, doses=[again])
    with pytest.raises(DuplicateDose) as alone:
        dose_record(actor=clinic_user, **vars(again))

    assert isinstance(refusal, DuplicateDose) and str(refusal) == str(alone.value)
    assert refusal.existing == alone.value.existing == given
    # as the case page shows it: the record with its vaccine and the facility that gave it
    assert (refusal.existing.vaccine.code, refusal.existing.facility.name) == ("pfizer", hcm_facility.name)


def test_a_source_record_id_is_kept_up_to_64_characters_and_cut_there_on_both_paths(clinic_user):
    # The API refuses more than 64; a direct caller of the services gets it cut where the column ends.
    lan, mai = CitizenFactory(cccd="001191004567"), CitizenFactory(cccd="001185000002")
    pfizer = VaccineProduct.objects.get(code="pfizer")
    long_id = "HIS-" + "0123456789" * 7
    one = dose_record(actor=clinic_user, vaccine=pfizer, dose_number=1, injection_date=date(2021, 9, 2),
                      cccd=lan.cccd, source_record_id=long_id[:65])
    [many, kept] = doses_record(actor=clinic_user, doses=[
        DoseIn(vaccine=pfizer, dose_number=1, injection_date=date(2021, 9, 2), cccd=mai.cccd,
               source_record_id=long_id[:65]),
        DoseIn(vaccine=pfizer, dose_number=2, injection_date=date(2021, 10, 2), cccd=mai.cccd,
               source_record_id=long_id[:64])])
    for record in (one, many, kept):
        record.refresh_from_db()
        assert (record.source_record_id, record.source) == (long_id[:64], "administered")
