"""GET /api/v1/citizens/: by CCCD, or name + date of birth, in the caller's scope, masked as lists are."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.conftest import assert_problem, session_client
from tests.factories import CitizenFactory, InjectionRecordFactory, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/citizens/"


@pytest.fixture
def lan(hanoi_facility):
    citizen = CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12),
                             cccd="001191004567", phone="0912345678")
    InjectionRecordFactory(citizen=citizen, facility=hanoi_facility)
    return citizen


def test_the_facility_finds_its_citizen_by_cccd_masked(clinic_api, lan):
    body = clinic_api.get(URL, {"cccd": "001191004567"}).json()
    assert [c["id"] for c in body["results"]] == [lan.pk]
    found = body["results"][0]
    assert found["cccd_masked"] != lan.cccd and found["cccd_masked"].endswith("567")
    assert found["phone_masked"] != lan.phone and "001191004567" not in str(body)
    assert "next" in body and "previous" in body  # a cursor page


def test_by_name_and_date_of_birth_ignoring_accents_and_case(clinic_api, lan):
    body = clinic_api.get(URL, {"full_name": "tran thi LAN", "date_of_birth": "1991-03-12"}).json()
    assert [c["id"] for c in body["results"]] == [lan.pk]


def test_a_facility_elsewhere_does_not_find_them(other_clinic_api, lan):
    assert other_clinic_api.get(URL, {"cccd": "001191004567"}).json()["results"] == []


def test_the_ward_police_find_their_resident(police_user, lan):
    body = session_client(police_user).get(URL, {"cccd": "001191004567"}).json()
    assert [c["id"] for c in body["results"]] == [lan.pk]


def test_a_signer_may_not_look_citizens_up(lan, hanoi_facility):
    signer = make_user("signer", username="signer-fac", facility=hanoi_facility)
    assert_problem(session_client(signer).get(URL, {"cccd": "001191004567"}), 403, "not_allowed")


def test_asking_with_neither_cccd_nor_name_and_date_names_the_field(clinic_api):
    assert_problem(clinic_api.get(URL, {"full_name": "Lan"}), 400, "invalid_input", field="cccd")
    assert_problem(clinic_api.get(URL, {"cccd": "12ab"}), 400, "invalid_input", field="cccd")
    assert_problem(clinic_api.get(URL, {"cccd": "001191004567", "date_of_birth": "12/31/1991"}), 400,
                   "invalid_input", field="date_of_birth")


def test_anonymous_callers_are_refused(client, lan):
    assert client.get(URL, {"cccd": "001191004567"}).status_code == 401
