"""Import a facility's log of injection records (CSV or XLSX).

    python manage.py import_records FILE [--facility CODE] [--errors FILE.errors.csv]

Columns as reports.csv. Linked rows become injection records, uncertain ones review tasks,
unmatched ones cases for the clinic; invalid rows are listed in the error report with line,
column and reason. Re-running the same file adds nothing.
"""

from django.core.management.base import CommandError

from records.bulk import terminal_progress
from records.models import Facility
from verification.imports.pipeline import check_sql_links, import_records
from verification.management.importing import ImportCommand, domain_errors_as_command_errors


class Command(ImportCommand):
    help = ("Import injection records from a CSV/XLSX log (COPY on PostgreSQL); invalid rows go to an "
            "error report.")

    def add_arguments(self, parser):
        super().add_arguments(parser)  # FILE, --errors
        parser.add_argument("--facility", help="code of the importing facility (owner of reviews and cases)")
        parser.add_argument("--workers", type=int, default=None, help="matching processes (default 2)")
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument("--no-fit", action="store_true", help="keep the prior m-probabilities")
        parser.add_argument("--python-path", action="store_true",
                            help="row-by-row Python path even on PostgreSQL (same outcome, slower)")
        parser.add_argument("--check-sql-links", type=int, default=0, metavar="N",
                            help="write nothing: validate, apply the SQL linking rule (ignoring what was "
                                 "already imported) and report how the engine decides N sampled SQL links "
                                 "(PostgreSQL)")

    def handle(self, *args, **options):
        path, errors = self.files(options)
        facility = None
        if options["facility"]:
            facility = Facility.objects.filter(code=options["facility"]).first()
            if facility is None:
                raise CommandError(f"No facility with code {options['facility']!r}")
        if options["check_sql_links"]:
            out = check_sql_links(path=path, sample=options["check_sql_links"], workers=options["workers"],
                                  fit=not options["no_fit"])
            self.stdout.write(" ".join(f"{k}={v}" for k, v in out.items()))
            return
        with domain_errors_as_command_errors():
            r = import_records(path=path, error_report=errors, facility=facility, workers=options["workers"],
                               batch_size=options["batch_size"], fit=not options["no_fit"],
                               progress=terminal_progress("import_records"),
                               fast=False if options["python_path"] else None)
        self.write_outcome(f"{r.total:,} rows: {r.linked:,} linked, {r.review:,} to review, {r.unmatched:,} "
                           f"cases, {r.skipped:,} already imported, {r.invalid:,} invalid",
                           invalid=r.invalid, errors=errors)
        if options["verbosity"] >= 2 and r.timings:
            self.stdout.write("time per step: " + ", ".join(f"{name} {t:.1f} s" for name, t in r.timings))
