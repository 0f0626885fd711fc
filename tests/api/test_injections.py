"""Injection records from a facility's software: recorded through the record services and the
duplicate-dose rule of the case page; read with an ETag, corrected with If-Match; audited."""

from __future__ import annotations

from datetime import date

import pytest

from records.models import AuditEvent, InjectionRecord
from tests.api.conftest import assert_problem, post, session_client
from tests.factories import CitizenFactory, InjectionRecordFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/injections/"


@pytest.fixture
def lan(reference_data):
    return CitizenFactory(
        full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12), cccd="001191004567"
    )


def dose(**overrides) -> dict:
    return {
        "cccd": "001191004567",
        "vaccine": "pfizer",
        "dose_number": 1,
        "injection_date": "2021-09-01",
        "lot_number": "FK1234",
        "source_record_id": "HIS-77",
        **overrides,
    }


def test_the_facility_records_a_dose_for_a_person_by_cccd(clinic_api, lan, clinic_key, hanoi_facility):
    response = post(clinic_api, URL, dose())
    assert response.status_code == 201, response.json()
    body = response.json()
    record = InjectionRecord.objects.get(pk=body["id"])
    assert (record.citizen, record.facility, record.version) == (lan, hanoi_facility, 1)
    assert record.source_record_id == "HIS-77" and body["vaccine"] == "pfizer"
    assert response["Location"] == f"{URL}{record.pk}/" and response["ETag"]
    event = AuditEvent.objects.get(action="injection.create", object_id=str(record.pk))
    assert event.actor == clinic_key.key.user and event.actor_label == f"apikey-{clinic_key.key.prefix}"


