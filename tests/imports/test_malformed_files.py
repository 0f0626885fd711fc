"""A file that is not a log (wrong columns, binary junk, empty) is refused whole."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from records.models import Citizen, InjectionRecord
from tests.imports.conftest import LINKED_ROW, write_csv
from verification.imports.files import REGISTRY_COLUMNS
from verification.imports.report import read_report
from verification.models import ImportedRow, MatchReview, ReconciliationCase

pytestmark = pytest.mark.django_db


def snapshot():
    return (Citizen.objects.count(), InjectionRecord.objects.count(), MatchReview.objects.count(),
            ReconciliationCase.objects.count(), ImportedRow.objects.count())


def import_fails(path, python_path: bool = False) -> str:
    with pytest.raises(CommandError) as exc:
        call_command("import_records", str(path), "--workers", "1", *(["--python-path"] * python_path))
    return str(exc.value)


def test_wrong_columns_are_refused_naming_the_missing_ones(tmp_path, registry):
    before = snapshot()
    path = write_csv(tmp_path / "log.csv", [LINKED_ROW], columns=("record_id", "name", "dob", "vaccine"))

    message = import_fails(path)

    assert "Missing: full_name, date_of_birth" in message
    assert snapshot() == before


def test_binary_junk_is_refused(tmp_path, registry):
    before = snapshot()
    path = tmp_path / "log.csv"
    path.write_bytes(b"record_id,full_name\n" + bytes(range(256)) * 20)

    message = import_fails(path)

    assert "binary" in message
    assert snapshot() == before


def test_a_valid_header_followed_by_junk_changes_nothing(tmp_path, registry):
    before = snapshot()
    path = write_csv(tmp_path / "log.csv", [LINKED_ROW] * 3)
    path.write_bytes(path.read_bytes() + b"\xff\xfe\x00junk\n")

    assert "binary" in import_fails(path)
    assert snapshot() == before


def test_an_empty_file_is_refused(tmp_path, registry):
    before = snapshot()
    (tmp_path / "log.csv").write_bytes(b"")

    assert "empty" in import_fails(tmp_path / "log.csv")
    assert snapshot() == before


@pytest.mark.parametrize("python_path", [True, False])
def test_a_header_without_rows_is_a_clean_import_of_0_rows(tmp_path, registry, python_path):
    before = snapshot()
    path = write_csv(tmp_path / "log.csv", [])
    out = StringIO()

    call_command("import_records", str(path), "--workers", "1", *(["--python-path"] * python_path),
                 stdout=out)

    assert "0 rows" in out.getvalue()
    assert read_report(tmp_path / "log.errors.csv") == []
    assert snapshot() == before


def test_a_header_without_rows_is_a_clean_import_of_0_citizens(tmp_path, registry):
    before = snapshot()
    path = write_csv(tmp_path / "registry.csv", [], columns=REGISTRY_COLUMNS)
    out = StringIO()

    call_command("import_citizens", str(path), stdout=out)

    assert "0 rows" in out.getvalue()
    assert snapshot() == before


def test_a_fake_xlsx_is_refused(tmp_path, registry):
    before = snapshot()
    path = tmp_path / "log.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 50)

    assert "xlsx" in import_fails(path)
    assert snapshot() == before


def test_the_citizen_import_refuses_a_file_with_wrong_columns(tmp_path, registry):
    before = snapshot()
    path = write_csv(tmp_path / "registry.csv", [LINKED_ROW])

    with pytest.raises(CommandError, match="Missing: citizen_id, legacy_id"):
        call_command("import_citizens", str(path))
    assert snapshot() == before


@pytest.mark.parametrize("python_path", [True, False])
def test_a_semicolon_separated_file_is_refused_saying_so(tmp_path, registry, python_path):
    before = snapshot()
    path = write_csv(tmp_path / "log.csv", [LINKED_ROW])
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")

    message = import_fails(path, python_path)

    assert "semicolons (;)" in message
    assert snapshot() == before


def test_the_semicolon_message_is_in_vietnamese(tmp_path, registry):
    path = write_csv(tmp_path / "log.csv", [LINKED_ROW])
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")

    with translation.override("vi"):
        message = import_fails(path)

    assert "phân cách bằng dấu chấm phẩy" in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("python_path", [True, False])
def test_a_utf16_file_is_refused_naming_its_encoding(tmp_path, registry, encoding, python_path):
    before = snapshot()
    path = write_csv(tmp_path / "log.csv", [LINKED_ROW])
    path.write_text(path.read_text(encoding="utf-8"), encoding=encoding)

    message = import_fails(path, python_path)

    assert "UTF-16" in message and "binary" not in message
    assert snapshot() == before


@pytest.mark.parametrize("python_path", [True, False])
def test_a_bad_byte_is_refused_naming_its_line(tmp_path, registry, python_path):
    before = snapshot()
    path = write_csv(tmp_path / "log.csv", [LINKED_ROW] * 3)
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"HUNG", b"H\xd9NG")  # Latin-1 in a UTF-8 file, on line 4
    path.write_bytes(b"\n".join(lines))

    message = import_fails(path, python_path)

    assert "line 4" in message and "position" not in message
    assert snapshot() == before
