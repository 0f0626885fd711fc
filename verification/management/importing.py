"""What the commands that import one file share (`import_citizens`, `import_records`).

FILE must exist; the error report defaults to FILE.errors.csv; a domain error ends the command as
its error; the counts are written, and where the error report is when a row was invalid.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vaxrecon.errors import DomainError


@contextmanager
def domain_errors_as_command_errors() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        raise CommandError(exc.message)


class ImportCommand(BaseCommand):
    """FILE and --errors; a subclass adds its own options after `super().add_arguments`."""

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--errors", help="error report CSV (default: FILE.errors.csv)")

    def files(self, options) -> tuple[Path, Path]:
        """The file to import and its error report."""
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        return path, Path(options["errors"] or path.with_suffix(".errors.csv"))

    def write_outcome(self, counts: str, *, invalid: int, errors: Path) -> None:
        self.stdout.write(counts)
        if invalid:
            self.stdout.write(f"error report: {errors}")
