"""The DCC payload of a citizen's signed doses (HCERT ``ver``, ``nam``, ``dob``, one ``v``)."""

from __future__ import annotations

from collections.abc import Sequence

from certificates import valuesets
from certificates.hcert import SCHEMA_VERSION
from certificates.translit import hcert_name
from records.models import Citizen, InjectionRecord

COUNTRY = "VN"


def date_of_birth(citizen: Citizen) -> str:
    """``dob`` as precise as we know it: YYYY-MM-DD, or YYYY when only the year is known."""
    if citizen.date_of_birth and citizen.dob_precision == Citizen.DobPrecision.DAY:
        return citizen.date_of_birth.isoformat()
    return f"{citizen.birth_year:04d}"


def last_dose(records: Sequence[InjectionRecord]) -> InjectionRecord:
    """The dose the certificate names: the latest by date, then by dose number."""
    return max(records, key=lambda r: (r.injection_date, r.dose_number, r.pk))


def dcc_payload(*, citizen: Citizen, records: Sequence[InjectionRecord], uvci: str,
                issuer_name: str) -> dict:
    """The payload for ``citizen`` from their signed ``records`` (the last dose in ``v``)."""
    dose = last_dose(records)
    vaccine = dose.vaccine
    return {
        "ver": SCHEMA_VERSION,
        "nam": hcert_name(citizen.full_name),
        "dob": date_of_birth(citizen),
        "v": [{
            "tg": valuesets.TARGET_COVID_19,
            "vp": vaccine.eu_vaccine_type,
            "mp": vaccine.eu_medicinal_product,
            "ma": vaccine.eu_ma_holder,
            "dn": dose.dose_number,
            "sd": valuesets.series_doses(family=vaccine.family, dose_number=dose.dose_number),
            "dt": dose.injection_date.isoformat(),
            "co": COUNTRY,
            "is": issuer_name,
            "ci": uvci,
        }],
    }
