"""An officer opens the import error report or the match_records file in Excel: a cell sent
as formula text (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``) comes back as text, with a
leading quote, on both import paths; nothing from those rows is stored."""

from __future__ import annotations

import csv

import pytest
from django.core.management import call_command
from django.db import connection

from records.models import InjectionRecord
from tests.imports.conftest import LINKED_ROW, report_row, write_csv
from verification.imports.pipeline import import_records
from verification.imports.report import read_report
from verification.models import ImportedRow, MatchReview, ReconciliationCase

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://x")'
CALC = "+cmd|' /C calc'!A0"
HUNG = dict(full_name="Nguyễn Văn Hùng", date_of_birth="1990-05-17", sex="M", id_number="001090000777")
PATHS = [False, pytest.param(True, marks=pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path needs PostgreSQL"))]


def _stored():
    return (InjectionRecord.objects.count(), MatchReview.objects.count(), ReconciliationCase.objects.count(),
            ImportedRow.objects.count())


@pytest.mark.parametrize("fast", PATHS)
def test_formula_text_in_a_log_comes_back_quoted_in_the_error_report(tmp_path, registry, hanoi_facility,
                                                                     fast):
    path = write_csv(tmp_path / "log.csv", [report_row("R-LOT", **HUNG, lot_number=LINK),
                                            report_row("R-DOSE", **HUNG, dose_number=CALC)])
    before = _stored()

    result = import_records(path=path, error_report=tmp_path / "errors.csv", facility=hanoi_facility,
                            workers=1, fast=fast)

    assert (result.invalid, result.linked, result.review, result.unmatched) == (2, 0, 0, 0)
    problems = {(r["line"], r["column"]): r["value"] for r in read_report(tmp_path / "errors.csv")}
    assert problems[("2", "lot_number")] == "'" + LINK
    assert problems[("3", "dose_number")] == "'" + CALC
    raw = (tmp_path / "errors.csv").read_text(encoding="utf-8-sig")
    assert ",=" not in raw and ",+" not in raw
    assert _stored() == before


def test_formula_text_in_a_record_id_comes_back_quoted_in_the_match_file(tmp_path, registry):
    source = write_csv(tmp_path / "reports.csv", [{**LINKED_ROW, "record_id": LINK},
                                                  {**LINKED_ROW, "record_id": CALC},
                                                  {**LINKED_ROW, "record_id": "-"}])
    before = _stored()

    call_command("match_records", str(source), "--output", str(tmp_path / "m.csv"), "--workers", "1")

    with open(tmp_path / "m.csv", newline="", encoding="utf-8") as fh:
        ids = [r["record_id"] for r in csv.DictReader(fh)]
    assert ids == ["'" + LINK, "'" + CALC, "'-"]
    assert _stored() == before
