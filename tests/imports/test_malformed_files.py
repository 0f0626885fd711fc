"""A file that is not a log (wrong columns, binary junk, empty) is refused whole."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from records.models import Citizen, InjectionRecord
from tests.imports.conftest import LINKED_ROW, write_csv
from verification.imports.files import REGISTRY_COLUMNS
from verification.imports.report import read_report
from verification.models import ImportedRow, MatchReview, ReconciliationCase

pytestmark = pytest.mark.django_db


def snapshot():
    return (Citizen.objects.count(), InjectionRecord.objects.count(), MatchReview.objects.count(),
            ReconciliationCase.objects.count(), ImportedRow.objects.count())


def import_fails(path) -> str:
    with pytest.raises(CommandError) as exc:
        call_command("import_records", str(path), "--workers", "1")
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
