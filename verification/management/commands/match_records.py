"""Match a log of injection records against the citizens; changes nothing in the database.

    python manage.py match_records reports.csv --output matches.csv [--workers 2] [--no-fit] [--explain]
    python manage.py match_records reports.csv --output matches.csv --sharded [--celery] [--no-fit]

The work is in ``verification.imports.matchfile`` (see there for the output format and how
it is spread over processes); ``--sharded`` in ``verification.imports.matchsharded`` (one index
per province of residence, for a registry too big for one process; ``--celery`` runs the shards
on the deployment's workers).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from records.bulk import terminal_progress
from vaxrecon.errors import DomainError
from verification.imports.linking import default_workers
from verification.imports.matchfile import match_file
from verification.imports.matchsharded import match_file_sharded


class Command(BaseCommand):
    help = "Match reports (CSV or XLSX) against the citizens and write a matches CSV; read-only."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--output", required=True)
        parser.add_argument("--workers", type=int, default=None, help="matching processes (default 2)")
        parser.add_argument("--no-fit", action="store_true", help="keep the prior m-probabilities")
        parser.add_argument("--explain", action="store_true",
                            help="add the best candidate's probability and each field's contribution")
        parser.add_argument("--sharded", action="store_true",
                            help="match shard by shard (one index per province of residence)")
        parser.add_argument("--celery", action="store_true",
                            help="with --sharded: the shards as Celery tasks")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        workers = options["workers"] or default_workers()
        if options["celery"] and not options["sharded"]:
            raise CommandError("--celery runs the shards of --sharded: give both")
        if options["sharded"] and options["explain"]:
            raise CommandError("--explain is not available with --sharded")
        try:
            timings: dict[str, float] = {}
            if options["sharded"]:
                counts = match_file_sharded(path, Path(options["output"]), fit=not options["no_fit"],
                                            celery=options["celery"], timings=timings)
            else:
                counts = match_file(path, Path(options["output"]), fit=not options["no_fit"],
                                    workers=max(1, workers),
                                    progress=terminal_progress("match_records"), timings=timings,
                                    explain=options["explain"])
        except DomainError as exc:
            raise CommandError(exc.message)
        if options["verbosity"] >= 2:
            self.stderr.write("stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
        self.stdout.write(", ".join(f"{k} {v:,}" for k, v in counts.items()) + f" -> {options['output']}")

