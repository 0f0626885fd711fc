"""Mark failed and resumable the imports and signing batches still running whose lease ran out
(what the beat tasks and every worker start do; docs/OPERATIONS.md, "When a worker, Redis or
PostgreSQL fails"). In `vaxrecon` (the top floor): it reaps the jobs of two rooms."""

from django.core.management.base import BaseCommand

from signing.services import signing_batches_reap
from verification.imports.jobs import import_jobs_reap


class Command(BaseCommand):
    help = "Reap the imports and signing batches whose worker was lost (failed, resumable)."

    def handle(self, *args, **options):
        imports, batches = import_jobs_reap(), signing_batches_reap()
        self.stdout.write(f"imports reaped: {imports or 'none'}; signing batches reaped: {batches or 'none'}")
