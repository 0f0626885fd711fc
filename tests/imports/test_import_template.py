"""The import page offers a template to download (CSV and XLSX) with Vietnamese column names,
English when the page is in English; the importer reads either; a phone like "abc" is an
error with its line and column."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from records.models import InjectionRecord
from tests.conftest import browser_login
from tests.imports.conftest import LINKED_ROW, NONE_ROW, write_csv
from verification.imports.files import REPORT_COLUMNS, VIETNAMESE_COLUMNS
from verification.imports.pipeline import import_records
from verification.imports.report import read_report

VIETNAMESE = ["Mã bản ghi", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD/CMND", "Số điện thoại", "Mã tỉnh",
              "Mã xã/phường", "Vắc xin", "Mũi số", "Ngày tiêm", "Số lô"]


def _filled_from(template_path, rows: list[dict], out_path):
    """The downloaded workbook with `rows` typed under its header, as staff would."""
    book = openpyxl.load_workbook(template_path)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    english = {VIETNAMESE_COLUMNS[c]: c for c in REPORT_COLUMNS}
    for row in rows:
        sheet.append([row[english.get(h, h)] for h in header])
    book.save(out_path)
    return out_path


@pytest.mark.browser
def test_staff_download_the_template_fill_it_in_and_import_it(page, clinic_user, registry, eager_imports,
                                                              tmp_path, settings):
    settings.LANGUAGE_CODE = "vi"
    browser_login(page, "clinic-hn")
    page.goto(page.base_url + "/verification/imports/")
    offer = page.locator("[data-testid=template]")
    assert "Mẫu (Excel .xlsx)" in offer.inner_text() and "Mẫu (CSV)" in offer.inner_text()
    with page.expect_download() as got:
        offer.locator("a", has_text="xlsx").click()
    assert got.value.suggested_filename == "vaxrecon-import-template-vi.xlsx"
    template = tmp_path / "template.xlsx"
    got.value.save_as(template)
    assert [c.value for c in openpyxl.load_workbook(template).active[1]] == VIETNAMESE

    bad_phone = {**NONE_ROW, "record_id": "R-PHONE", "phone": "abc"}
    filled = _filled_from(template, [LINKED_ROW, bad_phone], tmp_path / "nhat-ky.xlsx")
    page.set_input_files("input[type=file]", str(filled))
    with page.expect_navigation():
        page.click("main button.primary")
    assert page.locator('[data-count="linked"]').inner_text() == "1"
    assert page.locator('[data-count="invalid"]').inner_text() == "1"
    assert InjectionRecord.objects.filter(citizen=registry["hung"]).count() == 1

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.goto(page.base_url + "/verification/imports/")
    with page.expect_download() as got:
        page.locator("[data-testid=template] a", has_text="CSV").click()
    assert got.value.suggested_filename == "vaxrecon-import-template.csv"
    english = tmp_path / "template.csv"
    got.value.save_as(english)
    assert next(csv.reader(io.StringIO(english.read_text(encoding="utf-8-sig")))) == list(REPORT_COLUMNS)


@pytest.mark.django_db
def test_the_csv_template_in_vietnamese_is_read_by_the_importer(client, clinic_user, registry, hanoi_facility,
                                                               tmp_path):
    client.force_login(clinic_user)
    response = client.get(reverse("verification:import_template_csv"), HTTP_ACCEPT_LANGUAGE="vi")
    assert response["Content-Type"].startswith("text/csv")
    header = response.content.decode("utf-8-sig").strip()
    assert header == ",".join(VIETNAMESE)
    path = tmp_path / "log.csv"
    path.write_text(header + "\n" + write_csv(tmp_path / "rows.csv", [LINKED_ROW]).read_text(
        encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    result = import_records(path=path, error_report=tmp_path / "errors.csv", facility=hanoi_facility,
                            workers=1)
    assert (result.linked, result.invalid) == (1, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("fast", [False, None])  # the portable path, and PostgreSQL's when it runs there
def test_a_phone_without_digits_is_an_error_with_its_line_and_column(registry, hanoi_facility, tmp_path,
                                                                     fast):
    rows = [LINKED_ROW, {**NONE_ROW, "phone": "abc"}]
    report = tmp_path / "errors.csv"
    result = import_records(path=write_csv(tmp_path / "log.csv", rows), error_report=report,
                            facility=hanoi_facility, workers=1, fast=fast)
    assert (result.linked, result.invalid) == (1, 1)
    [error] = read_report(report)
    assert (error["line"], error["column"], error["value"]) == ("3", "phone", "abc")
    assert "10 digits" in error["reason"]
