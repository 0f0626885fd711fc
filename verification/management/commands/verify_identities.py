"""Send the cases awaiting police to the population registry now (what the periodic task does).

    python manage.py verify_identities              # once
    python manage.py verify_identities --every 60   # every minute until stopped (`make run` does
                                                    # this: the development set-up has no Celery beat)
"""

import time

from django.core.management.base import BaseCommand, CommandError

from verification.police.client import RegistryError
from verification.police.services import registry_verify_pending


class Command(BaseCommand):
    help = "Verify the identities of cases awaiting police against the population registry."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=None, metavar="SECONDS",
                            help="run again every SECONDS until stopped (a registry failure waits for "
                                 "the next run)")
        parser.add_argument("--rounds", type=int, default=None,
                            help="with --every: stop after this many runs")

    def handle(self, *args, every: float | None, rounds: int | None, **options):
        if every is None:
            self._once(fail=True)
            return
        done = 0
        while rounds is None or done < rounds:
            if done:
                time.sleep(every)
            self._once(fail=False)
            done += 1

    def _once(self, *, fail: bool) -> None:
        try:
            summary = registry_verify_pending()
        except RegistryError as exc:
            message = f"population registry: {exc}; the cases stay queued"
            if fail:
                raise CommandError(message)
            self.stderr.write(message)
            return
        self.stdout.write(self.style.SUCCESS(
            f"{summary.sent} cases sent in {summary.batches} batches: {summary.results or 'nothing to do'}"))
