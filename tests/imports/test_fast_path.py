"""PostgreSQL: the set-based fast path (COPY, SQL validation and linking) and the row-by-row
Python path give the same outcome on the same file: counts, error report, what lands, and
re-imports (either path after the other) add nothing."""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from django.db import connection

from records.models import InjectionRecord
from tests.imports.conftest import LINKED_ROW, NONE_ROW, REVIEW_ROW, report_row, write_csv, write_xlsx
from tests.tampering import around_the_guards
from verification.imports.pg import stage
from verification.imports.pg.stage import scan_csv
from verification.imports.pipeline import check_sql_links, import_records
from verification.imports.report import read_report
from verification.models import ImportedRow, MatchReview, ReconciliationCase

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast path needs PostgreSQL")]

HUNG = dict(full_name="Nguyễn Văn Hùng", date_of_birth="1990-05-17", sex="M", id_number="001090000777")

ROWS = [
    LINKED_ROW,                                                         # SQL rule (CCCD + name + date)
    REVIEW_ROW,                                                         # twins: review
    NONE_ROW,                                                           # nobody: a case
    {**NONE_ROW, "record_id": "R-NONE-NOSEX", "sex": ""},               # nobody, no sex: reported
    report_row("R-HUNG-NFD", **{**HUNG, "full_name": "Nguye\u0302\u0303n  Va\u0306n\u00a0Hu\u0300ng"}),
    report_row("R-HUNG-TAB", **{**HUNG, "full_name": "NGUYỄN\tVĂN HÙNG", "sex": "nam"}),
    report_row("R-HUNG-11", **{**HUNG, "id_number": "1090000777", "phone": "0084987654321"}),
    report_row("R-HUNG-YEAR", **{**HUNG, "date_of_birth": "1990"}),     # year only: the engine decides
    report_row("R-HUNG-WIDE", **{**HUNG, "dose_number": "\uff12"}),     # full-width digit: Python validates
    report_row("R-HUNG-ETH", **{**HUNG, "full_name": "Nguyễn Văn Hùng Ðức"}),
    report_row("R-DUP", **HUNG, vaccine="pfizer"),
    report_row("R-DUP", **HUNG, vaccine="pfizer"),                      # same row twice: skipped once
    report_row("R-WARDONLY", **HUNG, province_code="", injection_date="02/10/2021"),
    # invalid rows, one or more problems each
    report_row("", **HUNG),
    report_row("R" * 70, **HUNG),
    report_row("R-LONGNAME", **{**HUNG, "full_name": "nguyễn " * 30}),
    report_row("R-SEX", **{**HUNG, "sex": "X"}),
    report_row("R-NU", **{**HUNG, "sex": "NỮ", "date_of_birth": "31/02/1990"}),
    report_row("R-DOB", **{**HUNG, "date_of_birth": "1850"}),
    report_row("R-DOB2", **{**HUNG, "date_of_birth": "1899-12-31"}),
    report_row("R-DOB3", **{**HUNG, "date_of_birth": "29.02.2000", "phone": "12345"}),
    report_row("R-ID", **{**HUNG, "id_number": "12345"}),
    report_row("R-PROV", **HUNG, province_code="999"),
    report_row("R-WARD", **HUNG, ward_code="0"),
    report_row("R-WARD2", **HUNG, province_code="79"),
    report_row("R-VAC", **HUNG, vaccine=""),
    report_row("R-VAC2", **HUNG, vaccine="Vodka"),
    report_row("R-DOSE", **HUNG, dose_number="0"),
    report_row("R-DOSE2", **HUNG, dose_number="abc"),
    report_row("R-INJ", **HUNG, injection_date=""),
    report_row("R-INJ2", **HUNG, injection_date="2021"),
    report_row("R-INJ3", **HUNG, injection_date="2099-01-01"),
    report_row("R-INJ4", **HUNG, injection_date="07/03/2021"),
    report_row("R-LOT", **HUNG, lot_number="-bad lot"),
    report_row("R-WIDE2", **{**HUNG, "ward_code": "\uff17\uff10", "injection_date": "\uff12021-09-01"}),
]


