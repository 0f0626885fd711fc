"""A small hand-made registry and helpers to write import files (CSV and XLSX)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from records.models import Ward
from tests.factories import CitizenFactory
from tests.faults import private_cluster  # noqa: F401 - a fixture of the restart test
from vaxrecon.celery import app
from verification.imports.files import REPORT_COLUMNS

FAMILIES = ["Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Lan"]


def write_csv(path: Path, rows: list[dict], columns=REPORT_COLUMNS) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def write_xlsx(path: Path, rows: list[dict], columns=REPORT_COLUMNS) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])
    book.save(path)
    return path


def report_row(record_id: str, **values) -> dict:
    row = {"record_id": record_id, "full_name": "", "date_of_birth": "", "sex": "", "id_number": "",
           "phone": "", "province_code": "1", "ward_code": "70", "vaccine": "Pfizer-BioNTech",
           "dose_number": "1", "injection_date": "2021-09-01", "lot_number": "FK1234"}
    row.update(values)
    return row


@pytest.fixture
def registry(reference_data):
    """Eighty citizens of ward 70 with varied names, plus the people the tests look for:
    `hung` (full identity known), and twins `lan_a` / `lan_b` (same name, birth date and ward)."""
    ward = Ward.objects.get(code=70)
    serial = 0
    for family in FAMILIES:
        for given in GIVEN:
            serial += 1
            year = 1950 + serial % 50
            CitizenFactory(full_name=f"{family} Văn {given}",
                           date_of_birth=date(year, serial % 12 + 1, serial % 27 + 1),
                           cccd=f"0010{year % 100:02d}{serial:06d}", phone=f"09120{serial:05d}", ward=ward)
    people = {
        "hung": CitizenFactory(full_name="Nguyễn Văn Hùng", date_of_birth=date(1990, 5, 17),
                               cccd="001090000777", phone="0987654321", ward=ward),
        "lan_a": CitizenFactory(full_name="Ngô Thị Lan", sex="F", date_of_birth=date(1985, 3, 2),
                                cccd="001185000101", phone="0911000101", ward=ward),
        "lan_b": CitizenFactory(full_name="Ngô Thị Lan", sex="F", date_of_birth=date(1985, 3, 2),
                                cccd="001185000102", phone="0911000102", ward=ward),
    }
    return people


LINKED_ROW = report_row("R-LINK", full_name="NGUYEN VAN HUNG", date_of_birth="17/05/1990", sex="M",
                        id_number="001090000777", phone="+84 987 654 321")
REVIEW_ROW = report_row("R-REVIEW", full_name="Ngô Thị Lan", date_of_birth="1985-03-02", sex="F")
NONE_ROW = report_row("R-NONE", full_name="Lò Thị Páo", date_of_birth="2003", sex="F", vaccine="AstraZeneca",
                      injection_date="2021-07-15", lot_number="AZ-77")


@pytest.fixture
def eager_imports(settings, tmp_path):
    """Uploaded files under tmp; the import task runs in-process (the worker tests cover Redis)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the catalogue may translate them to Vietnamese)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
