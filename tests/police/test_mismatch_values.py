"""An officer's correct values on a mismatch, as they are stored for the clinic (mutation run of
verification/police/services.py, docs/TESTING.md)."""

import pytest

from vaxrecon.errors import InvalidInput
from verification.police.services import police_decide

from .conftest import awaiting_case

pytestmark = pytest.mark.django_db


def test_a_date_and_a_sex_typed_by_the_officer_are_stored_cleaned(police_user, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)  # Nguyễn Văn Hùng, M, 17/05/1990
    verification = police_decide(officer=police_user, case_id=case.pk, outcome="mismatch",
                                 correct_values={"date_of_birth": " 02/03/1985 ", "sex": "f"})
    case.refresh_from_db()
    assert case.police_values == {"date_of_birth": "1985-03-02", "sex": "F"}
    assert verification.differing_fields == ["date_of_birth", "sex"]


def test_a_blank_date_is_no_value_and_a_bad_one_is_refused_on_its_field(police_user, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    with pytest.raises(InvalidInput) as err:
        police_decide(officer=police_user, case_id=case.pk, outcome="mismatch",
                      correct_values={"date_of_birth": "1985"})
    assert (err.value.message, err.value.field) == ("Enter the date of birth as dd/mm/yyyy.", "date_of_birth")
    police_decide(officer=police_user, case_id=case.pk, outcome="mismatch",
                  correct_values={"date_of_birth": "  ", "sex": "F"})
    case.refresh_from_db()
    assert case.police_values == {"sex": "F"}


def test_the_officers_name_and_cccd_are_stored_cleaned_and_only_where_they_differ(
        police_user, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)  # Nguyễn Văn Hùng, 001090000001
    police_decide(officer=police_user, case_id=case.pk, outcome="mismatch",
                  correct_values={"full_name": "  NGUYỄN   VĂN HÙNG  ", "id_number": " 001 090 000 099 "})
    case.refresh_from_db()
    assert case.police_values == {"id_number": "001090000099"}  # the same name, tidied, is no difference
    other = awaiting_case(facility=hanoi_facility, id_number="001090000002")
    police_decide(officer=police_user, case_id=other.pk, outcome="mismatch",
                  correct_values={"full_name": "nguyễn văn hưng", "id_number": "001090000002"})
    other.refresh_from_db()
    assert other.police_values == {"full_name": "Nguyễn Văn Hưng"}


def test_a_cccd_of_the_wrong_length_is_refused_on_its_field_and_the_case_is_left_as_it_was(
        police_user, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    with pytest.raises(InvalidInput) as err:
        police_decide(officer=police_user, case_id=case.pk, outcome="mismatch",
                      correct_values={"id_number": "0010900000991"})
    assert (err.value.message, err.value.field) == ("A CCCD has 12 digits, a CMND 9.", "id_number")
    case.refresh_from_db()
    assert (case.status, case.police_values) == ("awaiting_police", {})
    police_decide(officer=police_user, case_id=case.pk, outcome="mismatch",
                  correct_values={"id_number": "012345678"})  # a 9-digit CMND is taken
    case.refresh_from_db()
    assert case.police_values == {"id_number": "012345678"}
