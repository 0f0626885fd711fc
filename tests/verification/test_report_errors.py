"""The identity rules of a citizen's report, field by field (mutation run of
verification/services/cases.py, docs/TESTING.md): a right report has no error at all, whether it
gives a 12-digit CCCD or a 9-digit CMND, and a missing sex is named on its own field."""

from datetime import date

import pytest

from records.models import VaccineProduct
from records.normalize import parse_birth_date
from verification.services.cases import report_errors

pytestmark = pytest.mark.django_db


def errors(hanoi_facility, **changes):
    fields = {"full_name": "Trần Thị Lan", "birth": parse_birth_date("12/03/1991"), "sex": "F",
              "id_number": "001191004567", "phone": "0912345678", "ward": hanoi_facility.ward,
              "vaccine": VaccineProduct.objects.get(code="astrazeneca"), "dose_number": 2,
              "injection_date": date(2021, 10, 2)}
    return report_errors(**{**fields, **changes})


def test_a_right_report_has_no_error_with_a_cccd_or_a_cmnd(hanoi_facility):
    assert errors(hanoi_facility) == {}
    assert errors(hanoi_facility, id_number="012 345 678") == {}
    assert errors(hanoi_facility, id_number="") == {}  # the number is optional


def test_a_missing_sex_and_a_wrong_cccd_are_each_named_on_their_field(hanoi_facility):
    found = errors(hanoi_facility, sex="", id_number="001185004567", phone="")
    assert found == {"sex": "Choose male or female, as on the CCCD.",
                     "id_number": "CCCD digits 5–6 (85) do not match the year of birth 1991.",
                     "phone": "A mobile phone number is required: the confirmation code is sent to it."}
