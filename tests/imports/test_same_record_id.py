"""A clinic's log holds the same record id twice: with other content it is an error line
naming both lines (nothing of the later row lands), the same row twice is a silent repeat;
on the PostgreSQL fast path and the portable path alike."""

from __future__ import annotations

import pytest
from django.db import connection

from records.models import InjectionRecord
from tests.imports.conftest import LINKED_ROW, NONE_ROW, write_csv
from verification.imports.pipeline import import_records
from verification.imports.report import read_report
from verification.models import ImportedRow, MatchReview, ReconciliationCase

pytestmark = pytest.mark.django_db

PATHS = [False, pytest.param(True, marks=pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path needs PostgreSQL"))]


def _import(tmp_path, rows, facility, fast):
    path = write_csv(tmp_path / "log.csv", rows)
    result = import_records(path=path, error_report=tmp_path / "errors.csv", facility=facility, workers=1,
                            fast=fast)
    return result, read_report(tmp_path / "errors.csv")


@pytest.mark.parametrize("fast", PATHS)
def test_the_same_record_id_with_other_content_is_an_error_naming_both_lines(tmp_path, registry,
                                                                            hanoi_facility, fast):
    other = {**LINKED_ROW, "dose_number": "2", "injection_date": "2021-10-15"}
    before = (MatchReview.objects.count(), ReconciliationCase.objects.count())

    result, report = _import(tmp_path, [LINKED_ROW, NONE_ROW, other], hanoi_facility, fast)

    assert (result.total, result.linked, result.unmatched, result.invalid, result.skipped) == (3, 1, 1, 1, 0)
    assert [(r["line"], r["record_id"], r["column"], r["value"]) for r in report] == [
        ("4", "R-LINK", "record_id", "R-LINK")]
    assert "line 2" in report[0]["reason"]
    doses = InjectionRecord.objects.filter(source="imported", source_record_id="R-LINK")
    assert list(doses.values_list("dose_number", flat=True)) == [1]
    assert ImportedRow.objects.filter(source_record_id="R-LINK").count() == 1
    assert (MatchReview.objects.count(), ReconciliationCase.objects.count()) == (before[0], before[1] + 1)


@pytest.mark.parametrize("fast", PATHS)
def test_the_same_row_twice_stays_a_silent_repeat(tmp_path, registry, hanoi_facility, fast):
    result, report = _import(tmp_path, [LINKED_ROW, LINKED_ROW], hanoi_facility, fast)

    assert (result.total, result.linked, result.invalid, result.skipped) == (2, 1, 0, 1)
    assert report == []


@pytest.mark.parametrize("fast", PATHS)
def test_a_row_already_imported_still_counts_for_a_later_row_with_its_id_and_other_content(
        tmp_path, registry, hanoi_facility, fast):
    _import(tmp_path, [LINKED_ROW, NONE_ROW], hanoi_facility, fast)
    other = {**LINKED_ROW, "dose_number": "2", "injection_date": "2021-10-15"}

    result, report = _import(tmp_path, [LINKED_ROW, NONE_ROW, other], hanoi_facility, fast)

    assert (result.total, result.linked, result.unmatched, result.invalid, result.skipped) == (3, 0, 0, 1, 2)
    assert [(r["line"], r["record_id"], r["column"]) for r in report] == [("4", "R-LINK", "record_id")]
    assert "line 2" in report[0]["reason"]


@pytest.mark.parametrize("fast", PATHS)
def test_a_row_already_imported_after_a_row_with_its_id_and_other_content_is_the_error(
        tmp_path, registry, hanoi_facility, fast):
    _import(tmp_path, [LINKED_ROW], hanoi_facility, fast)
    other = {**LINKED_ROW, "dose_number": "2", "injection_date": "2021-10-15"}

    result, report = _import(tmp_path, [other, LINKED_ROW], hanoi_facility, fast)

    assert (result.total, result.linked, result.invalid, result.skipped) == (2, 1, 1, 0)
    assert [(r["line"], r["record_id"], r["column"]) for r in report] == [("3", "R-LINK", "record_id")]
    assert "line 2" in report[0]["reason"]
    doses = InjectionRecord.objects.filter(source="imported", source_record_id="R-LINK")
    assert sorted(doses.values_list("dose_number", flat=True)) == [1, 2]
