"""One row of a log or of the registry -> a clean record, or the reasons it cannot land.

Each reason names the line, the column and what is wrong, in the user's language. Lookups
(vaccines, communes) are loaded once per file, not once per row.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from records import normalize
from records.models import FIRST_INJECTION_DATE, LOT_PATTERN, Province, VaccineProduct, Ward
from records.services import vaccine_by_name
from verification.linkage.engine import NONE

_LOT = re.compile(LOT_PATTERN)
_SEX = {"m": "M", "nam": "M", "male": "M", "f": "F", "nu": "F", "nữ": "F", "female": "F"}
FIRST_INJECTION = date.fromisoformat(FIRST_INJECTION_DATE)
ROW = "(row)"  # the column named in an error about the row as a whole


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    reason: str
    record_id: str = ""


@dataclass
class Lookups:
    """What validation needs from the database, loaded once per file."""

    wards: dict[int, int] = field(default_factory=dict)  # ward code -> province code
    provinces: set[int] = field(default_factory=set)
    vaccines: dict[str, tuple[int, str] | None] = field(default_factory=dict)  # text -> (id, name)
    today: date = field(default_factory=timezone.localdate)

    @classmethod
    def load(cls) -> Lookups:
        return cls(wards=dict(Ward.objects.values_list("code", "province_id")),
                   provinces=set(Province.objects.values_list("code", flat=True)))

    def vaccine(self, text: str) -> tuple[int, str] | None:
        key = text.strip().casefold()
        if key not in self.vaccines:
            product: VaccineProduct | None = vaccine_by_name(text)
            self.vaccines[key] = (product.pk, product.name) if product else None
        return self.vaccines[key]


def content_hash(row: dict[str, str], columns) -> str:
    """Identifies a row's content: the same record re-imported unchanged is skipped."""
    joined = "\x1f".join(row.get(c, "") for c in columns)
    # md5 because PostgreSQL computes the same hash in SQL on the fast path (not a security use).
    return hashlib.md5(joined.encode(), usedforsecurity=False).hexdigest()


def id_digits(value: str) -> str:
    """Digits of a CCCD/CMND. Spreadsheets drop leading zeros (a CCCD starts with the
    province code, often 0xx): 10-11 digits are padded back to 12, 8 digits to 9."""
    digits = normalize.digits_only(value)
    if len(digits) in (10, 11):
        return digits.zfill(12)
    if len(digits) == 8:
        return digits.zfill(9)
    return digits


def _unit_codes(row, lookups: Lookups, errors: list, add) -> tuple[int | None, int | None]:
    province = ward = None
    text = row.get("province_code", "")
    if text:
        if not text.isdigit() or int(text) not in lookups.provinces:
            add("province_code", text, _("Unknown province code."))
        else:
            province = int(text)
    text = row.get("ward_code", "")
    if text:
        if not text.isdigit() or int(text) not in lookups.wards:
            add("ward_code", text, _("Unknown commune/ward code."))
        else:
            ward = int(text)
            if province is not None and lookups.wards[ward] != province:
                add("ward_code", text, _("This commune/ward is not in province %(code)s.") % {"code": province})
            elif province is None and not row.get("province_code"):
                province = lookups.wards[ward]
    return province, ward


def _identity(row, add, *, required: bool) -> dict:
    """Name, sex, birth and phone; sex and birth may be blank unless `required`."""
    name = normalize.normalize_name(row.get("full_name", ""))
    if not name:
        add("full_name", "", _("Full name is required."))
    elif len(name) > 150:
        add("full_name", name[:40] + "…", _("Full name is longer than 150 characters."))
    sex_text = row.get("sex", "").strip()
    sex = _SEX.get(sex_text.casefold())
    if sex is None and (sex_text or required):
        add("sex", sex_text, _("Sex must be M or F (Nam/Nữ)."))
    text = row.get("date_of_birth", "")
    birth = normalize.BirthDate(None, None, "")
    if not text:
        if required:
            add("date_of_birth", "", _("Date of birth (or at least the year) is required."))
    else:
        try:
            birth = normalize.parse_birth_date(text)
        except ValueError:
            add("date_of_birth", text, _("Not a date: use yyyy-mm-dd, dd/mm/yyyy or a year."))
        else:
            if birth.year and not 1900 <= birth.year <= date.today().year:
                add("date_of_birth", text, _("Year of birth must be between 1900 and this year."))
    phone_text = row.get("phone", "")
    phone = normalize.normalize_phone(phone_text)
    if phone and not normalize.is_valid_phone(phone):
        add("phone", phone_text, _("Phone number must have 10 digits starting with 0 (e.g. 0912345678)."))
    return {"full_name": name, "sex": sex or "", "birth": birth, "phone": phone}


