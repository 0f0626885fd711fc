"""Opening a CSV or XLSX file, checking its shape, and streaming its rows.

A file that is not a usable table (empty, binary junk, missing columns) raises
`MalformedFile` before anything is written; a row that is merely wrong is the validator's
business. Rows stream: memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from vaxrecon.errors import InvalidInput

REPORT_COLUMNS = ("record_id", "full_name", "date_of_birth", "sex", "id_number", "phone", "province_code",
                  "ward_code", "vaccine", "dose_number", "injection_date", "lot_number")
REGISTRY_COLUMNS = ("citizen_id", "legacy_id", "full_name", "date_of_birth", "sex", "province_code",
                    "ward_code", "phone")

# The Vietnamese column names of the import template, accepted beside the English ones. Fixed
# text, not a translation: a file written from the template must stay readable after a
# catalogue changes.
VIETNAMESE_COLUMNS = {
    "record_id": "Mã bản ghi", "full_name": "Họ và tên", "date_of_birth": "Ngày sinh", "sex": "Giới tính",
    "id_number": "Số CCCD/CMND", "phone": "Số điện thoại", "province_code": "Mã tỉnh",
    "ward_code": "Mã xã/phường", "vaccine": "Vắc xin", "dose_number": "Mũi số",
    "injection_date": "Ngày tiêm", "lot_number": "Số lô",
}
_ENGLISH_NAME = {unicodedata.normalize("NFC", v).lower(): k for k, v in VIETNAMESE_COLUMNS.items()}

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
CSV, XLSX = "csv", "xlsx"
_CHUNK = 1 << 20


class MalformedFile(InvalidInput):
    """The file as a whole cannot be read as the expected table; nothing was imported."""

    code = "malformed_file"


def detect_kind(path: Path | str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise MalformedFile(_("The file is empty."))
    if head.startswith(XLSX_MAGIC):
        return XLSX
    if head.startswith(OLE_MAGIC):
        raise MalformedFile(_("Old Excel (.xls) files are not supported: save the sheet as .xlsx or .csv."))
    return CSV


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _looks_utf16(head: bytes) -> bool:
    """The file's first bytes are UTF-16: a byte-order mark, or ASCII text with a NUL byte
    after (or before) every character."""
    if head.startswith(_UTF16_BOMS):
        return True
    pairs = head[:64]
    if len(pairs) < 4:
        return False
    odd, even = pairs[1::2], pairs[0::2]
    return (odd.count(0) == len(odd) and 0 not in even) or (even.count(0) == len(even) and 0 not in odd)


def _check_chunk(chunk: bytes, decoder, *, first: bool, lines: int) -> None:
    """Raises MalformedFile if `chunk` (the file's text after `lines` newlines) is not UTF-8."""
    if first and _looks_utf16(chunk):
        raise MalformedFile(_("The file is encoded as UTF-16, not UTF-8: save it as CSV UTF-8 or .xlsx."))
    if b"\x00" in chunk:
        raise MalformedFile(_("The file is not a CSV text file (it contains binary data)."))
    try:
        decoder.decode(chunk)
    except UnicodeDecodeError as exc:
        line = lines + chunk[:exc.start].count(b"\n") + 1
        raise MalformedFile(
            _("The file is not UTF-8 text (a bad byte on line %(line)s): save it as CSV UTF-8 or .xlsx.")
            % {"line": line}) from None


def checked_chunks(path: Path | str, size: int = _CHUNK) -> Iterator[bytes]:
    """The file's bytes in chunks of ``size``, each checked as it is read: binary junk, UTF-16
    or another wrong encoding raises MalformedFile (naming the line of a bad byte) before
    anything uses it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        lines, first = 0, True
        while chunk := fh.read(size):
            _check_chunk(chunk, decoder, first=first, lines=lines)
            lines, first = lines + chunk.count(b"\n"), False
            yield chunk
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise MalformedFile(_("The file is not UTF-8 text: it ends in the middle of a character.")) from None


def _check_csv_bytes(path: Path | str) -> None:
    """Binary junk or a wrong encoding shows here, before the first row is read."""
    for _chunk in checked_chunks(path):
        pass


def _column_name(cell) -> str:
    """A header cell as the column it names: the English name, or the template's Vietnamese one."""
    name = unicodedata.normalize("NFC", str(cell or "").strip().lstrip("\ufeff").strip().lower())
    return _ENGLISH_NAME.get(name, name)


def _header(cells, columns: tuple[str, ...]) -> list[str]:
    header = [_column_name(c) for c in cells]
    missing = [c for c in columns if c not in header]
    if missing and any(";" in h for h in header):
        raise MalformedFile(
            _("The file is separated by semicolons (;), not commas: save it as CSV UTF-8 "
              "(comma delimited) or .xlsx."))
    if missing:
        raise MalformedFile(
            _("The file does not have the expected columns. Missing: %(missing)s. Expected: %(expected)s.")
            % {"missing": ", ".join(missing), "expected": ", ".join(columns)})
    return header


def _cell_text(value) -> str:
    """An XLSX cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        midnight = not (value.hour or value.minute or value.second)
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class Table:
    """An opened, checked table: `total` data rows, `rows()` yields (line number, {column: text})."""

    def __init__(self, path: Path | str, columns: tuple[str, ...]):
        self.path = Path(path)
        self.columns = columns
        self.kind = detect_kind(self.path)
        self.total = self._check()

    # -- checking (one streaming pass, nothing kept) -------------------------------------------

    def _check(self) -> int:
        if self.kind == CSV:
            _check_csv_bytes(self.path)
        try:
            count = sum(1 for _row in self._raw_rows())
        except csv.Error as exc:
            raise MalformedFile(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None
        return count  # a header with no data rows is a table of 0 rows, imported as such

    # -- reading ---------------------------------------------------------------------------------

    def _raw_rows(self) -> Iterator[tuple[int, list[str], list[str]]]:
        """(line, header, cells) for each non-blank data row."""
        if self.kind == CSV:
            with open(self.path, newline="", encoding="utf-8-sig") as fh:
                reader = csv.reader(fh)
                first = next(reader, None)
                if first is None:
                    raise MalformedFile(_("The file is empty."))
                header = _header(first, self.columns)
                for cells in reader:
                    if not "".join(cells).strip():  # every cell blank (or only spaces)
                        continue
                    yield reader.line_num, header, cells
            return
        yield from self._xlsx_rows()

    def _xlsx_rows(self):
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise MalformedFile(_("The file is not a readable .xlsx workbook (%(error)s).")
                                % {"error": exc}) from None
        try:
            sheet = book.worksheets[0] if book.worksheets else None
            if sheet is None:
                raise MalformedFile(_("The workbook has no sheet."))
            rows = sheet.iter_rows(values_only=True)
            first = next(rows, None)
            if first is None or not any(c is not None for c in first):
                raise MalformedFile(_("The file is empty."))
            header = _header(first, self.columns)
            for line, values in enumerate(rows, start=2):
                cells = [_cell_text(v) for v in values]
                if not any(cells):
                    continue
                yield line, header, cells
        finally:
            book.close()

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        positions = None
        for line, header, cells in self._raw_rows():
            if positions is None:
                positions = [(name, header.index(name)) for name in self.columns]
            n = len(cells)
            row = {name: (cells[k].strip() if k < n else "") for name, k in positions}
            if n < len(header):
                row["__short__"] = "1"  # fewer cells than the header: reported by the validator
            yield line, row


def open_table(path: Path | str, columns: tuple[str, ...] = REPORT_COLUMNS) -> Table:
    """Check the file and return it ready to stream. Raises MalformedFile."""
    return Table(path, columns)
