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
