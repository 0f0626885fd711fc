"""One row of a log or of the registry -> a clean record, or the reasons it cannot land.

The cells are cleaned here (parsed, looked up) into the keys `records.rules` names; the rules
themselves (what is wrong, and its message) are that one table. Each reason names the line,
the column and what is wrong, in the user's language. Lookups (vaccines, communes) are loaded
once per file, not once per row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.utils import timezone
from django.utils.translation import gettext as _

from records import normalize, rules
from records.models import Province, VaccineProduct, Ward
from records.services import vaccine_by_name
from verification.linkage import NONE


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

    @cached_property
    def rule_params(self) -> dict:
        """The parameters the rules read beside a row's cells (the same for every row of a file)."""
        return {"today": self.today, "this_year": self.today.year, "first": rules.FIRST_INJECTION}

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


Validated = tuple[dict | None, list[RowError]]


def _identity_cells(c: dict, row: dict[str, str]) -> None:
    """Into `c`: the cleaned identity cells (the keys `records.rules` names)."""
    sex_text = row.get("sex", "").strip()
    dob_text = row.get("date_of_birth", "")
    birth, dob_bad = _NO_BIRTH, 0
    if dob_text:
        try:
            birth = normalize.parse_birth_date(dob_text)
        except ValueError:
            dob_bad = 1
    phone_text = row.get("phone", "")
    c["short"] = bool(row.get("__short__"))
    c["name"] = normalize.normalize_name(row.get("full_name", ""))
    c["sex_t"], c["sex_v"] = sex_text, rules.SEX_WORDS.get(sex_text.casefold())
    c["dob_t"], c["dob_bad"], c["dob_year"], c["birth"] = dob_text, dob_bad, birth.year, birth
    c["ph_t"], c["phone"] = phone_text, normalize.normalize_phone(phone_text)


def _unit_cells(c: dict, row: dict[str, str], lookups: Lookups) -> None:
    prov_t, ward_t = row.get("province_code", ""), row.get("ward_code", "")
    prov_id = int(prov_t) if prov_t.isdigit() and int(prov_t) in lookups.provinces else None
    ward_id = int(ward_t) if ward_t.isdigit() and int(ward_t) in lookups.wards else None
    c["prov_t"], c["prov_id"], c["ward_t"], c["ward_id"] = prov_t, prov_id, ward_t, ward_id
    c["ward_prov"] = lookups.wards[ward_id] if ward_id is not None else None
    # A row naming only its commune is in the commune's province.
    c["prov_eff"] = prov_id if prov_t else c["ward_prov"]


def _dose_cells(c: dict, row: dict[str, str], lookups: Lookups) -> None:
    vac_t, dose_t, inj_t = row.get("vaccine", ""), row.get("dose_number", ""), row.get("injection_date", "")
    inj_date, inj_bad = None, 1 if not inj_t else 0
    if inj_t:
        try:
            inj_date = normalize.parse_date(inj_t)
        except ValueError:
            inj_bad = 2
    vaccine = lookups.vaccine(vac_t) if vac_t else None
    c["vac_t"], c["vaccine"], c["vac_id"] = vac_t, vaccine, vaccine[0] if vaccine else None
    c["dose_t"], c["dose_n"] = dose_t, int(dose_t) if dose_t.isdigit() else None
    c["inj_t"], c["inj_bad"], c["inj_date"] = inj_t, inj_bad, inj_date
    c["lot_t"] = row.get("lot_number", "")


_NO_BIRTH = normalize.BirthDate(None, None, "")
_REPORT_ERRORS = rules.row_checker(rules.REPORT_FIELDS)
_REGISTRY_ERRORS = rules.row_checker(rules.REGISTRY_FIELDS)


def _errors(checker, cells: dict, line: int, record_id: str) -> list[RowError]:
    return [RowError(line, column, value, reason, record_id) for column, value, reason in checker(cells)]


