"""FHIR R4 shapes of the platform's data: Patient (the CCCD as identifier), Immunization (WHO
DDCC:VS elements where they apply: vaccine brand, country, dose number) and searchset Bundles.

Plain functions from our models to FHIR JSON; the tests check every resource with an independent
model library (fhir.resources, R4B)."""

from __future__ import annotations

from datetime import date

from rest_framework.response import Response

from records.catalogue import COVID_19_VACCINES
from records.models import Citizen, InjectionRecord, VaccineProduct

FHIR_CONTENT_TYPE = "application/fhir+json"
CCCD_SYSTEM = "urn:vaxrecon:sid:cccd"  # Vietnam's citizen identity card number (12 digits)
CMND_SYSTEM = "urn:vaxrecon:sid:cmnd"  # the old 9-digit identity card
FACILITY_SYSTEM = "urn:vaxrecon:sid:facility"
CATALOGUE_SYSTEM = "urn:vaxrecon:vaccine"
EU_PRODUCT_SYSTEM = "https://ec.europa.eu/health/documents/community-register/html/"
EU_PRODUCT_NAME_SYSTEM = "http://ec.europa.eu/temp/vaccineproductname"  # DCC codes without an EMA number
EU_MAH_SYSTEM = "https://spor.ema.europa.eu/v1/organisations"
SNOMED, ATC = "http://snomed.info/sct", "http://www.whocc.no/atc"
COVID_19 = {"system": SNOMED, "code": "840539006", "display": "COVID-19"}
DDCC = "http://smart.who.int/ddcc/StructureDefinition/"
COUNTRY = "VN"
# A dose that was replaced by a correction is not how the person was vaccinated any more.
STATUS = {InjectionRecord.Status.SUPERSEDED: "entered-in-error"}


def patient(citizen: Citizen) -> dict:
    """Patient: the CCCD (or CMND) as identifier, the name as written (family name first), sex,
    the date of birth as far as it is known (a year alone is a valid FHIR date)."""
    words = citizen.full_name.split()
    identifiers = [{"use": "official", "system": system, "value": value}
                   for system, value in ((CCCD_SYSTEM, citizen.cccd), (CMND_SYSTEM, citizen.cmnd)) if value]
    resource = {
        "resourceType": "Patient", "id": str(citizen.pk), "identifier": identifiers,
        "name": [{"use": "official", "text": citizen.full_name, "family": words[0], "given": words[1:]}],
        "gender": {"M": "male", "F": "female"}.get(citizen.sex, "unknown"),
        "birthDate": citizen.date_of_birth.isoformat() if citizen.date_of_birth else str(citizen.birth_year),
        "address": [{"country": COUNTRY, **({"district": citizen.ward.name} if citizen.ward_id else {})}],
    }
    if not identifiers:
        resource.pop("identifier")
    return resource


def vaccine_code(vaccine: VaccineProduct) -> dict:
    """The EU DCC medicinal-product code, the vaccine type (SNOMED CT or ATC) and our catalogue code."""
    product = EU_PRODUCT_SYSTEM if vaccine.eu_medicinal_product.startswith("EU/") else EU_PRODUCT_NAME_SYSTEM
    kind = ATC if vaccine.eu_vaccine_type == COVID_19_VACCINES else SNOMED
    return {"coding": [{"system": product, "code": vaccine.eu_medicinal_product, "display": vaccine.brand},
                       {"system": kind, "code": vaccine.eu_vaccine_type},
                       {"system": CATALOGUE_SYSTEM, "code": vaccine.code, "display": vaccine.name}],
            "text": vaccine.name}


