"""Load the population registry export into the citizen table.

    python manage.py import_citizens registry.csv [--errors registry.errors.csv]

Columns: citizen_id (12-digit CCCD), legacy_id (9-digit CMND), full_name, date_of_birth,
sex, province_code, ward_code, phone. Idempotent: a CCCD already present is left as is.
"""

from records.bulk import terminal_progress
from verification.imports.citizens import import_citizens
from verification.management.importing import ImportCommand, domain_errors_as_command_errors


class Command(ImportCommand):
    help = "Import citizens from a registry CSV (COPY on PostgreSQL); invalid rows go to an error report."

    def handle(self, *args, **options):
        path, errors = self.files(options)
        with domain_errors_as_command_errors():
            result = import_citizens(path=path, error_report=errors,
                                     progress=terminal_progress("import_citizens"))
        self.write_outcome(f"{result.total:,} rows: {result.added:,} citizens added, "
                           f"{result.existing:,} already present, {result.invalid:,} invalid",
                           invalid=result.invalid, errors=errors)