def validate_report_row(line: int, row: dict[str, str], lookups: Lookups) -> Validated:
    """(record, []) for a row that can land, (None, errors) otherwise, by `records.rules`.

    Sex, date of birth and commune may be blank: the engine links without them. A row
    that matches nobody needs them to become a case (see `case_fields_missing`).
    The record holds clean values: `full_name`, `sex`, `birth` (BirthDate), `id_number`
    (digits), `phone`, `province_code`, `ward_code`, `vaccine_id`, `vaccine`, `dose_number`,
    `injection_date` (date), `lot_number`, `record_id`, `line`.
    """
    record_id, id_text = row.get("record_id", ""), row.get("id_number", "")
    c = {**lookups.rule_params, "required": False, "rid": record_id, "id_t": id_text,
         "idd": id_digits(id_text)}
    _identity_cells(c, row)
    _unit_cells(c, row, lookups)
    _dose_cells(c, row, lookups)
    errors = _errors(_REPORT_ERRORS, c, line, record_id)
    if errors:
        return None, errors
    return {
        "line": line, "record_id": record_id, "full_name": c["name"], "sex": c["sex_v"] or "",
        "birth": c["birth"], "phone": c["phone"], "id_number": c["idd"], "province_code": c["prov_eff"],
        "ward_code": c["ward_id"], "vaccine_id": c["vaccine"][0], "vaccine": c["vaccine"][1],
        "dose_number": c["dose_n"], "injection_date": c["inj_date"], "lot_number": c["lot_t"],
    }, []


def validate_registry_row(line: int, row: dict[str, str], lookups: Lookups) -> Validated:
    """A registry row -> citizen values (`cccd`, `cmnd`, `full_name`, `sex`, `birth`, `phone`,
    `ward_code`), or errors. The CCCD must agree with sex and year of birth."""
    cid, legacy = row.get("citizen_id", ""), row.get("legacy_id", "")
    cccd = normalize.digits_only(cid)
    c = {**lookups.rule_params, "required": True, "cid": cid, "cccd": cccd,
         "cccd_ok": len(cccd) == 12 and cccd == cid, "legacy": legacy, "cmnd": normalize.digits_only(legacy)}
    _identity_cells(c, row)
    _unit_cells(c, row, lookups)
    errors = _errors(_REGISTRY_ERRORS, c, line, cid)
    if errors:
        return None, errors
    return {"line": line, "cccd": cccd, "cmnd": c["cmnd"], "ward_code": c["ward_id"], "full_name": c["name"],
            "sex": c["sex_v"] or "", "birth": c["birth"], "phone": c["phone"]}, []


INCOMPLETE = "incomplete"  # ledger outcome of a row that matched nobody and lacks a field a case needs


def case_fields_missing(record: dict, *, fallback_ward: int | None) -> list[RowError]:
    """Why an unmatched record cannot become a case (a case needs sex, birth year, commune)."""
    errors = []

    def add(column, reason):
        errors.append(RowError(record["line"], column, "", str(reason), record["record_id"]))

    if not record["sex"]:
        add("sex", _("No citizen matches this row; a case for the clinic needs the sex."))
    if not record["birth"].year:
        add("date_of_birth",
            _("No citizen matches this row; a case for the clinic needs the date or year of birth."))
    if record["ward_code"] is None and fallback_ward is None:
        add("ward_code",
            _("No citizen matches this row; a case needs the commune/ward (or import for a facility)."))
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


def same_id_reason(first_line: int | str) -> str:
    return _("The same record id is on line %(first)s with other content: one of the two rows is wrong.") % {
        "first": first_line}


def same_id_other_content(line: int, record_id: str, first_line: int) -> RowError:
    """The error of a valid row whose record id an earlier valid row of the file has with
    other content (the same row twice is only a repeat, skipped)."""
    return RowError(line, "record_id", record_id, same_id_reason(first_line), record_id)
