"""Add root CA certificates to the trust store (or intermediates to the known CAs)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from signing import pki, services
from vaxrecon.errors import DomainError


class Command(BaseCommand):
    help = "Trust the root certificate(s) in FILE (PEM or DER); intermediates are registered untrusted."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--label", default="")

    def handle(self, *args, files, label, **options):
        for file in files:
            for cert in pki.load_certificates(Path(file).read_bytes()):
                is_root = cert.subject == cert.issuer
                try:
                    authority = services.authority_register(certificate=cert, trusted=is_root, label=label)
                except DomainError as exc:
                    raise CommandError(exc.message) from exc
                state = "trusted root" if authority.trusted else "intermediate CA"
                self.stdout.write(f"{state}: {authority.subject}")
