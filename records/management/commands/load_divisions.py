from django.core.management.base import BaseCommand

from records.services import load_divisions, load_vaccines


class Command(BaseCommand):
    help = "Load (idempotently) the 34 provinces, 3,321 communes and the vaccine catalogue."

    def handle(self, *args, **options):
        provinces, wards = load_divisions()
        vaccines = load_vaccines()
        self.stdout.write(f"{provinces} provinces, {wards} communes/wards, {vaccines} vaccines.")
