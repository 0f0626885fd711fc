"""Demo for police verification: the stand-in registry's CSV from the demo citizens, and a
few cases in the demo police ward's queue (exact, unaccented name, wrong CCCD, unknown).

    python manage.py seed_demo && python manage.py police_demo --registry var/registry.csv
    python manage.py run_population_registry --data var/registry.csv &
    python manage.py verify_identities
"""

import csv
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from records import normalize
from records.models import Citizen
from verification import workflow
from verification.models import ReconciliationCase
from verification.services import case_transition

COLUMNS = ["citizen_id", "legacy_id", "full_name", "date_of_birth", "sex", "province_code", "ward_code",
           "phone"]


class Command(BaseCommand):
    help = "Write the stand-in registry CSV from the demo citizens and queue demo cases for the police."

    def add_arguments(self, parser):
        parser.add_argument("--registry", default="var/registry.csv", help="CSV to write")
        parser.add_argument("--cases", type=int, default=12)
        parser.add_argument("--officer", default="police", help="the demo officer whose ward gets the cases")

    def handle(self, *args, registry: str, cases: int, officer: str, **options):
        profile = getattr(User.objects.filter(username=officer).first(), "profile", None)
        if profile is None or profile.ward_id is None:
            raise CommandError(f"no commune police account '{officer}': run `manage.py seed_demo` first")
        people = list(Citizen.objects.filter(ward=profile.ward_id, date_of_birth__isnull=False,
                                             cccd__isnull=False).order_by("pk")[:cases])
        unknown = {c.pk for i, c in enumerate(people) if i % 4 == 3}  # left out of the registry
        path = Path(registry)
        path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for c in Citizen.objects.filter(date_of_birth__isnull=False).select_related("ward").iterator():
                if c.pk in unknown:
                    continue
                writer.writerow([c.cccd or "", c.cmnd or "", c.full_name, c.date_of_birth.isoformat(), c.sex,
                                 c.ward.province_id, c.ward.code, c.phone or ""])
                written += 1
        queued = 0
        awaiting = ReconciliationCase.objects.filter(ward=profile.ward_id,
                                                     status=workflow.CaseStatus.AWAITING_POLICE)
        if not awaiting.exists():
            with transaction.atomic():
                for i, c in enumerate(people):
                    name, id_number = c.full_name, c.cccd
                    if i % 4 == 1:  # typed without diacritics
                        name = normalize.fold_name(c.full_name).title()
                    elif i % 4 == 2:  # one digit wrong
                        id_number = c.cccd[:-1] + str((int(c.cccd[-1]) + 1) % 10)
                    case = ReconciliationCase.objects.create(
                        origin=ReconciliationCase.Origin.CLINIC_ENTRY,
                        status=workflow.CaseStatus.RECORD_UPDATED,
                        full_name=name, date_of_birth=c.date_of_birth, birth_year=c.birth_year, sex=c.sex,
                        id_number=id_number, phone=c.phone or "", ward_id=profile.ward_id, citizen=c,
                    )
                    case_transition(case=case, name="send_to_police", actor=workflow.SYSTEM)
                    queued += 1
        self.stdout.write(self.style.SUCCESS(
            f"Registry CSV: {written} people in {path}. {queued} demo cases queued for '{officer}'."))