def immunization(record: InjectionRecord) -> dict:
    vaccine = record.vaccine
    resource = {
        "resourceType": "Immunization", "id": str(record.pk),
        "meta": {"versionId": str(record.version)},
        "extension": [
            {"url": DDCC + "DDCCVaccineBrand",
             "valueCoding": {"system": CATALOGUE_SYSTEM, "code": vaccine.code, "display": vaccine.brand}},
            {"url": DDCC + "DDCCVaccineMarketAuthorization",
             "valueCoding": {"system": EU_MAH_SYSTEM, "code": vaccine.eu_ma_holder,
                             "display": vaccine.manufacturer}},
            {"url": DDCC + "DDCCCountryOfEvent", "valueCode": COUNTRY},
        ],
        "status": STATUS.get(record.status, "completed"),
        "vaccineCode": vaccine_code(vaccine),
        "patient": {"reference": f"Patient/{record.citizen_id}"},
        "occurrenceDateTime": record.injection_date.isoformat(),
        "recorded": record.created_at.isoformat(),
        "primarySource": record.source == InjectionRecord.Source.ADMINISTERED,
        "protocolApplied": [{"targetDisease": [{"coding": [COVID_19]}],
                             "doseNumberPositiveInt": record.dose_number}],
    }
    if record.lot_number:
        resource["lotNumber"] = record.lot_number
    if record.facility_id:
        resource["performer"] = [{"actor": {
            "identifier": {"system": FACILITY_SYSTEM, "value": record.facility.code},
            "display": record.facility.name}}]
    return resource


DATE_PREFIXES = ("eq", "ge", "gt", "le", "lt")


def date_lookups(values: list[str]) -> dict:
    """FHIR `date` search values (yyyy-mm-dd with an optional eq/ge/gt/le/lt prefix, several AND-ed)
    as Django lookups on the injection date. Raises ValueError for anything else."""
    lookups = {}
    for value in values:
        prefix, text = (value[:2], value[2:]) if value[:2] in DATE_PREFIXES else ("eq", value)
        day = date.fromisoformat(text)
        suffix = {"eq": "", "ge": "__gte", "gt": "__gt", "le": "__lte", "lt": "__lt"}[prefix]
        lookups[f"injection_date{suffix}"] = day
    return lookups


def searchset(resources: list[dict], *, base: str, self_url: str, next_url: str | None = None,
              total: int | None = None) -> dict:
    """A searchset Bundle of `resources` (fullUrl under `base`), with its self and next links."""
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "link": [{"relation": "self", "url": self_url}],
              "entry": [{"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r,
                         "search": {"mode": "match"}} for r in resources]}
    if next_url:
        bundle["link"].append({"relation": "next", "url": next_url})
    if total is not None:
        bundle["total"] = total
    return bundle


# FHIR's issue-type codes (http://hl7.org/fhir/issue-type) for the HTTP status of a refusal.
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 409: "conflict", 412: "conflict", 415: "not-supported",
               422: "processing", 428: "required", 429: "throttled"}


def operation_outcome(problem: dict) -> dict:
    """A problem-details body (vaxrecon.errors.problem) as a FHIR R4 OperationOutcome: one issue per
    field error (its field as the expression), or one for the whole request; the machine-readable
    code in `diagnostics`."""
    code = ISSUE_CODES.get(problem["status"], "exception")
    errors = problem.get("errors") or [{"field": None, "message": problem["detail"]}]
    issues = []
    for error in errors:
        issue = {"severity": "error", "code": code, "details": {"text": error["message"]},
                 "diagnostics": problem["code"]}
        if error.get("field"):
            issue["expression"] = [error["field"]]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


def as_outcome(problem_response):
    """A problem-details response as the same refusal in FHIR (status, WWW-Authenticate and
    Retry-After kept): what every path under /api/v1/fhir/ answers, a FHIR client reading no
    problem details."""
    outcome = Response(operation_outcome(problem_response.data), status=problem_response.status_code,
                       content_type=FHIR_CONTENT_TYPE)
    for header in ("WWW-Authenticate", "Retry-After"):
        if problem_response.has_header(header):
            outcome[header] = problem_response[header]
    return outcome
