"""A citizen reports a dose; the code from the SMS confirms it; a repeat joins the open case."""

from datetime import date

import pytest

from records.models import AuditEvent, VaccineProduct
from records.normalize import parse_birth_date
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidInput
from verification.models import Evidence, OneTimeCode, ReconciliationCase
from verification.selectors import case_queue
from verification.services import case_confirm, case_reject, case_submit

from .conftest import confirmed_report, jpeg, last_code, report_kwargs


def test_a_report_waits_for_the_code_and_texts_it_to_the_phone(hanoi_facility, sms_outbox, clinic_user):
    draft = case_submit(**report_kwargs(hanoi_facility))
    assert not draft.confirmed
    assert [m.phone for m in sms_outbox] == ["0912345678"]
    assert "5" in sms_outbox[0].text and len(last_code()) == 6
    assert list(case_queue(scope=scope_for(clinic_user))) == []


def test_the_code_confirms_the_report_and_opens_it_for_the_clinic(hanoi_facility, clinic_user):
    case = confirmed_report(hanoi_facility)
    assert case.confirmed and case.status == "submitted"
    assert (case.deadline_at - case.submitted_at).total_seconds() == 48 * 3600
    assert list(case_queue(scope=scope_for(clinic_user))) == [case]
    assert case.claimed_doses.get().dose_number == 2
    assert case.evidence.count() == 1
    assert AuditEvent.objects.filter(action="case.report").exists()
    assert case.events.filter(data__action="confirm").exists()


def test_the_stored_code_is_only_a_hash(hanoi_facility):
    draft = case_submit(**report_kwargs(hanoi_facility))
    row = OneTimeCode.objects.get(case=draft)
    assert last_code() not in row.code_hash and len(row.code_hash) == 64


def test_a_report_names_the_field_that_is_wrong(hanoi_facility):
    with pytest.raises(InvalidInput) as err:
        case_submit(**report_kwargs(hanoi_facility, id_number="001091004567"))  # digit 4 says male
    assert err.value.field == "id_number"
    with pytest.raises(InvalidInput) as err:
        case_submit(**report_kwargs(hanoi_facility, phone="12345"))
    assert err.value.field == "phone"
    with pytest.raises(InvalidInput) as err:
        case_submit(**report_kwargs(hanoi_facility, injection_date=date(2020, 1, 1)))
    assert err.value.field == "injection_date"
    assert ReconciliationCase.objects.count() == 0


def test_a_second_report_of_the_same_dose_joins_the_open_case(hanoi_facility, clinic_user):
    first = confirmed_report(hanoi_facility)
    again = confirmed_report(hanoi_facility, full_name="TRAN THI LAN", injection_date=date(2021, 10, 3),
                             files=[jpeg("second.jpg")])
    assert again.pk == first.pk
    assert ReconciliationCase.objects.filter(confirmed=True).count() == 1
    assert first.evidence.count() == 2
    assert first.events.filter(data__action="join_report").exists()


def test_a_report_of_another_dose_opens_its_own_case(hanoi_facility):
    first = confirmed_report(hanoi_facility)
    other = confirmed_report(hanoi_facility, dose_number=1, injection_date=date(2021, 7, 1))
    assert other.pk != first.pk


def test_a_report_for_another_person_on_the_same_phone_opens_its_own_case(hanoi_facility):
    first = confirmed_report(hanoi_facility)
    child = confirmed_report(hanoi_facility, full_name="Trần Minh Khoa", birth=parse_birth_date("2008"),
                             sex="M", id_number="")
    assert child.pk != first.pk


def test_a_rejected_report_does_not_absorb_a_new_one(hanoi_facility, clinic_user):
    first = confirmed_report(hanoi_facility)
    case_reject(case=first, actor=clinic_user, reason="unreadable")
    again = confirmed_report(hanoi_facility)
    assert again.pk != first.pk


def test_a_wrong_code_leaves_the_report_unconfirmed(hanoi_facility):
    draft = case_submit(**report_kwargs(hanoi_facility))
    wrong = "000000" if last_code() != "000000" else "111111"
    with pytest.raises(InvalidInput):
        case_confirm(case=draft, code=wrong)
    draft.refresh_from_db()
    assert not draft.confirmed


def test_a_report_without_a_facility_goes_to_the_commune_health_station(hanoi_facility, clinic_user):
    case = confirmed_report(hanoi_facility, facility=None, vaccine=None, vaccine_text="unknown")
    assert case.facility is None
    assert list(case_queue(scope=scope_for(clinic_user))) == [case]


def test_a_bad_file_stores_nothing(hanoi_facility):
    fake = jpeg("slip.jpg", b"GIF89a" + b"0" * 50)
    with pytest.raises(InvalidInput) as err:
        case_submit(**report_kwargs(hanoi_facility, files=[jpeg(), fake]))
    assert err.value.field == "evidence"
    assert ReconciliationCase.objects.count() == 0 and Evidence.objects.count() == 0
    assert VaccineProduct.objects.exists()


# Which repeat joins (mutation run of verification/services, docs/TESTING.md): the same vaccine
# family and either the same dose number or a date at most 3 days apart.

def test_a_repeat_three_days_apart_joins_even_under_another_dose_number(hanoi_facility):
    first = confirmed_report(hanoi_facility)
    again = confirmed_report(hanoi_facility, dose_number=1, injection_date=date(2021, 10, 5), files=[])
    assert again.pk == first.pk


def test_the_same_dose_number_of_another_vaccine_family_opens_its_own_case(hanoi_facility):
    first = confirmed_report(hanoi_facility)
    other = confirmed_report(hanoi_facility, vaccine=VaccineProduct.objects.get(code="pfizer"))
    assert other.pk != first.pk
