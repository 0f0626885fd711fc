"""The error report: one CSV line per problem (line, record id, column, value, reason), every
cell written formula-safe (vaxrecon/spreadsheets.py)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from vaxrecon.spreadsheets import csv_writer
from verification.imports.validation import RowError

HEADER = ("line", "record_id", "column", "value", "reason")


class ErrorReport:
    """Streams errors to a CSV file as they are found; `rows` counts the invalid rows."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Open for the report's life (closed by close() / the with block); -sig: Excel reads UTF-8.
        self._fh = open(self.path, "w", newline="", encoding="utf-8-sig")  # noqa: SIM115
        self._writer = csv_writer(self._fh)
        self._writer.writerow(HEADER)
        self.rows = 0
        self.errors = 0

    def add(self, errors: Iterable[RowError]) -> None:
        counted = False
        for e in errors:
            self._writer.writerow((e.line, e.record_id, e.column, e.value, e.reason))
            self.errors += 1
            if not counted:
                self.rows += 1
                counted = True

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_report(path: Path | str) -> list[dict[str, str]]:
    """The report's lines as dicts (for pages and tests)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))
