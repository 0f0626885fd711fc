"""Demo data: one account per role, facilities in several provinces, citizens and doses,
cases waiting at each step and the signer's development certificate.

Idempotent: a second run adds nothing. `--citizens N` generates N synthetic citizens
fast (COPY on PostgreSQL), for benchmarks. It lives in `vaxrecon` (the top floor) because it
fills every room: records, accounts, verification and signing.
"""

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Role
from accounts.services import ensure_role_groups, user_create
from records import bulk
from records.models import Facility, Province, Ward
from records.services import load_divisions, load_vaccines
from signing.devpki import seed_demo_signer
from verification.demo import seed_demo_cases

DEMO_PASSWORD = "vaxrecon-demo-2021"
DEMO_KEY_PASSPHRASE = "vaxrecon-demo-key-2021"  # demo only: the signer's PKCS#12 file

# (province code, facility code suffix, name, is commune health station)
DEMO_FACILITIES = [
    (1, "HN-TYT-01", "Trạm Y tế {ward}", True),
    (1, "HN-BV-01", "Bệnh viện Đa khoa {ward}", False),
    (79, "HCM-TYT-01", "Trạm Y tế {ward}", True),
    (79, "HCM-VNVC-01", "Trung tâm Tiêm chủng VNVC {ward}", False),
    (48, "DN-TYT-01", "Trạm Y tế {ward}", True),
    (92, "CT-TYT-01", "Trạm Y tế {ward}", True),
    (40, "NA-TYT-01", "Trạm Y tế {ward}", True),
]

# username, role, where: ("facility", code) | ("ward", facility code) | ("province", code)
DEMO_ACCOUNTS = [
    ("clinic", Role.CLINIC_STAFF, "Nguyễn Thị", "Lan", ("facility", "HN-TYT-01")),
    ("police", Role.COMMUNE_POLICE, "Trần Văn", "Hùng", ("ward", "HN-TYT-01")),
    ("signer", Role.SIGNER, "Lê Quang", "Minh", ("ward", "HN-TYT-01")),
    ("province", Role.PROVINCIAL_OFFICER, "Phạm Thu", "Hà", ("province", 1)),
    ("ministry", Role.MINISTRY_ANALYST, "Hoàng Đức", "Anh", ("nation", None)),
    ("clinic_hcm", Role.CLINIC_STAFF, "Võ Thị", "Mai", ("facility", "HCM-TYT-01")),
    ("police_hcm", Role.COMMUNE_POLICE, "Huỳnh Công", "Phúc", ("ward", "HCM-TYT-01")),
]


class Command(BaseCommand):
    help = "Create demo accounts, facilities, citizens and doses (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--citizens", type=int, default=300, help="synthetic citizens (default 300)")
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--no-doses", action="store_true", help="citizens only")

    def handle(self, *args, citizens: int, seed: int, no_doses: bool, **options):
        load_divisions()
        load_vaccines()
        ensure_role_groups()
        with transaction.atomic():
            facilities = self._facilities()
            created = self._accounts(facilities)
        added_c, added_d = bulk.generate(
            citizens=citizens, seed=seed, with_doses=not no_doses,
            progress=bulk.terminal_progress("citizens") if citizens >= 50_000 else None,
        )
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {len(facilities)} facilities, {added_c} citizens and {added_d} doses added "
            f"({len(created)} new accounts)."
        ))
        self.stdout.write("Demo accounts (password for all: %s):" % DEMO_PASSWORD)
        for username, role, _first, _last, _scope in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<12} {Role(role).label}")
        self.stdout.write(f"  {'admin':<12} superuser (/admin/)")
        self._demo_signer_certificate()
        self._demo_cases()

    def _demo_cases(self) -> None:
        """Citizen reports waiting at the demo clinic, two of them already with the police."""
        created = seed_demo_cases()
        if created:
            self.stdout.write(f"Demo cases at HN-TYT-01: {len(created)}; tracking codes: "
                              + ", ".join(case.tracking_code for case in created))

    def _demo_signer_certificate(self) -> None:
        """The demo signer gets a development certificate in a PKCS#12 file (signing/)."""
        path, passphrase = seed_demo_signer(username="signer", passphrase=DEMO_KEY_PASSPHRASE)
        if path is not None:
            self.stdout.write(f"Demo signer key file: {path} (passphrase: {passphrase})")

    def _facilities(self) -> dict[str, Facility]:
        result = {}
        for province_code, code, name, station in DEMO_FACILITIES:
            ward = Ward.objects.filter(province_id=province_code).order_by("code").first()
            facility, _ = Facility.objects.get_or_create(
                code=code,
                defaults=dict(name=name.format(ward=ward.name.replace("Phường ", "").replace("Xã ", "")),
                              ward=ward, is_health_station=station),
            )
            result[code] = facility
        return result

    def _accounts(self, facilities: dict[str, Facility]) -> list[str]:
        created = []
        for username, role, first, last, (kind, ref) in DEMO_ACCOUNTS:
            if User.objects.filter(username=username).exists():
                continue
            scope = {}
            if kind == "facility":
                scope["facility"] = facilities[ref]
            elif kind == "ward":
                scope["ward"] = facilities[ref].ward
            elif kind == "province":
                scope["province"] = Province.objects.get(code=ref)
            user_create(username=username, password=DEMO_PASSWORD, role=role,
                        first_name=first, last_name=last, **scope)
            created.append(username)
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.invalid", DEMO_PASSWORD)
            created.append("admin")
        return created
