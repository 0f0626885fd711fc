"""import_records: what lands for each decision, the error report, re-imports, XLSX."""

from __future__ import annotations

from datetime import datetime

import pytest

from records.models import AuditEvent, InjectionRecord
from tests.imports.conftest import LINKED_ROW, NONE_ROW, REVIEW_ROW, report_row, write_csv, write_xlsx
from verification.imports.linking import build_matcher
from verification.imports.pipeline import import_records
from verification.imports.report import read_report
from verification.models import ImportedRow, MatchReview, ReconciliationCase

pytestmark = pytest.mark.django_db


def run(tmp_path, path, facility=None, actor=None):
    return import_records(path=path, error_report=tmp_path / "errors.csv", facility=facility, actor=actor,
                          workers=1)


def test_a_linked_row_becomes_an_imported_injection_record_of_that_citizen(tmp_path, registry,
                                                                           hanoi_facility):
    result = run(tmp_path, write_csv(tmp_path / "log.csv", [LINKED_ROW]), facility=hanoi_facility)

    assert (result.linked, result.review, result.unmatched, result.invalid) == (1, 0, 0, 0)
    record = InjectionRecord.objects.get(source_record_id="R-LINK")
    assert record.citizen == registry["hung"]
    assert record.source == InjectionRecord.Source.IMPORTED
    assert record.facility == hanoi_facility
    assert record.vaccine.code == "pfizer" and str(record.injection_date) == "2021-09-01"


def test_an_ambiguous_row_becomes_a_review_with_candidates_and_reasons(tmp_path, registry, hanoi_facility):
    result = run(tmp_path, write_csv(tmp_path / "log.csv", [REVIEW_ROW]), facility=hanoi_facility)

    assert result.review == 1
    review = MatchReview.objects.get(source_record_id="R-REVIEW")
    assert review.facility == hanoi_facility and review.status == MatchReview.Status.OPEN
    assert {c["citizen_id"] for c in review.candidates} >= {registry["lan_a"].pk, registry["lan_b"].pk}
    assert all(c["reasons"] and "field" in c["reasons"][0] for c in review.candidates)
    assert review.record["full_name"] == "Ngô Thị Lan"
    assert not InjectionRecord.objects.filter(source_record_id="R-REVIEW").exists()


def test_an_unmatched_row_becomes_a_bulk_import_case_for_the_clinic(tmp_path, registry, hanoi_facility):
    result = run(tmp_path, write_csv(tmp_path / "log.csv", [NONE_ROW]), facility=hanoi_facility)

    assert result.unmatched == 1
    case = ReconciliationCase.objects.get(full_name="Lò Thị Páo")
    assert case.origin == ReconciliationCase.Origin.BULK_IMPORT
    assert case.facility == hanoi_facility and case.ward_id == 70 and case.birth_year == 2003
    dose = case.claimed_doses.get()
    assert dose.vaccine.code == "astrazeneca" and dose.lot_number == "AZ-77"
    assert case.events.filter(transition="import").exists()


def test_the_error_report_names_line_column_and_reason(tmp_path, registry):
    rows = [LINKED_ROW,
            report_row("R-BAD1", full_name="Trần Thị Mơ", date_of_birth="31/02/1990", sex="F",
                       vaccine="Vodka"),
            report_row("R-BAD2", full_name="", dose_number="12", injection_date="2030-01-01",
                       ward_code="99999")]
    result = run(tmp_path, write_csv(tmp_path / "log.csv", rows))

    assert result.invalid == 2 and result.linked == 1
    problems = {(r["line"], r["record_id"], r["column"]): r["reason"]
                for r in read_report(tmp_path / "errors.csv")}
    assert set(problems) == {("3", "R-BAD1", "date_of_birth"), ("3", "R-BAD1", "vaccine"),
                             ("4", "R-BAD2", "full_name"), ("4", "R-BAD2", "dose_number"),
                             ("4", "R-BAD2", "injection_date"), ("4", "R-BAD2", "ward_code")}
    assert problems[("3", "R-BAD1", "vaccine")] == "Unknown vaccine."
    assert "future" in problems[("4", "R-BAD2", "injection_date")]


def test_re_importing_the_same_file_adds_nothing(tmp_path, registry, hanoi_facility):
    path = write_csv(tmp_path / "log.csv", [LINKED_ROW, REVIEW_ROW, NONE_ROW])
    first = run(tmp_path, path, facility=hanoi_facility)
    counts = (InjectionRecord.objects.count(), MatchReview.objects.count(),
              ReconciliationCase.objects.count(),
              ImportedRow.objects.count())

    second = run(tmp_path, path, facility=hanoi_facility)

    assert (first.linked, first.review, first.unmatched) == (1, 1, 1)
    assert (second.linked, second.review, second.unmatched, second.skipped) == (0, 0, 0, 3)
    assert (InjectionRecord.objects.count(), MatchReview.objects.count(), ReconciliationCase.objects.count(),
            ImportedRow.objects.count()) == counts


