"""Start the stand-in national population database (a separate HTTP service).

    python manage.py run_population_registry --port 8077 --data registry.csv

The service itself (verification.police.registry_server) imports nothing from Django's
models: it is another ministry's system with its own data, and runs without this project.
"""

import argparse

from django.conf import settings
from django.core.management.base import BaseCommand

from verification.police import registry_server


class Command(BaseCommand):
    help = "Run the stand-in population registry service (latency and failure rate for fault tests)."

    def add_arguments(self, parser):
        registry_server.add_arguments(parser)

    def handle(self, *args, **options):
        names = ("host", "port", "data", "api_key", "latency", "failure_rate")
        opts = argparse.Namespace(**{name: options[name] for name in names})
        opts.api_key = opts.api_key or settings.POPULATION_REGISTRY_API_KEY
        registry_server.run(opts)
