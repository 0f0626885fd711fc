"""Build the stored daily figures of one day or a range (backfill)."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.services import build_days
from vaxrecon.errors import DomainError


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (yyyy-mm-dd): {value!r}") from exc


class Command(BaseCommand):
    help = ("Build the daily figures of --date D (default: today, local time), or of every day from "
            "--from D1 to --to D2 (re-running replaces). On PostgreSQL a range of days is built in "
            "one pass and one transaction (--method range, the default for two days or more).")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="one local day, yyyy-mm-dd")
        parser.add_argument("--from", dest="start", help="first day of a backfill")
        parser.add_argument("--to", dest="end", help="last day of a backfill")
        parser.add_argument("--last", type=int, help="the last N days up to today (local time)")
        parser.add_argument("--skip-locked", action="store_true", help="leave locked days as they are")
        parser.add_argument("--full", action="store_true",
                            help="count doses and people from every record instead of carrying "
                                 "the day before's (day by day; a range build always counts afresh)")
        parser.add_argument("--method", choices=("auto", "daily", "range"), default="auto",
                            help="range: every day in one pass (PostgreSQL); daily: one day after "
                                 "another, each in its own transaction; auto (default): range for two "
                                 "days or more on PostgreSQL, daily otherwise")

    def handle(self, *args, **options):
        if options["date"] and (options["start"] or options["end"]):
            raise CommandError("give either --date or --from/--to")
        if options["last"] is not None:
            if options["last"] < 1:
                raise CommandError("--last takes a number of days, 1 or more")
            end = timezone.localdate()
            start = end - timedelta(days=options["last"] - 1)
        elif options["date"]:
            start = end = _date(options["date"])
        elif options["start"] and options["end"]:
            start, end = _date(options["start"]), _date(options["end"])
        elif options["start"] or options["end"]:
            raise CommandError("give both --from D1 and --to D2")
        else:  # today, local time (what `make run` builds for the demo)
            start = end = timezone.localdate()
        total = (end - start).days + 1
        done = []

        def progress(result):
            done.append(result)
            width = 30
            filled = width * len(done) // max(total, 1)
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {len(done)}/{total} "
                              f"{result.day} {result.rows} rows {result.seconds:.1f} s", ending="")
            self.stderr.flush()

        def phase(label, n, steps):  # the range build's statements, as each one finishes
            width = 30
            filled = width * n // max(steps, 1)
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] step {n}/{steps} "
                              f"{label:<24.24}", ending="")
            self.stderr.flush()

        try:
            built = build_days(start=start, end=end, skip_locked=options["skip_locked"],
                               full=options["full"], progress=progress, method=options["method"], phase=phase)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if built:
            self.stderr.write("")
        seconds = sum(b.seconds for b in built)
        self.stdout.write(self.style.SUCCESS(
            f"{len(built)} day(s) built from {start} to {end}, {sum(b.rows for b in built)} rows, "
            f"{seconds:.1f} s"))
