"""import_citizens: registry rows become citizens once; bad rows are reported."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from records.models import Citizen
from tests.imports.conftest import write_csv
from verification.imports.citizens import import_citizens
from verification.imports.files import REGISTRY_COLUMNS
from verification.imports.report import read_report

pytestmark = pytest.mark.django_db

ROWS = [
    {"citizen_id": "001090000777", "legacy_id": "012345678", "full_name": "NGUYỄN  VĂN HÙNG",
     "date_of_birth": "1990-05-17", "sex": "M", "province_code": "1", "ward_code": "70",
     "phone": "+84987654321"},
    {"citizen_id": "001185000101", "legacy_id": "", "full_name": "Ngô Thị Lan", "date_of_birth": "1985",
     "sex": "F", "province_code": "1", "ward_code": "70", "phone": ""},
    {"citizen_id": "001090000999", "legacy_id": "12", "full_name": "Lê Văn Sai",
     "date_of_birth": "1990-01-01",
     "sex": "M", "province_code": "1", "ward_code": "70", "phone": ""},
]


def test_it_adds_citizens_normalised_and_reports_bad_rows(tmp_path, reference_data):
    path = write_csv(tmp_path / "registry.csv", ROWS, columns=REGISTRY_COLUMNS)

    call_command("import_citizens", str(path), "--errors", str(tmp_path / "errors.csv"))

    hung = Citizen.objects.get(cccd="001090000777")
    assert (hung.full_name, hung.name_key, hung.cmnd, hung.phone, hung.ward_id) == (
        "Nguyễn Văn Hùng", "nguyen van hung", "012345678", "0987654321", 70)
    lan = Citizen.objects.get(cccd="001185000101")
    assert (lan.date_of_birth, lan.birth_year, lan.dob_precision) == (None, 1985, "year")
    problems = {(r["line"], r["column"]) for r in read_report(tmp_path / "errors.csv")}
    assert problems == {("4", "legacy_id")}
    assert Citizen.objects.count() == 2


def test_running_it_twice_adds_nothing(tmp_path, reference_data):
    path = write_csv(tmp_path / "registry.csv", ROWS[:2], columns=REGISTRY_COLUMNS)
    call_command("import_citizens", str(path))
    call_command("import_citizens", str(path))

    assert Citizen.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the writer thread is PostgreSQL's")
def test_outside_a_transaction_the_batches_land_from_writer_threads_and_the_first_of_a_cccd_wins(
        tmp_path, reference_data, monkeypatch):
    monkeypatch.setattr("verification.imports.citizens.BATCH", 2)  # five batches for the writer threads
    rows = [{**ROWS[1], "citizen_id": f"0011850002{k:02d}", "full_name": f"Ngô Thị Lan {chr(65 + k)}"}
            for k in range(9)]
    rows.insert(5, {**rows[1], "full_name": "Ngô Thị Lặp"})  # the same CCCD in a later batch: the first wins
    path = write_csv(tmp_path / "registry.csv", rows, columns=REGISTRY_COLUMNS)

    result = import_citizens(path=path, error_report=tmp_path / "errors.csv")

    assert (result.total, result.added, result.existing, result.invalid) == (10, 9, 1, 0)
    assert Citizen.objects.get(cccd="001185000201").full_name == "Ngô Thị Lan B"
    assert Citizen.objects.count() == 9
    assert connection.in_atomic_block is False
