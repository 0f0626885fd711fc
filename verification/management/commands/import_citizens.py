"""Load the population registry export into the citizen table.

    python manage.py import_citizens registry.csv [--errors registry.errors.csv]

Columns: citizen_id (12-digit CCCD), legacy_id (9-digit CMND), full_name, date_of_birth,
sex, province_code, ward_code, phone. Idempotent: a CCCD already present is left as is.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from records.bulk import terminal_progress
from vaxrecon.errors import DomainError
from verification.imports.citizens import import_citizens


class Command(BaseCommand):
    help = "Import citizens from a registry CSV (COPY on PostgreSQL); invalid rows go to an error report."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--errors", help="error report CSV (default: FILE.errors.csv)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        errors = Path(options["errors"] or path.with_suffix(".errors.csv"))
        try:
            result = import_citizens(path=path, error_report=errors,
                                     progress=terminal_progress("import_citizens"))
        except DomainError as exc:
            raise CommandError(exc.message)
        self.stdout.write(f"{result.total:,} rows: {result.added:,} citizens added, "
                          f"{result.existing:,} already present, {result.invalid:,} invalid")
        if result.invalid:
            self.stdout.write(f"error report: {errors}")
