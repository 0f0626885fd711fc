"""The one writer for every file the product writes for a spreadsheet (CSV and XLSX).

Excel and LibreOffice run a text cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
through some import paths, a tab or carriage return) as a formula: ``=HYPERLINK(...)`` or
``+cmd|' /C calc'!A0`` in a citizen's name would act on the officer's machine. As OWASP
recommends, such text is written with a leading single quote, so it shows as text. Numbers
stay numbers (a negative number is not text and is not touched).

Exports and the police report write through `csv_lines` (streamed), `csv_response` or
`xlsx_file` (all built on `safe_cell`). The import error report (both import paths) and
the `match_records` file write to their open file through `csv_writer`.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so Excel reads UTF-8 (Vietnamese names) instead of the local code page
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_048_576  # the sheet's row limit, header included
LINES_PER_CHUNK = 500  # CSV lines per piece of a streamed response


def safe_cell(value):
    """`value` as a spreadsheet may receive it: text a spreadsheet would run as a formula
    gets a leading single quote; every other value is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable) -> list:
    return [safe_cell(v) for v in row]


class _SafeWriter:
    """csv.writer over an open text file, every cell made safe first."""

    def __init__(self, fh):
        self._writer = csv.writer(fh)

    def writerow(self, row: Iterable):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        self._writer.writerows(safe_row(r) for r in rows)


def csv_writer(fh) -> _SafeWriter:
    """A csv.writer for `fh` (opened with ``newline=""``) that writes every cell through
    `safe_cell`: for files written row by row to disk (import error reports, match output)."""
    return _SafeWriter(fh)


class _Line:
    """A file-like sink for csv.writer: `write` hands back what it was given."""

    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[Sequence], *, bom: bool = True) -> Iterator[bytes]:
    """UTF-8 CSV (with a BOM for Excel) of `rows`, cells made safe, in pieces of a few
    hundred lines: memory stays flat however many rows the iterable yields."""
    writer = csv.writer(_Line())
    buffer: list[str] = [BOM] if bom else []
    for row in rows:
        buffer.append(writer.writerow(safe_row(row)))
        if len(buffer) >= LINES_PER_CHUNK:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")


def attachment(response, filename: str):
    """Mark `response` as a download named `filename` (ASCII; the caller builds it)."""
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(rows: Iterable[Sequence], *, filename: str) -> HttpResponse:
    """A CSV download of `rows` (the first row being the header), built whole: for reports
    already held in memory."""
    return attachment(HttpResponse(b"".join(csv_lines(rows)), content_type=CSV_TYPE), filename)


def _xlsx_cell(value):
    value = safe_cell(value)
    if isinstance(value, str):
        # Control characters other than tab, CR and LF are not allowed in the XML of a sheet.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def xlsx_file(rows: Iterable[Sequence], *, title: str = "Sheet1"):
    """A temporary file holding an XLSX workbook of one sheet with `rows`, cells made safe,
    positioned at its start. The workbook is write-only: rows go to disk as they come."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    out = tempfile.TemporaryFile()  # noqa: SIM115 - returned open: the caller streams and closes it
    workbook.save(out)
    out.seek(0)
    return out
