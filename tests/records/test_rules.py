"""The rule table of `records.rules`: its Python checks (the row validator) and its SQL predicates
(the PostgreSQL import's error query) say the same thing about the same rows."""

from __future__ import annotations

import csv

import pytest
from django.db import connection
from django.utils import translation

from records import normalize, rules
from records.models import Ward
from verification.imports.files import REPORT_COLUMNS, open_table
from verification.imports.pg import classify, stage
from verification.imports.validation import Lookups, validate_report_row

GOOD = {
    "record_id": "R-1",
    "full_name": "Nguyen Van An",
    "date_of_birth": "1990-05-17",
    "sex": "M",
    "id_number": "001090000777",
    "phone": "0912345678",
    "province_code": "1",
    "ward_code": "70",
    "vaccine": "Pfizer-BioNTech",
    "dose_number": "1",
    "injection_date": "2021-09-01",
    "lot_number": "FK1234",
}
# Real names of Vietnam (Kinh, Ê Đê, J'rai, Mường...): diacritics, in NFC and NFD, with spaces,
# hyphens, apostrophes and dots; each passes the identity rules.
REAL_NAMES = [
    "Nguyễn Văn Hùng", "Đặng Thị Ngọc Ánh", "Trương Mỹ Lệ", "Lê-Nguyễn Minh Châu", "H'Hen Niê",
    "Ksor H’Ngơn", "Y-Moan Ênuôl", "Nguyễn T. Lan", "Bùi Thị Hường", "Phạm Ðức Thắng",
    "Nguye\u0302\u0303n Va\u0306n Hu\u0300ng", "Hoàng  Quốc\u00a0Việt", "NÔNG THỊ THỦY", "Lò Văn Pành",
]
# (changes to GOOD): every row in simple forms, so that the SQL checks it (not Python).
CHANGES = [
    {},
    {
        "date_of_birth": "17/05/1990",
        "sex": "nam",
        "id_number": "",
        "phone": "+84 912 345 678",
        "province_code": "",
    },
    {"date_of_birth": "1990", "sex": "", "phone": "84912345678", "id_number": "1090000777", "lot_number": ""},
    {
        "date_of_birth": "",
        "sex": "F",
        "phone": "",
        "ward_code": "",
        "dose_number": "10",
        "injection_date": "1/9/2021",
    },
    {"record_id": ""},
    {"record_id": "X" * 70},
    {"full_name": ""},
    {"full_name": "An " * 60},
    {"sex": "X"},
    {"date_of_birth": "31/02/1990"},
    {"date_of_birth": "1850"},
    {"date_of_birth": "1890"},
    {"date_of_birth": "2090"},
    {"date_of_birth": "1990-13-01"},
    {"phone": "12345"},
    {"id_number": "12345"},
    {"province_code": "99999"},
    {"province_code": "abc"},
    {"ward_code": "999999"},
    {"ward_code": "OTHER-PROVINCE"},
    {"vaccine": ""},
    {"vaccine": "Vodka"},
    {"dose_number": "0"},
    {"dose_number": "11"},
    {"dose_number": "x"},
    {"dose_number": ""},
    {"injection_date": ""},
    {"injection_date": "2021-09"},
    {"injection_date": "2099-01-01"},
    {"injection_date": "2021-03-07"},
    {"lot_number": "AB 12#"},
    {"lot_number": "A"},
    {"full_name": "=1+1"},
    {"full_name": "<script>alert(1)</script>"},
    {"full_name": "@SUM(A1)"},
    {"full_name": "Nguyễn Văn 2"},
    *({"full_name": name} for name in REAL_NAMES),
    {"record_id": "", "full_name": "", "sex": "?", "phone": "1", "vaccine": "", "dose_number": "0",
     "injection_date": "", "lot_number": "-"},
]


def _write(path, other_ward: int):
    rows = [{**GOOD, **change} for change in CHANGES]
    for row in rows:
        if row["ward_code"] == "OTHER-PROVINCE":
            row["ward_code"] = str(other_ward)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows([row[c] for c in REPORT_COLUMNS] for row in rows)
        writer.writerow(["R-SHORT", "Nguyen Van An"])  # fewer cells than the header
    return path


def _python_errors(path, lookups) -> list[tuple]:
    return [(e.line, e.column, e.value, e.reason) for line, row in open_table(path, REPORT_COLUMNS).rows()
            for e in validate_report_row(line, row, lookups)[1]]


@pytest.fixture
def rows_file(tmp_path, reference_data):
    other = Ward.objects.exclude(province_id=1).values_list("code", flat=True).first()
    with translation.override("vi"):  # the messages as the users read them
        yield _write(tmp_path / "rows.csv", other)


def test_the_table_of_rows_fails_every_check_the_sql_knows(rows_file):
    reasons = {reason for _line, _col, _val, reason in _python_errors(rows_file, Lookups.load())}
    checks = [check for f in rules.REPORT_FIELDS for check in f.checks if check.sql]

    assert {str(c.message) for c in checks if c.code is None} <= reasons
    assert {str(c.message) % {"code": 1} for c in checks if c.code} <= reasons


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL error query runs on PostgreSQL")
def test_the_sql_error_query_gives_the_python_validators_errors(rows_file):
    lookups = Lookups.load()
    session = stage.Session()
    session.setup()
    try:
        fold = classify.folding(session)
        exprs, blank = stage.stage(session, rows_file)
        stage.load_vaccines(session, lookups, exprs["vaccine"], blank)
        classify.known_rows(session, exprs, blank, ledger=False)  # as the run does: nothing landed yet
        classify.classify(session, exprs, blank, fold)
        classify.unusual_names(session)
        assert session.scalar("SELECT count(*) FROM vr_rows WHERE NOT simple") == 0  # all checked in SQL
        classify.sql_errors(session, lookups.today)
        sql = session.fetch("SELECT line, col, val, reason FROM vr_err ORDER BY line, seq")
    finally:
        session.drop()

    python = _python_errors(rows_file, lookups)
    assert len(python) > len(CHANGES) - len(REAL_NAMES)  # the real names pass
    assert sql == python


@pytest.mark.parametrize("name", REAL_NAMES)
def test_a_real_vietnamese_name_passes_the_identity_rules(name):
    assert rules.row_errors((rules.FULL_NAME,), {"name": normalize.normalize_name(name)}) == []


@pytest.mark.parametrize("name", ["=1+1", "<script>", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "An\tB=1",
                                  "Nguyễn Văn 2", "Lan;DROP TABLE"])
def test_formula_text_or_markup_as_a_name_is_refused(name):
    with translation.override("vi"):
        errors = rules.row_errors((rules.FULL_NAME,), {"name": normalize.normalize_name(name)})
    assert [(column, reason) for column, _value, reason in errors] == [
        ("full_name", "Họ tên chỉ được gồm chữ cái, dấu cách, dấu gạch nối, dấu nháy đơn và dấu chấm.")]