def validate_report_row(line: int, row: dict[str, str], lookups: Lookups) -> tuple[dict | None, list[RowError]]:
    """(record, []) for a row that can land, (None, errors) otherwise.

    Sex, date of birth and commune may be blank: the engine links without them. A row
    that matches nobody needs them to become a case (see `case_fields_missing`).
    The record holds clean values: `full_name`, `sex`, `birth` (BirthDate), `id_number`
    (digits), `phone`, `province_code`, `ward_code`, `vaccine_id`, `vaccine`, `dose_number`,
    `injection_date` (date), `lot_number`, `record_id`, `line`.
    """
    errors: list[RowError] = []
    record_id = row.get("record_id", "")

    def add(column, value, reason):
        errors.append(RowError(line, column, value, str(reason), record_id))

    if row.get("__short__"):
        add(ROW, "", _("The row has fewer cells than the header."))
    if not record_id:
        add("record_id", "", _("Record id is required (it makes re-imports safe)."))
    elif len(record_id) > 64:
        add("record_id", record_id[:40] + "…", _("Record id is longer than 64 characters."))
    identity = _identity(row, add, required=False)
    id_text = row.get("id_number", "")
    id_number = id_digits(id_text)
    if id_text and len(id_number) not in (9, 12):
        add("id_number", id_text, _("A CCCD number has 12 digits; an old CMND number has 9."))
    province, ward = _unit_codes(row, lookups, errors, add)
    vaccine_text = row.get("vaccine", "")
    vaccine = lookups.vaccine(vaccine_text) if vaccine_text else None
    if not vaccine_text:
        add("vaccine", "", _("Vaccine is required."))
    elif vaccine is None:
        add("vaccine", vaccine_text, _("Unknown vaccine."))
    dose_text = row.get("dose_number", "")
    dose = int(dose_text) if dose_text.isdigit() else None
    if dose is None or not 1 <= dose <= 10:
        add("dose_number", dose_text, _("Dose number must be between 1 and 10."))
    injection_text = row.get("injection_date", "")
    injection_date = None
    if not injection_text:
        add("injection_date", "", _("Injection date is required."))
    else:
        try:
            injection_date = normalize.parse_date(injection_text)
        except ValueError:
            add("injection_date", injection_text, _("Not a full date: use yyyy-mm-dd or dd/mm/yyyy."))
        else:
            if injection_date > lookups.today:
                add("injection_date", injection_text, _("Injection date cannot be in the future."))
            elif injection_date < FIRST_INJECTION:
                add("injection_date", injection_text,
                    _("Injection date cannot be before 08/03/2021, the first COVID-19 injection in Vietnam."))
    lot = row.get("lot_number", "")
    if lot and not _LOT.match(lot):
        add("lot_number", lot, _("Lot number must be 2–30 letters, digits, '-', '/' or '.', starting with a "
                                  "letter or digit."))
    if errors:
        return None, errors
    return {
        "line": line, "record_id": record_id, **identity, "id_number": id_number,
        "province_code": province, "ward_code": ward, "vaccine_id": vaccine[0], "vaccine": vaccine[1],
        "dose_number": dose, "injection_date": injection_date, "lot_number": lot,
    }, []


def validate_registry_row(line: int, row: dict[str, str], lookups: Lookups) -> tuple[dict | None, list[RowError]]:
    """A registry row -> citizen values (`cccd`, `cmnd`, `full_name`, `sex`, `birth`, `phone`,
    `ward_code`), or errors. The CCCD must agree with sex and year of birth."""
    errors: list[RowError] = []
    cid = row.get("citizen_id", "")

    def add(column, value, reason):
        errors.append(RowError(line, column, value, str(reason), cid))

    if row.get("__short__"):
        add(ROW, "", _("The row has fewer cells than the header."))
    identity = _identity(row, add, required=True)
    cccd = normalize.digits_only(cid)
    if len(cccd) != 12 or cccd != cid:
        add("citizen_id", cid, _("Citizen id must be a 12-digit CCCD number."))
    elif identity["sex"] and identity["birth"].year:
        problem = normalize.cccd_problem(cccd, sex=identity["sex"], birth_year=identity["birth"].year)
        if problem:
            add("citizen_id", cid, _("The CCCD number does not match the sex and year of birth."))
    legacy = row.get("legacy_id", "")
    cmnd = normalize.digits_only(legacy)
    if legacy and (len(cmnd) != 9 or cmnd != legacy):
        add("legacy_id", legacy, _("Legacy id must be a 9-digit CMND number."))
    _province, ward = _unit_codes(row, lookups, errors, add)
    if errors:
        return None, errors
    return {"line": line, "cccd": cccd, "cmnd": cmnd, "ward_code": ward, **identity}, []


INCOMPLETE = "incomplete"  # ledger outcome of a row that matched nobody and lacks a field a case needs


def case_fields_missing(record: dict, *, fallback_ward: int | None) -> list[RowError]:
    """Why an unmatched record cannot become a case (a case needs sex, birth year, commune)."""
    errors = []

    def add(column, reason):
        errors.append(RowError(record["line"], column, "", str(reason), record["record_id"]))

    if not record["sex"]:
        add("sex", _("No citizen matches this row; a case for the clinic needs the sex."))
    if not record["birth"].year:
        add("date_of_birth", _("No citizen matches this row; a case for the clinic needs the date or year of birth."))
    if record["ward_code"] is None and fallback_ward is None:
        add("ward_code", _("No citizen matches this row; a case needs the commune/ward (or import for a facility)."))
    return errors


def split_unlandable(rows: list[dict], results: list, *, fallback_ward: int | None
                     ) -> tuple[list[tuple[dict, object]], list[dict], list[list[RowError]]]:
    """Pairs each record with its match result and sets aside the unmatched ones that cannot
    become a case: returns (to land as (record, result), incomplete records, each one's errors)."""
    landing, incomplete, problems = [], [], []
    for r, m in zip(rows, results):
        missing = case_fields_missing(r, fallback_ward=fallback_ward) if m.decision == NONE else []
        if missing:
            problems.append(missing)
            incomplete.append(r)
        else:
            landing.append((r, m))
    return landing, incomplete, problems