def test_the_same_dose_again_within_three_days_is_a_409_and_nothing_is_added(clinic_api, lan, hanoi_facility):
    existing = InjectionRecordFactory(citizen=lan, facility=hanoi_facility, injection_date=date(2021, 9, 1))
    body = assert_problem(
        post(clinic_api, URL, dose(injection_date="2021-09-03")),
        409,
        "duplicate_dose",
        field="injection_date",
    )
    assert "01/09/2021" in body["detail"]
    assert list(InjectionRecord.objects.filter(citizen=lan)) == [existing]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vaccine": "no-such-vaccine"}, "vaccine"),
        ({"dose_number": 0}, "dose_number"),
        ({"injection_date": "2031-01-01"}, "injection_date"),
        ({"injection_date": "01/09/2021"}, "injection_date"),
        ({"cccd": "12345"}, "cccd"),
        ({"lot_number": "x" * 31}, "lot_number"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(clinic_api, lan, change, field):
    before = AuditEvent.objects.count()
    assert_problem(post(clinic_api, URL, dose(**change)), 400, "invalid_input", field=field)
    assert not InjectionRecord.objects.exists() and AuditEvent.objects.count() == before


def test_an_unknown_person_is_404(clinic_api, lan):
    assert_problem(post(clinic_api, URL, dose(cccd="079199000001")), 404, "not_found", field="cccd")


def test_other_roles_may_not_record(police_user, lan):
    assert_problem(post(session_client(police_user), URL, dose()), 403, "not_allowed")
    assert not InjectionRecord.objects.exists()


def test_lists_hold_only_records_given_in_scope(
    clinic_api, other_clinic_api, lan, hanoi_facility, hcm_facility
):
    mine = InjectionRecordFactory(citizen=lan, facility=hanoi_facility)
    InjectionRecordFactory(citizen=lan, facility=hcm_facility, injection_date=date(2021, 12, 1))
    assert [r["id"] for r in clinic_api.get(URL).json()["results"]] == [mine.pk]
    assert mine.pk not in [r["id"] for r in other_clinic_api.get(URL).json()["results"]]
    assert clinic_api.get(URL, {"vaccine": "pfizer", "injection_date_from": "2021-09-01"}).json()["results"]
    assert clinic_api.get(URL, {"injection_date_from": "2022-01-01"}).json()["results"] == []


def test_the_province_reads_them_too(provincial_user, lan, hanoi_facility):
    record = InjectionRecordFactory(citizen=lan, facility=hanoi_facility)
    assert session_client(provincial_user).get(f"{URL}{record.pk}/").status_code == 200


# --- Correcting: ETag and If-Match -------------------------------------------------------


@pytest.fixture
def record(lan, hanoi_facility):
    return InjectionRecordFactory(citizen=lan, facility=hanoi_facility, injection_date=date(2021, 9, 1))


def test_a_correction_with_the_current_etag_writes_a_new_version(clinic_api, record):
    etag = clinic_api.get(f"{URL}{record.pk}/")["ETag"]
    response = clinic_api.patch(
        f"{URL}{record.pk}/", {"lot_number": "FK9999"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.json()
    new = InjectionRecord.objects.get(pk=response.json()["id"])
    assert (new.version, new.lot_number, new.previous_id) == (2, "FK9999", record.pk)
    record.refresh_from_db()
    assert record.status == InjectionRecord.Status.SUPERSEDED
    assert response["Location"] == f"{URL}{new.pk}/" and response["ETag"] != etag
    event = AuditEvent.objects.get(action="injection.correct")
    assert event.before["lot_number"] == "FK1234" and event.after["lot_number"] == "FK9999"
    assert clinic_api.get(f"{URL}{record.pk}/").json()["next_version"] == new.pk


def test_a_stale_etag_is_412_and_nothing_changes(clinic_api, record):
    etag = clinic_api.get(f"{URL}{record.pk}/")["ETag"]
    first = clinic_api.patch(f"{URL}{record.pk}/", {"lot_number": "A1"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    count = InjectionRecord.objects.count()
    assert_problem(
        clinic_api.patch(f"{URL}{record.pk}/", {"lot_number": "B2"}, format="json", HTTP_IF_MATCH=etag),
        412,
        "precondition_failed",
        field="If-Match",
    )
    assert InjectionRecord.objects.count() == count
    assert not InjectionRecord.objects.filter(lot_number="B2").exists()


def test_a_correction_without_if_match_is_428(clinic_api, record):
    assert_problem(
        clinic_api.patch(f"{URL}{record.pk}/", {"lot_number": "A1"}, format="json"),
        428,
        "precondition_required",
        field="If-Match",
    )
    assert InjectionRecord.objects.count() == 1


def test_a_correction_onto_another_dose_of_the_person_is_409(clinic_api, record, lan, hanoi_facility):
    InjectionRecordFactory(
        citizen=lan, facility=hanoi_facility, injection_date=date(2021, 10, 1), dose_number=2
    )
    etag = clinic_api.get(f"{URL}{record.pk}/")["ETag"]
    assert_problem(
        clinic_api.patch(
            f"{URL}{record.pk}/", {"injection_date": "2021-10-02"}, format="json", HTTP_IF_MATCH=etag
        ),
        409,
        "duplicate_dose",
    )
    record.refresh_from_db()
    assert record.status == InjectionRecord.Status.RECORDED and InjectionRecord.objects.count() == 2


def test_an_outsider_gets_404_on_read_and_correct(other_clinic_api, record):
    assert_problem(other_clinic_api.get(f"{URL}{record.pk}/"), 404, "not_found")
    assert_problem(
        other_clinic_api.patch(f"{URL}{record.pk}/", {"lot_number": "X"}, format="json", HTTP_IF_MATCH="*"),
        404,
        "not_found",
    )
    record.refresh_from_db()
    assert record.lot_number == "FK1234" and record.status == InjectionRecord.Status.RECORDED


def test_a_bad_or_empty_filter_or_page_parameter_is_a_400_naming_it(clinic_api, record):
    for query, field in (
        ({"injection_date_to": ""}, "injection_date_to"),
        ({"status": "nope"}, "status"),
        ({"page_size": "0"}, "page_size"),
        ({"cursor": "zz"}, "cursor"),
    ):
        assert_problem(clinic_api.get(URL, query), 400, "invalid_input", field=field)
    assert clinic_api.get(URL, {"page_size": "1"}).json()["results"][0]["id"] == record.pk


# --- Many at once -------------------------------------------------------------------------


def test_a_bulk_request_records_each_good_dose_and_refuses_each_bad_one_on_its_own(clinic_api, lan):
    other = CitizenFactory(cccd="001191004568")
    items = [
        dose(),
        dose(injection_date="2021-09-02"),
        dose(cccd=other.cccd, dose_number=0),
        dose(cccd=other.cccd),
    ]
    body = post(clinic_api, f"{URL}bulk/", {"records": items}).json()
    assert (body["recorded"], body["refused"]) == (2, 2)
    assert [i["status"] for i in body["items"]] == [201, 409, 400, 201]
    assert body["items"][1]["problem"]["code"] == "duplicate_dose"
    assert body["items"][2]["problem"]["errors"][0]["field"] == "dose_number"
    assert sorted(InjectionRecord.objects.values_list("citizen__cccd", flat=True)) == [lan.cccd, other.cccd]
    assert AuditEvent.objects.filter(action="injection.create").count() == 2


def test_a_bulk_request_needs_records_and_the_clinic_role(clinic_api, police_user, lan):
    assert_problem(post(clinic_api, f"{URL}bulk/", {"records": []}), 400, "invalid_input", field="records")
    assert_problem(
        post(session_client(police_user), f"{URL}bulk/", {"records": [dose()]}), 403, "not_allowed"
    )
    assert not InjectionRecord.objects.exists()


def test_a_dose_in_any_form_drf_reads_is_recorded_and_any_other_body_is_refused(clinic_api, lan):
    # A one-dose create is checked as a bulk item is: plain JSON directly, anything else by DRF itself,
    # so DRF's coercions are kept (numbers as text, padded text) and its refusals too.
    response = post(clinic_api, URL, dose(dose_number="2", lot_number="  FK7  ", cccd=f" {lan.cccd} "))
    assert response.status_code == 201, response.json()
    assert (response.json()["dose_number"], response.json()["lot_number"]) == (2, "FK7")
    before = AuditEvent.objects.count()
    assert_problem(post(clinic_api, URL, [dose()]), 400, "invalid_input")
    assert_problem(post(clinic_api, URL, dose(dose_number=True)), 400, "invalid_input", field="dose_number")
    assert InjectionRecord.objects.filter(citizen=lan).count() == 1 and AuditEvent.objects.count() == before
