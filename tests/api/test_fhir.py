"""FHIR R4: Patient, Immunization search and $everything, each resource checked by an independent
model library (fhir.resources, R4B), the DDCC:VS elements present, the data round-tripping, in scope."""

from __future__ import annotations

from datetime import date

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.immunization import Immunization
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from rest_framework.test import APIClient

from api import fhir
from records.models import VaccineProduct
from tests.api.conftest import session_client
from tests.factories import CitizenFactory, InjectionRecordFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/fhir/"
ISSUE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found"}


def assert_outcome(response, status: int, code: str, field: str | None = None) -> dict:
    """The refusal is a valid FHIR R4 OperationOutcome (fhir.resources), as application/fhir+json,
    with the problem's code as diagnostics (and the parameter at fault as the expression)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    outcome = OperationOutcome.model_validate(body)
    assert [(i.severity, i.code, i.diagnostics) for i in outcome.issue] == [("error", ISSUE[status], code)]
    assert outcome.issue[0].details.text
    if field is not None:
        assert outcome.issue[0].expression == [field], body
    return body


@pytest.fixture
def lan(hanoi_facility):
    citizen = CitizenFactory(
        full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12), cccd="001191004567"
    )
    InjectionRecordFactory(
        citizen=citizen, facility=hanoi_facility, injection_date=date(2021, 8, 1), lot_number="A1"
    )
    InjectionRecordFactory(
        citizen=citizen,
        facility=hanoi_facility,
        injection_date=date(2021, 9, 5),
        dose_number=2,
        vaccine=VaccineProduct.objects.get(code="astrazeneca"),
        lot_number="",
    )
    return citizen


def test_patient_is_valid_r4_with_the_cccd_as_identifier(clinic_api, lan):
    response = clinic_api.get(f"{BASE}Patient/{lan.pk}")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    resource = Patient.model_validate(response.json())
    assert (
        resource.identifier[0].system == fhir.CCCD_SYSTEM and resource.identifier[0].value == "001191004567"
    )
    assert resource.name[0].family == "Trần" and resource.name[0].given == ["Thị", "Lan"]
    assert (resource.gender, str(resource.birthDate)) == ("female", "1991-03-12")


def test_a_year_of_birth_alone_is_a_valid_fhir_date(clinic_api, hanoi_facility):
    citizen = CitizenFactory(date_of_birth=None, birth_year=1950, cmnd="123456789", cccd=None)
    InjectionRecordFactory(citizen=citizen, facility=hanoi_facility)
    resource = Patient.model_validate(clinic_api.get(f"{BASE}Patient/{citizen.pk}").json())
    assert str(resource.birthDate) == "1950" and resource.identifier[0].system == fhir.CMND_SYSTEM


def test_immunization_search_is_a_valid_bundle_with_the_ddcc_elements(clinic_api, lan, hanoi_facility):
    body = clinic_api.get(f"{BASE}Immunization", {"patient": f"Patient/{lan.pk}"}).json()
    bundle = Bundle.model_validate(body)
    assert bundle.type == "searchset" and len(bundle.entry) == 2
    by_dose = {}
    for entry in body["entry"]:
        resource = Immunization.model_validate(entry["resource"])
        by_dose[resource.protocolApplied[0].doseNumberPositiveInt] = (resource, entry["resource"])
    first, raw = by_dose[1]
    assert first.status == "completed" and first.patient.reference == f"Patient/{lan.pk}"
    assert str(first.occurrenceDateTime) == "2021-08-01" and first.lotNumber == "A1"
    codes = {(c.system, c.code) for c in first.vaccineCode.coding}
    assert (fhir.EU_PRODUCT_SYSTEM, "EU/1/20/1528") in codes and (fhir.SNOMED, "1119349007") in codes
    assert first.performer[0].actor.identifier.value == hanoi_facility.code
    extensions = {e["url"].rsplit("/", 1)[1]: e for e in raw["extension"]}
    assert extensions["DDCCVaccineBrand"]["valueCoding"]["display"] == "Comirnaty"
    assert extensions["DDCCCountryOfEvent"]["valueCode"] == "VN"
    second = by_dose[2][0]
    assert (fhir.ATC, "J07BX03") in {(c.system, c.code) for c in second.vaccineCode.coding}
    assert second.lotNumber is None


def test_date_prefixes_bound_the_search_and_bad_ones_name_the_parameter(clinic_api, lan):
    found = clinic_api.get(
        f"{BASE}Immunization", {"patient": lan.pk, "date": ["ge2021-09-01", "le2021-12-31"]}
    )
    assert [e["resource"]["occurrenceDateTime"] for e in found.json()["entry"]] == ["2021-09-05"]
    assert clinic_api.get(f"{BASE}Immunization", {"patient": lan.pk, "date": "2021-08-01"}).json()["entry"]
    assert_outcome(
        clinic_api.get(f"{BASE}Immunization", {"patient": lan.pk, "date": "ab2021"}),
        400,
        "invalid_input",
        field="date",
    )
    assert_outcome(clinic_api.get(f"{BASE}Immunization"), 400, "invalid_input", field="patient")


def test_everything_round_trips_the_data(clinic_api, lan):
    body = clinic_api.get(f"{BASE}Patient/{lan.pk}/$everything").json()
    bundle = Bundle.model_validate(body)
    kinds = [e.resource.__resource_type__ for e in bundle.entry]
    assert kinds == ["Patient", "Immunization", "Immunization"] and body["total"] == 3
    stored = sorted(
        (r.injection_date.isoformat(), r.dose_number, r.vaccine.eu_medicinal_product)
        for r in lan.injections.select_related("vaccine")
    )
    shown = sorted(
        (
            e["resource"]["occurrenceDateTime"],
            e["resource"]["protocolApplied"][0]["doseNumberPositiveInt"],
            e["resource"]["vaccineCode"]["coding"][0]["code"],
        )
        for e in body["entry"][1:]
    )
    assert shown == stored


def test_outsiders_get_404_and_other_roles_403(other_clinic_api, police_user, lan):
    assert_outcome(other_clinic_api.get(f"{BASE}Patient/{lan.pk}"), 404, "not_found")
    assert_outcome(other_clinic_api.get(f"{BASE}Patient/{lan.pk}/$everything"), 404, "not_found")
    assert_outcome(other_clinic_api.get(f"{BASE}Immunization", {"patient": lan.pk}), 404, "not_found")
    assert_outcome(session_client(police_user).get(f"{BASE}Patient/{lan.pk}"), 403, "not_allowed")


def test_an_anonymous_caller_gets_an_outcome_asking_to_log_in(lan):
    response = APIClient().get(f"{BASE}Patient/{lan.pk}")
    assert_outcome(response, 401, "not_authenticated")
    wrong_key = APIClient(HTTP_AUTHORIZATION="ApiKey vxr_nope_nope").get(f"{BASE}Patient/{lan.pk}")
    assert_outcome(wrong_key, 401, "authentication_failed")
    assert wrong_key["WWW-Authenticate"] == "ApiKey"


def test_an_unknown_fhir_path_is_an_outcome_too(clinic_api):
    assert_outcome(clinic_api.get(f"{BASE}Patient/-1"), 404, "not_found")
    assert_outcome(clinic_api.get(f"{BASE}Observation"), 404, "not_found")
    assert clinic_api.get("/api/v1/nothing/")["Content-Type"].startswith("application/problem+json")
