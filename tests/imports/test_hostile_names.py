"""A log whose names are formula text or markup: each such row is an error line naming its
line and the full_name column, and nothing of it is stored; real names land (both paths)."""

from __future__ import annotations

import pytest
from django.db import connection

from records.models import InjectionRecord
from tests.imports.conftest import LINKED_ROW, report_row, write_csv
from verification.imports.pipeline import import_records
from verification.imports.report import read_report
from verification.models import ImportedRow, MatchReview, ReconciliationCase

pytestmark = pytest.mark.django_db

HOSTILE = ["=1+1", "<script>alert(1)</script>", "@SUM(A1)"]
PATHS = [False, pytest.param(True, marks=pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path needs PostgreSQL"))]


@pytest.mark.parametrize("fast", PATHS)
def test_formula_or_markup_names_are_error_lines_and_nothing_of_them_is_stored(tmp_path, registry,
                                                                               hanoi_facility, fast):
    rows = [LINKED_ROW, *(report_row(f"R-H{k}", full_name=name, date_of_birth="1990-05-17", sex="M")
                          for k, name in enumerate(HOSTILE))]
    path = write_csv(tmp_path / "log.csv", rows)
    before = (MatchReview.objects.count(), ReconciliationCase.objects.count())

    result = import_records(path=path, error_report=tmp_path / "errors.csv", facility=hanoi_facility,
                            workers=1, fast=fast)

    assert (result.linked, result.invalid) == (1, 3)
    report = read_report(tmp_path / "errors.csv")
    assert sorted((r["line"], r["column"], r["record_id"]) for r in report) == [
        ("3", "full_name", "R-H0"), ("4", "full_name", "R-H1"), ("5", "full_name", "R-H2")]
    assert all("only letters" in r["reason"] for r in report)
    landed = InjectionRecord.objects.filter(source="imported").values_list("source_record_id", flat=True)
    assert list(landed) == ["R-LINK"]
    assert not ImportedRow.objects.filter(source_record_id__startswith="R-H").exists()
    assert (MatchReview.objects.count(), ReconciliationCase.objects.count()) == before