def _outcome(result, report):
    counts = (result.total, result.processed, result.linked, result.review, result.unmatched, result.invalid,
              result.skipped)
    problems = sorted((r["line"], r["record_id"], r["column"], r["value"], r["reason"])
                      for r in read_report(report))
    landed = {
        "injections": sorted(InjectionRecord.objects.filter(source="imported").values_list(
            "source_record_id", "citizen_id", "vaccine_id", "dose_number", "injection_date", "lot_number",
            "facility_id")),
        "reviews": sorted((r.source_record_id, tuple(sorted(c["citizen_id"] for c in r.candidates)),
                           tuple(sorted(r.record.items()))) for r in MatchReview.objects.all()),
        "cases": sorted(ReconciliationCase.objects.values_list(
            "full_name", "name_key", "date_of_birth", "birth_year", "dob_precision", "sex", "id_number",
            "phone", "ward_id", "claimed_doses__vaccine_id", "claimed_doses__dose_number",
            "claimed_doses__lot_number")),
        "ledger": sorted(ImportedRow.objects.values_list("source_record_id", "content_hash", "outcome")),
    }
    return counts, problems, landed


def _clear():
    InjectionRecord.objects.filter(source="imported").delete()
    MatchReview.objects.all().delete()
    with around_the_guards():  # the cases' timelines are append-only in the database
        ReconciliationCase.objects.all().delete()
    ImportedRow.objects.all().delete()


def _both_paths(tmp_path, path, facility):
    outcomes = {}
    for fast in (False, True):
        _clear()
        report = tmp_path / f"errors-{fast}.csv"
        result = import_records(path=path, error_report=report, facility=facility, workers=1, fast=fast)
        outcomes[fast] = _outcome(result, report)
    return outcomes


@pytest.mark.parametrize("kind", ["csv-with-short-row", "csv", "xlsx"])
def test_fast_and_python_paths_give_the_same_outcome(tmp_path, registry, hanoi_facility, kind):
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "log.xlsx", ROWS)
    else:
        path = write_csv(tmp_path / "log.csv", ROWS)
        if kind == "csv-with-short-row":
            with open(path, "a", newline="", encoding="utf-8") as fh:
                fh.write("R-SHORT,Nguyễn Văn Hùng,1990-05-17\n\n   ,  ,\n")
    outcomes = _both_paths(tmp_path, path, hanoi_facility)

    python, fast = outcomes[False], outcomes[True]
    assert fast[0] == python[0]
    assert fast[1] == python[1]
    for key in python[2]:
        assert Counter(fast[2][key]) == Counter(python[2][key]), key
    counts = fast[0]
    assert counts[2:5] == (9, 2, 1)  # linked, review, cases
    assert counts[6] == 1            # the repeated row
    columns = {"(row)", "record_id", "full_name", "sex", "date_of_birth", "phone", "id_number",
               "province_code", "ward_code", "vaccine", "dose_number", "injection_date", "lot_number"}
    assert {p[2] for p in fast[1]} >= columns - ({"(row)"} if kind != "csv-with-short-row" else set())


@pytest.mark.parametrize("first_fast", [True, False])
def test_re_import_with_either_path_adds_nothing(tmp_path, registry, hanoi_facility, first_fast):
    path = write_csv(tmp_path / "log.csv", ROWS)
    first = import_records(path=path, error_report=tmp_path / "e1.csv", facility=hanoi_facility, workers=1,
                           fast=first_fast)
    before = _outcome(first, tmp_path / "e1.csv")[2]
    for fast in (True, False):
        again = import_records(path=path, error_report=tmp_path / "e2.csv", facility=hanoi_facility,
                               workers=1, fast=fast)
        assert (again.linked, again.review, again.unmatched) == (0, 0, 0)
        assert again.skipped == first.linked + first.review + first.unmatched + first.skipped
        assert again.invalid == first.invalid
        assert _outcome(again, tmp_path / "e2.csv")[2] == before


