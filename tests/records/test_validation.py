"""The rules of a citizen and of a dose (`records.rules`) as forms and services apply them."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from records import normalize
from records.models import Citizen, InjectionRecord
from records.rules import validate_identity, validate_injection
from records.services import citizen_create, injection_record_correct, injection_record_create
from tests.factories import CitizenFactory, InjectionRecordFactory
from vaxrecon.errors import InvalidInput


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_a_cccd_matching_sex_and_birth_year_is_accepted():
    assert validate_identity(cccd="001090123456", cmnd="", sex="M", birth_year=1990, phone="") == {}
    assert validate_identity(cccd="079305000001", cmnd="", sex="F", birth_year=2005, phone="") == {}


def test_a_cccd_whose_year_digits_disagree_is_refused_with_the_digits_named():
    errors = validate_identity(cccd="001091123456", cmnd="", sex="M", birth_year=1990, phone="")
    assert errors == {"cccd": "CCCD digits 5–6 (91) do not match the year of birth 1990."}


def test_a_cccd_whose_sex_digit_disagrees_is_refused():
    errors = validate_identity(cccd="001090123456", cmnd="", sex="F", birth_year=1990, phone="")
    assert errors == {"cccd": "CCCD digit 4 (0) does not match the sex and century of birth."}


def test_a_cccd_of_the_wrong_century_is_refused():
    # Born 2005, male: digit 4 must be 2, not 0.
    errors = validate_identity(cccd="001005123456", cmnd="", sex="M", birth_year=2005, phone="")
    assert "digit 4" in errors["cccd"]


def test_a_cccd_that_is_not_12_digits_is_refused():
    errors = validate_identity(cccd="00109012345", cmnd="", sex="M", birth_year=1990, phone="")
    assert errors == {"cccd": "CCCD number must be exactly 12 digits."}


def test_a_foreigners_id_is_not_checked_as_a_cccd():
    assert (
        validate_identity(cccd="001091123456", cmnd="", sex="M", birth_year=1990, phone="", foreign=True)
        == {}
    )


@pytest.mark.parametrize(
    "raw", ["+84 912 345 678", "84912345678", "0912.345.678", "0912-345-678", "912345678"]
)
def test_phones_in_every_common_form_normalise_to_0xxxxxxxxx(raw):
    assert normalize.normalize_phone(raw) == "0912345678"


def test_a_short_phone_is_refused_with_an_example():
    errors = validate_identity(cccd="", cmnd="", sex="M", birth_year=1990, phone="091234")
    assert errors == {"phone": "Phone number must have 10 digits starting with 0 (e.g. 0912345678)."}


def test_a_cmnd_must_have_nine_digits():
    assert validate_identity(cccd="", cmnd="12345678", sex="M", birth_year=1990, phone="") == {
        "cmnd": "CMND number must be exactly 9 digits."
    }


@pytest.mark.parametrize(
    "raw, expected",
    [("1990-05-17", (date(1990, 5, 17), 1990, "day")), ("17/05/1990", (date(1990, 5, 17), 1990, "day")),
     ("1990", (None, 1990, "year")), ("", (None, None, ""))],
)
def test_birth_dates_keep_their_precision(raw, expected):
    parsed = normalize.parse_birth_date(raw)
    assert (parsed.value, parsed.year, parsed.precision) == expected


@pytest.mark.parametrize("raw", ["31/02/1990", "yesterday", "1990-13-01"])
def test_impossible_birth_dates_raise_a_plain_message(raw):
    with pytest.raises(ValueError, match="not a"):
        normalize.parse_birth_date(raw)


def test_an_injection_in_the_future_is_refused():
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert validate_injection(dose_number=1, injection_date=tomorrow, lot_number="") == {
        "injection_date": "Injection date cannot be in the future."
    }


def test_an_injection_before_the_campaign_is_refused():
    errors = validate_injection(dose_number=1, injection_date=date(2021, 3, 7), lot_number="")
    assert errors == {
        "injection_date": "Injection date cannot be before 08/03/2021, "
        "the first COVID-19 injection in Vietnam."
    }


@pytest.mark.parametrize("dose", [0, 11])
def test_dose_numbers_outside_one_to_ten_are_refused(dose):
    errors = validate_injection(dose_number=dose, injection_date=date(2021, 9, 1), lot_number="")
    assert errors == {"dose_number": "Dose number must be between 1 and 10."}


def test_a_lot_number_with_odd_characters_is_refused():
    errors = validate_injection(dose_number=1, injection_date=date(2021, 9, 1), lot_number="AB 12#")
    assert list(errors) == ["lot_number"]


def test_creating_a_citizen_with_a_bad_cccd_stores_nothing(db):
    before = Citizen.objects.count()
    with pytest.raises(InvalidInput) as exc:
        citizen_create(full_name="Trần Thị Mai", sex="F", birth=normalize.parse_birth_date("1991-02-03"),
                       cccd="001090123456")
    assert exc.value.field == "cccd"
    assert Citizen.objects.count() == before


def test_a_citizen_gets_a_folded_search_key_and_a_national_phone(db):
    citizen = citizen_create(full_name="  ĐẶNG\u00a0THỊ   thu  ", sex="F",
                             birth=normalize.parse_birth_date("1991"), phone="+84 912 345 678")
    citizen.refresh_from_db()
    assert citizen.name_key == "dang thi thu"
    assert citizen.phone == "0912345678"
    assert citizen.dob_precision == "year" and citizen.date_of_birth is None and citizen.birth_year == 1991


def test_a_correction_makes_a_new_version_and_keeps_the_old_one(db):
    record = InjectionRecordFactory()
    new = injection_record_correct(record=record, injection_date=date(2021, 9, 3), lot_number="FK9999")
    record.refresh_from_db()
    assert record.status == InjectionRecord.Status.SUPERSEDED
    assert (new.version, new.previous_id, new.lot_number) == (2, record.pk, "FK9999")
    assert record.lot_number == "FK1234"


def test_a_superseded_version_cannot_be_corrected_again(db):
    record = InjectionRecordFactory()
    injection_record_correct(record=record, lot_number="FK9999")
    with pytest.raises(InvalidInput):
        injection_record_correct(record=record, lot_number="FK0000")


def test_an_invalid_correction_changes_nothing(db):
    record = InjectionRecordFactory()
    with pytest.raises(InvalidInput):
        injection_record_correct(record=record, dose_number=12)
    record.refresh_from_db()
    assert record.status == InjectionRecord.Status.RECORDED
    assert InjectionRecord.objects.count() == 1


def test_recording_a_dose_validates_it(db):
    citizen = CitizenFactory()
    with pytest.raises(InvalidInput, match="future"):
        injection_record_create(citizen=citizen, vaccine=InjectionRecordFactory().vaccine, dose_number=1,
                                injection_date=timezone.localdate() + timedelta(days=3))
    assert citizen.injections.count() == 0
