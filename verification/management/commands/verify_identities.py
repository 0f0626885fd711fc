"""Send the cases awaiting police to the population registry now (what the periodic task does)."""

from django.core.management.base import BaseCommand, CommandError

from verification.police.client import RegistryError
from verification.police.services import registry_verify_pending


class Command(BaseCommand):
    help = "Verify the identities of cases awaiting police against the population registry."

    def handle(self, *args, **options):
        try:
            summary = registry_verify_pending()
        except RegistryError as exc:
            raise CommandError(f"population registry: {exc}; the cases stay queued")
        self.stdout.write(self.style.SUCCESS(
            f"{summary.sent} cases sent in {summary.batches} batches: {summary.results or 'nothing to do'}"))
