"""The payload against the EU DCC JSON schema (version 1.3.0, the vaccination branch), rebuilt here
from the specification's schema as data: field names, required fields, patterns and lengths."""

from __future__ import annotations

import jsonschema
import pytest

from certificates import services
from certificates.verify import verify_hc1
from records.models import InjectionRecord, VaccineProduct

pytestmark = pytest.mark.django_db

NAME = {"type": "string", "maxLength": 80}
STANDARDISED = {"type": "string", "pattern": "^[A-Z<]*$", "maxLength": 80}
DCC_VACCINATION_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["ver", "nam", "dob", "v"],
    "additionalProperties": False,
    "properties": {
        "ver": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
        "nam": {"type": "object", "required": ["fnt"], "additionalProperties": False,
                "properties": {"fn": NAME, "fnt": STANDARDISED, "gn": NAME, "gnt": STANDARDISED}},
        "dob": {"type": "string", "pattern": r"^((19|20)\d\d(-\d\d){0,2}){0,1}$"},
        "v": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object", "additionalProperties": False,
            "required": ["tg", "vp", "mp", "ma", "dn", "sd", "dt", "co", "is", "ci"],
            "properties": {
                "tg": {"type": "string", "enum": ["840539006"]},
                "vp": {"type": "string"}, "mp": {"type": "string"}, "ma": {"type": "string"},
                "dn": {"type": "integer", "minimum": 1, "maximum": 9},
                "sd": {"type": "integer", "minimum": 1, "maximum": 9},
                "dt": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                "co": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "is": {"type": "string", "maxLength": 80},
                "ci": {"type": "string", "maxLength": 80, "pattern": "^URN:UVCI:"},
            }}},
    },
}


@pytest.mark.parametrize("doses", [1, 2, 3])
def test_the_payload_validates_against_the_eu_dcc_schema(dsc, signed_citizen, doses):
    citizen, _records = signed_citizen(doses=doses, full_name="Đoàn Thị Ấu Ơn Ưng Ê Ô Â Ă")
    dcc = verify_hc1(services.certificate_issue(citizen=citizen).certificate.hc1).dcc
    jsonschema.validate(dcc, DCC_VACCINATION_SCHEMA)


def test_a_year_only_birth_date_and_every_catalogue_vaccine_validate(dsc, signed_citizen):
    for product in VaccineProduct.objects.order_by("code"):
        citizen, records = signed_citizen(doses=1, date_of_birth=None, birth_year=1950, dob_precision="year")
        InjectionRecord.objects.filter(pk=records[0].pk).update(vaccine=product)
        dcc = verify_hc1(services.certificate_issue(citizen=citizen).certificate.hc1).dcc
        jsonschema.validate(dcc, DCC_VACCINATION_SCHEMA)
        assert dcc["dob"] == "1950"


def test_the_schema_itself_refuses_what_it_should():
    bad = {"ver": "1.3.0", "nam": {"fnt": "nguyen"}, "dob": "1990", "v": []}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, DCC_VACCINATION_SCHEMA)