def test_a_plain_csv_goes_to_copy_as_it_is_and_a_tricky_one_does_not(tmp_path):
    plain = write_csv(tmp_path / "plain.csv", [LINKED_ROW, {**REVIEW_ROW, "full_name": 'Ngô "Lan", Thị'}])
    assert scan_csv(plain) == 3
    tricky = tmp_path / "tricky.csv"
    tricky.write_text(plain.read_text(encoding="utf-8") + 'R-X,Ab"c,1990\n', encoding="utf-8")
    assert scan_csv(tricky) is None
    multiline = write_csv(tmp_path / "multi.csv", [{**LINKED_ROW, "full_name": "Nguyen\nVan Hung"}])
    assert scan_csv(multiline) is None
    with open(multiline, newline="", encoding="utf-8") as fh:
        assert len(list(csv.reader(fh))) == 2


def test_a_crlf_split_across_the_scans_read_chunks_still_goes_to_copy(tmp_path):
    header = b"a,b\r\n"
    filler = b"x" * ((1 << 22) - 1 - len(header))  # its line's \r is the last byte of the first 4 MiB chunk
    path = tmp_path / "crlf.csv"
    path.write_bytes(header + filler + b"\r\n" + b"y,z\r\n")
    assert scan_csv(path) == 3


def test_the_fast_path_links_in_sql_only_what_the_engine_links(tmp_path, registry, hanoi_facility):
    path = write_csv(tmp_path / "log.csv", ROWS)
    out = check_sql_links(path=path, sample=100, workers=1)
    assert out["sql_linked"] >= 3
    assert out["checked"] == out["sql_linked"] == out["engine_linked_same"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_two_connections_share_the_costly_statements_with_the_same_outcome(
        tmp_path, registry, hanoi_facility, monkeypatch):
    monkeypatch.setattr(stage, "PARALLEL_MIN_ROWS", 1)  # split even this small file in two halves
    sides = []
    side = stage.Session._on_side_connection
    monkeypatch.setattr(stage.Session, "_on_side_connection",
                        lambda self, sql, params: (sides.append(params["part_lo"]), side(self, sql, params)))
    path = write_csv(tmp_path / "log.csv", ROWS)

    outcomes = _both_paths(tmp_path, path, hanoi_facility)

    assert len(sides) == 3  # cleaning, error lines and the link rule each had a second connection
    python, fast = outcomes[False], outcomes[True]
    assert fast[0] == python[0] and fast[1] == python[1]
    for key in python[2]:
        assert Counter(fast[2][key]) == Counter(python[2][key]), key
    with connection.cursor() as cur:  # the run's schema is gone
        cur.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'vr_import_%%'")
        assert cur.fetchone()[0] == 0


def test_the_engine_in_its_own_two_processes_gives_the_same_outcome(tmp_path, registry, hanoi_facility):
    path = write_csv(tmp_path / "log.csv", ROWS)
    _clear()
    one = import_records(path=path, error_report=tmp_path / "e1.csv", facility=hanoi_facility, workers=1,
                         fast=True,
                         batch_size=3)
    expected = _outcome(one, tmp_path / "e1.csv")
    _clear()

    two = import_records(path=path, error_report=tmp_path / "e2.csv", facility=hanoi_facility, workers=2,
                         fast=True,
                         batch_size=3)  # several batches in flight in the pool

    got = _outcome(two, tmp_path / "e2.csv")
    assert got[0] == expected[0] and got[1] == expected[1]
    for key in expected[2]:
        assert Counter(got[2][key]) == Counter(expected[2][key]), key


def test_a_schema_left_by_a_killed_run_is_dropped_by_the_next_one(tmp_path, registry, hanoi_facility):
    with connection.cursor() as cur:
        cur.execute("SELECT max(pid) + 100000 FROM pg_stat_activity")
        dead = cur.fetchone()[0]
        cur.execute(f"CREATE SCHEMA vr_import_{dead}_0badf00d")
        cur.execute(f"CREATE UNLOGGED TABLE vr_import_{dead}_0badf00d.vr_raw (line int)")

    import_records(path=write_csv(tmp_path / "log.csv", [LINKED_ROW]), error_report=tmp_path / "e.csv",
                   facility=hanoi_facility, workers=1, fast=True)

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'vr_import_%%'")
        assert cur.fetchone()[0] == 0