def test_a_corrected_row_with_the_same_record_id_lands_again(tmp_path, registry):
    run(tmp_path, write_csv(tmp_path / "a.csv", [LINKED_ROW]))
    result = run(tmp_path, write_csv(tmp_path / "b.csv", [{**LINKED_ROW, "dose_number": "2"}]))

    assert result.linked == 1
    assert sorted(InjectionRecord.objects.values_list("dose_number", flat=True)) == [1, 2]


def test_the_same_row_twice_in_one_file_lands_once(tmp_path, registry):
    result = run(tmp_path, write_csv(tmp_path / "log.csv", [LINKED_ROW, LINKED_ROW]))

    assert (result.linked, result.skipped) == (1, 1)


def test_an_xlsx_log_imports_like_a_csv_even_with_numbers_and_dates_as_cells(tmp_path, registry):
    row = {**LINKED_ROW, "id_number": 1090000777, "phone": 987654321, "dose_number": 1,
           "injection_date": datetime(2021, 9, 1), "ward_code": 70, "province_code": 1}
    result = run(tmp_path, write_xlsx(tmp_path / "log.xlsx", [row, REVIEW_ROW]))

    assert (result.linked, result.review, result.invalid) == (1, 1, 0)
    assert InjectionRecord.objects.get(source_record_id="R-LINK").citizen == registry["hung"]


def test_an_unmatched_row_without_sex_is_reported_not_landed(tmp_path, registry, hanoi_facility):
    result = run(tmp_path, write_csv(tmp_path / "log.csv", [{**NONE_ROW, "sex": ""}]),
                 facility=hanoi_facility)

    assert (result.unmatched, result.invalid) == (0, 1)
    assert [r["column"] for r in read_report(tmp_path / "errors.csv")] == ["sex"]
    assert not ReconciliationCase.objects.exists() and not InjectionRecord.objects.exists()
    assert list(ImportedRow.objects.values_list("source_record_id", "outcome")) == [("R-NONE", "incomplete")]


class CountingMatcher:
    """The real matcher, counting the records it is asked about."""

    def __init__(self):
        self.inner = build_matcher(workers=1)
        self.asked = 0

    def match(self, records):
        self.asked += len(records)
        return self.inner.match(records)


@pytest.mark.parametrize("fast", [None, False])
def test_re_importing_an_incomplete_unmatched_row_repeats_its_error_without_matching(
        tmp_path, registry, hanoi_facility, fast):
    path = write_csv(tmp_path / "log.csv", [LINKED_ROW, {**NONE_ROW, "sex": ""}])
    import_records(path=path, error_report=tmp_path / "e1.csv", facility=hanoi_facility, workers=1, fast=fast)
    ledger = sorted(ImportedRow.objects.values_list("source_record_id", "content_hash", "outcome"))
    matcher = CountingMatcher()

    again = import_records(path=path, error_report=tmp_path / "e2.csv", facility=hanoi_facility, fast=fast,
                           matcher=matcher)

    assert matcher.asked == 0
    assert (again.linked, again.unmatched, again.invalid, again.skipped) == (0, 0, 1, 1)
    assert read_report(tmp_path / "e2.csv") == read_report(tmp_path / "e1.csv")
    assert sorted(ImportedRow.objects.values_list("source_record_id", "content_hash", "outcome")) == ledger
    assert not ReconciliationCase.objects.exists()

    # Completed (the sex added), the row is new content: it is matched and becomes a case.
    fixed = import_records(path=write_csv(tmp_path / "fixed.csv", [NONE_ROW]),
                           error_report=tmp_path / "e3.csv",
                           facility=hanoi_facility, workers=1, fast=fast)
    assert (fixed.unmatched, fixed.invalid) == (1, 0)
    assert ReconciliationCase.objects.get().full_name == "Lò Thị Páo"


def test_each_landed_batch_leaves_an_audit_event(tmp_path, registry, clinic_user, hanoi_facility):
    run(tmp_path, write_csv(tmp_path / "log.csv", [LINKED_ROW, NONE_ROW]), facility=hanoi_facility,
        actor=clinic_user)

    # One event per landed batch (on PostgreSQL the rows linked in SQL form their own batch).
    events = list(AuditEvent.objects.filter(action="import.batch"))
    assert events and all(e.actor == clinic_user for e in events)
    assert sum(e.after["linked"] for e in events) == 1 and sum(e.after["none"] for e in events) == 1


@pytest.mark.parametrize("fast", [None, False])
def test_a_row_that_lacked_only_the_commune_lands_when_imported_for_a_facility(
        tmp_path, registry, hanoi_facility, fast):
    path = write_csv(tmp_path / "log.csv", [{**NONE_ROW, "province_code": "", "ward_code": ""}])
    first = import_records(path=path, error_report=tmp_path / "e1.csv", workers=1, fast=fast)  # no facility
    assert (first.unmatched, first.invalid) == (0, 1)
    assert [r["column"] for r in read_report(tmp_path / "e1.csv")] == ["ward_code"]

    again = import_records(path=path, error_report=tmp_path / "e2.csv", facility=hanoi_facility, workers=1,
                           fast=fast)

    assert (again.unmatched, again.invalid, again.skipped) == (1, 0, 0)
    case = ReconciliationCase.objects.get()
    assert case.ward_id == hanoi_facility.ward_id
    assert list(ImportedRow.objects.values_list("outcome", flat=True)) == ["none"]
