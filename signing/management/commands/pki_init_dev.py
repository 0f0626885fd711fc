"""Create (or reuse) the development root and issuing CA and register them in the trust store."""

from django.conf import settings
from django.core.management.base import BaseCommand

from signing import devpki


class Command(BaseCommand):
    help = "Create a development root + issuing CA in a directory and trust the root (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(settings.SIGNING_PKI_DIR),
                            help="where the CA files go (default SIGNING_PKI_DIR)")

    def handle(self, *args, dir: str, **options):
        root, issuing, created = devpki.init_dev_ca(dir)
        devpki.register_dev_ca(dir)
        verb = "Created" if created else "Reused"
        self.stdout.write(self.style.SUCCESS(f"{verb} the development CA in {dir} (development only)."))
        self.stdout.write(f"  root:    {root.certificate.subject.rfc4514_string()} (trusted)")
        self.stdout.write(f"  issuing: {issuing.certificate.subject.rfc4514_string()}")
