"""Match a log of injection records against the citizens; changes nothing in the database.

    python manage.py match_records reports.csv --output matches.csv [--workers 2] [--no-fit]

Output, one row per input row: record_id, decision (linked / review / none), citizen_id
(the linked citizen's CCCD, or the CMND when they have none; empty unless linked), score
(log2 odds, 2 decimals), candidates: up to 5 "citizen_id:score" pairs, best first,
separated by ";" (e.g. "001090000123:18.40;001090000456:-3.10").
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from records.bulk import terminal_progress
from vaxrecon.errors import DomainError
from verification.imports.linking import match_records


class Command(BaseCommand):
    help = "Match reports (CSV or XLSX) against the citizens and write a matches CSV; read-only."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--output", required=True)
        parser.add_argument("--workers", type=int, default=None, help="matching processes (default 2)")
        parser.add_argument("--no-fit", action="store_true", help="keep the prior m-probabilities")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            counts = match_records(path=path, output=options["output"], fit=not options["no_fit"],
                                   workers=options["workers"], progress=terminal_progress("match_records"))
        except DomainError as exc:
            raise CommandError(exc.message)
        self.stdout.write(", ".join(f"{k} {v:,}" for k, v in counts.items()) + f" -> {options['output']}")
