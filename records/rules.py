"""The rules of an injection record and of a person's identity: one table, one entry per field.

Each entry names a field (the column an error points at) and its checks; a check holds the
message (its msgid, translated when used), the Python test over a *cleaned row* and the same
test as an SQL predicate over the PostgreSQL import's cleaned-row table (``r.<key>``). From the
one table come the row validator of a log or registry file (`row_errors`), the dose checks of
the forms and services (`validate_injection`) and the import's SQL error query
(`verification.imports.rules`); ``tests/records/test_rules.py`` proves that the Python test and
the SQL predicate agree on a table of good and bad rows.

Why here: `records` is the ground floor (the citizens and their injection records) and imports
no other room, while three rooms check these rules (records' own services, verification's
forms and cases, and verification.imports); living with the records, the rules are reachable
from every room without an upward import.

A cleaned row is a mapping of: ``short`` (the row has fewer cells than the header), ``rid``
(record id), ``name`` (the normalised full name), ``sex_t``/``sex_v`` (text, "M"/"F" or None),
``dob_t``/``dob_bad`` (0 parsed or blank, 1 not a date)/``dob_year``, ``ph_t``/``phone``
(normalised), ``id_t``/``idd`` (digits), ``prov_t``/``prov_id``, ``ward_t``/``ward_id``/
``ward_prov`` (the ward's province), ``vac_t``/``vac_id``, ``dose_t``/``dose_n``, ``inj_t``/
``inj_bad`` (0 parsed, 1 blank, 2 not a full date)/``inj_date``, ``lot_t``, and the parameters
``today``, ``this_year``, ``first`` (`FIRST_INJECTION`) and ``required`` (registry rows: sex and
birth must be given). The row validator fills what its fields read; the SQL table has columns
of the same names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from records import normalize

FIRST_INJECTION_DATE = "2021-03-08"  # first COVID-19 injection in Vietnam
FIRST_INJECTION = date.fromisoformat(FIRST_INJECTION_DATE)
BIRTH_YEAR_MIN = 1900
DOSE_MIN, DOSE_MAX = 1, 10
RECORD_ID_MAX = 64
NAME_MAX = 150
ID_LENGTHS = (9, 12)  # CMND, CCCD
# One pattern for Python's re and PostgreSQL's regular expressions (the SQL receives it as a parameter).
LOT_PATTERN = r"^[A-Za-z0-9][-A-Za-z0-9/.]{1,29}$"
PHONE_SQL_PATTERN = "^0[0-9]{9}$"  # normalize.is_valid_phone on ASCII digits
ROW = "(row)"  # the column named in an error about the row as a whole
# The words a file may give for the sex (case-folded), and what they mean.
SEX_WORDS = {"m": "M", "nam": "M", "male": "M", "f": "F", "nu": "F", "nữ": "F", "female": "F"}

Row = Mapping[str, object]


@dataclass(frozen=True)
class Check:
    """One way a field can be wrong: `python` and `sql` are the same test, a Python expression
    and an SQL predicate over the cleaned row ``r`` (`sql` None: a check the SQL path never
    needs). `value`: the cleaned-row key shown as the error's value ('' when None); `value_sql`
    overrides ``r.<value>`` in SQL. A message with ``%(code)s`` takes `code` (a key)."""

    message: object  # a lazy msgid
    python: str
    sql: str | None
    value: str | None = None
    value_sql: str | None = None
    code: str | None = None
    cut: bool = False  # the value shown cut to its first 40 characters and "…"

    def reason(self, row: Row) -> str:
        if self.code is None:
            return str(self.message)
        return str(self.message) % {"code": row[self.code]}

    def shown(self, row: Row) -> str:
        if self.value is None:
            return ""
        return row[self.value][:40] + "…" if self.cut else row[self.value]


@dataclass(frozen=True)
class Field:
    seq: int  # the order of the errors of a row
    column: str
    checks: tuple[Check, ...]


def _unknown(message: object, text: str, found: str) -> Check:
    """A code that is given (``r.<text>`` not blank) but names nothing (``r.<found>`` is None)."""
    return Check(message, f"r['{text}'] != '' and r['{found}'] is None",
                 f"r.{text} <> '' AND r.{found} IS NULL", value=text)


def _malformed(message: object, key: str, test: str, pattern: str, *, value: str | None = None) -> Check:
    """A text that is given (``r.<key>`` not blank) but fails its pattern: `test` in Python, the
    regular expression parameter `pattern` in SQL; the error shows ``r.<value>`` (default `key`)."""
    return Check(message, f"r['{key}'] != '' and not {test}(r['{key}'])",
                 f"r.{key} <> '' AND r.{key} !~ %({pattern})s", value=value or key)


def _injection_date(message: object, comparison: str, bound: str) -> Check:
    """A parsed injection date on the wrong side (`comparison`, ``<`` or ``>``) of the parameter
    `bound`."""
    return Check(message, f"r['inj_bad'] == 0 and r['inj_date'] {comparison} r['{bound}']",
                 f"r.inj_bad = 0 AND r.inj_date {comparison} %({bound})s", value="inj_t")


SHORT = Field(0, ROW, (
    Check(_("The row has fewer cells than the header."), "r['short']", "r.short"),
))
RECORD_ID = Field(1, "record_id", (
    Check(_("Record id is required (it makes re-imports safe)."), "r['rid'] == ''", "r.rid = ''"),
    Check(_("Record id is longer than 64 characters."), "len(r['rid']) > RECORD_ID_MAX",
          f"length(r.rid) > {RECORD_ID_MAX}", value="rid", cut=True, value_sql="left(r.rid, 40) || '…'"),
))
FULL_NAME = Field(2, "full_name", (
    # In SQL a name outside the simple alphabet (name_py) is measured by `normalize` (norm_len).
    Check(_("Full name is required."), "r['name'] == ''",
          "CASE WHEN r.name_py THEN coalesce(r.norm_len, 0) = 0 ELSE r.name = '' END"),
    Check(_("Full name is longer than 150 characters."), "len(r['name']) > NAME_MAX",
          f"r.name_py AND r.norm_len > {NAME_MAX}", value="name", cut=True, value_sql="r.norm40"),
    # The simple alphabet is all letters: only a name_py name can hold another sign.
    Check(_("Full name may hold only letters, spaces, hyphens, apostrophes and dots."),
          "r['name'] != '' and not is_name_text(r['name'])", "r.name_py AND NOT r.name_ok", value="name",
          value_sql="r.norm_name"),
))
SEX = Field(3, "sex", (
    Check(_("Sex must be M or F (Nam/Nữ)."),
          "r['sex_v'] is None and (r['sex_t'] != '' or r['required'])",
          "r.sex_v IS NULL AND r.sex_t <> ''", value="sex_t"),
))
DATE_OF_BIRTH = Field(4, "date_of_birth", (
    Check(_("Date of birth (or at least the year) is required."),
          "r['required'] and r['dob_t'] == ''", None),
    Check(_("Not a date: use yyyy-mm-dd, dd/mm/yyyy or a year."), "r['dob_bad'] == 1",
          "r.dob_bad = 1", value="dob_t"),
    Check(_("Year of birth must be between 1900 and this year."),
          "r['dob_bad'] == 0 and r['dob_year'] is not None "
          "and not BIRTH_YEAR_MIN <= r['dob_year'] <= r['this_year']",
          f"r.dob_bad = 0 AND r.dob_year IS NOT NULL AND r.dob_year NOT BETWEEN {BIRTH_YEAR_MIN} "
          "AND %(this_year)s", value="dob_t"),
))
PHONE = Field(5, "phone", (
    # On the text as written: "abc" has no digits, normalises to "" and is still a wrong phone.
    Check(_("Phone number must have 10 digits starting with 0 (e.g. 0912345678)."),
          "r['ph_t'] != '' and not is_valid_phone(r['phone'])", "r.ph_t <> '' AND r.phone !~ %(phone_re)s",
          value="ph_t"),
))
ID_NUMBER = Field(6, "id_number", (
    Check(_("A CCCD number has 12 digits; an old CMND number has 9."),
          "r['id_t'] != '' and len(r['idd']) not in ID_LENGTHS",
          f"r.id_t <> '' AND length(r.idd) NOT IN {ID_LENGTHS}", value="id_t"),
))
PROVINCE = Field(7, "province_code", (
    _unknown(_("Unknown province code."), "prov_t", "prov_id"),
))
WARD = Field(8, "ward_code", (
    _unknown(_("Unknown commune/ward code."), "ward_t", "ward_id"),
    Check(_("This commune/ward is not in province %(code)s."),
          "r['ward_id'] is not None and r['prov_id'] is not None and r['ward_prov'] != r['prov_id']",
          "r.ward_id IS NOT NULL AND r.prov_id IS NOT NULL AND r.ward_prov <> r.prov_id", value="ward_t",
          code="prov_id"),
))
VACCINE = Field(9, "vaccine", (
    Check(_("Vaccine is required."), "r['vac_t'] == ''", "r.vac_t = ''"),
    _unknown(_("Unknown vaccine."), "vac_t", "vac_id"),
))
DOSE_NUMBER = Field(10, "dose_number", (
    Check(_("Dose number must be between 1 and 10."),
          "r['dose_n'] is None or not DOSE_MIN <= r['dose_n'] <= DOSE_MAX",
          f"r.dose_n IS NULL OR r.dose_n NOT BETWEEN {DOSE_MIN} AND {DOSE_MAX}", value="dose_t"),
))
INJECTION_DATE = Field(11, "injection_date", (
    Check(_("Injection date is required."), "r['inj_bad'] == 1", "r.inj_bad = 1"),
    Check(_("Not a full date: use yyyy-mm-dd or dd/mm/yyyy."), "r['inj_bad'] == 2",
          "r.inj_bad = 2", value="inj_t"),
    _injection_date(_("Injection date cannot be in the future."), ">", "today"),
    _injection_date(_("Injection date cannot be before 08/03/2021, the first COVID-19 injection in Vietnam."),
                    "<", "first"),
))
LOT_NUMBER = Field(12, "lot_number", (
    _malformed(
        _("Lot number must be 2–30 letters, digits, '-', '/' or '.', starting with a letter or digit."),
        "lot_t", "LOT.match", "lot_re"),
))


# Registry rows only (`import_citizens`): ``cid``/``cccd``/``cccd_ok``, ``legacy``/``cmnd``.
CITIZEN_ID = Field(13, "citizen_id", (
    Check(_("Citizen id must be a 12-digit CCCD number."), "not r['cccd_ok']", None, value="cid"),
    Check(_("The CCCD number does not match the sex and year of birth."),
          "r['cccd_ok'] and r['sex_v'] and r['dob_year'] "
          "and cccd_problem(r['cccd'], sex=r['sex_v'], birth_year=r['dob_year'])", None,
          value="cid"),
))
LEGACY_ID = Field(14, "legacy_id", (
    Check(_("Legacy id must be a 9-digit CMND number."),
          "r['legacy'] != '' and (len(r['cmnd']) != 9 or r['cmnd'] != r['legacy'])", None,
          value="legacy"),
))

# What the checks' Python expressions may name, beside the cleaned row `r`.
_NAMES = {"RECORD_ID_MAX": RECORD_ID_MAX, "NAME_MAX": NAME_MAX, "BIRTH_YEAR_MIN": BIRTH_YEAR_MIN,
          "DOSE_MIN": DOSE_MIN, "DOSE_MAX": DOSE_MAX, "ID_LENGTHS": ID_LENGTHS,
          "LOT": re.compile(LOT_PATTERN),
          "is_valid_phone": normalize.is_valid_phone, "is_name_text": normalize.is_name_text,
          "cccd_problem": normalize.cccd_problem}
IDENTITY_FIELDS = (FULL_NAME, SEX, DATE_OF_BIRTH, PHONE)
UNIT_FIELDS = (PROVINCE, WARD)
REPORT_FIELDS = (SHORT, RECORD_ID, *IDENTITY_FIELDS, ID_NUMBER, *UNIT_FIELDS, VACCINE, DOSE_NUMBER,
                 INJECTION_DATE, LOT_NUMBER)
REGISTRY_FIELDS = (SHORT, *IDENTITY_FIELDS, CITIZEN_ID, LEGACY_ID, *UNIT_FIELDS)
DOSE_FIELDS = (DOSE_NUMBER, INJECTION_DATE, LOT_NUMBER)


def row_errors(fields: Iterable[Field], row: Row) -> list[tuple[str, str, str]]:
    """(column, value, reason) of every check of `fields` that `row` fails, in field order."""
    return row_checker(tuple(fields))(row)


# The checkers made so far, by the identity of their fields (the tables above: module constants,
# kept alive here with their checker): a form or service checking one dose compiles nothing.
_CHECKERS: dict[tuple[int, ...], tuple[tuple[Field, ...], Callable]] = {}


def row_checker(fields: tuple[Field, ...]) -> Callable[[Row], list[tuple[str, str, str]]]:
    """`row_errors` of these fields as one function, for a validator called once per row of a file:
    the checks' expressions are compiled together into one function (no call per check), once per
    set of fields. Messages are translated when an error is made, in the language of the moment."""
    key = tuple(id(f) for f in fields)
    if key not in _CHECKERS:
        _CHECKERS[key] = (fields, _compiled_checker(fields))
    return _CHECKERS[key][1]


def _compiled_checker(fields: tuple[Field, ...]) -> Callable[[Row], list[tuple[str, str, str]]]:
    flat = [(f.column, check) for f in fields for check in f.checks]
    body = "".join(f"    if {check.python}:\n        failed.append({k})\n"
                   for k, (_column, check) in enumerate(flat))
    source = f"def failed_checks(r):\n    failed = []\n{body}    return failed\n"
    namespace = dict(_NAMES)
    code = compile(source, "<records.rules>", "exec")
    exec(code, namespace)  # noqa: S102  # nosec B102 # the rule table's own expressions, no input
    failed_checks = namespace["failed_checks"]

    def errors(row: Row) -> list[tuple[str, str, str]]:
        return [(flat[k][0], flat[k][1].shown(row), flat[k][1].reason(row)) for k in failed_checks(row)]
    return errors


def field_errors(fields: Iterable[Field], row: Row) -> dict[str, str]:
    """Field -> the message of its first failing check (for forms and services)."""
    errors: dict[str, str] = {}
    for column, _value, reason in row_errors(fields, row):
        errors.setdefault(column, reason)
    return errors


def sql_params(today: date) -> dict[str, object]:
    """The parameters the SQL predicates name, beside the messages."""
    return {"today": today, "this_year": today.year, "first": FIRST_INJECTION, "lot_re": LOT_PATTERN,
            "phone_re": PHONE_SQL_PATTERN}


def validate_injection(*, dose_number, injection_date: date | None, lot_number: str,
                       today: date | None = None) -> dict[str, str]:
    """Field -> message for an injection that cannot be right. `today` (the local date, read when not
    given) lets a writer checking many doses read the clock and the time zone once."""
    return field_errors(DOSE_FIELDS, {
        "dose_n": None if dose_number is None else int(dose_number), "dose_t": str(dose_number),
        "inj_bad": 1 if injection_date is None else 0, "inj_date": injection_date,
        "inj_t": str(injection_date), "lot_t": lot_number or "", "today": today or timezone.localdate(),
        "first": FIRST_INJECTION})


def validate_identity(
    *, cccd: str, cmnd: str, sex: str, birth_year: int | None, phone: str, foreign: bool = False
) -> dict[str, str]:
    """Field -> message for an identity that cannot be right; empty when it may be."""
    errors: dict[str, str] = {}
    if cccd and not foreign:
        problem = normalize.cccd_problem(cccd, sex=sex, birth_year=birth_year)
        if problem:
            errors["cccd"] = _cccd_message(cccd, sex, birth_year)
    if cmnd and not cmnd.isdigit() or cmnd and len(cmnd) != 9:
        errors["cmnd"] = str(_("CMND number must be exactly 9 digits."))
    errors.update(field_errors((PHONE,), {"phone": phone or "", "ph_t": phone or ""}))
    return errors


def _cccd_message(cccd: str, sex: str, birth_year: int | None) -> str:
    """Translated wording of normalize.cccd_problem."""
    if len(cccd) != 12 or not cccd.isdigit():
        return str(_("CCCD number must be exactly 12 digits."))
    if birth_year and cccd[4:6] != f"{birth_year % 100:02d}":
        return str(
            _("CCCD digits 5–6 (%(digits)s) do not match the year of birth %(year)s.")
            % {"digits": cccd[4:6], "year": birth_year}
        )
    return str(
        _("CCCD digit 4 (%(digit)s) does not match the sex and century of birth.")
        % {"digit": cccd[3]}
    )
