"""Register a PKCS#12 key file issued by a real CA for a user (kept encrypted, passphrase not stored)."""

import getpass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from signing import services
from vaxrecon.errors import DomainError


class Command(BaseCommand):
    help = "Import a signer's PKCS#12 (.p12/.pfx) from a CA; its root must already be trusted."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("file")
        parser.add_argument("--passphrase", help="default: asked on the terminal")

    def handle(self, *args, username, file, passphrase, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        data = Path(file).read_bytes()
        if passphrase is None:
            passphrase = getpass.getpass("PKCS#12 passphrase: ")
        try:
            registered = services.signer_certificate_import_pkcs12(user=user, data=data,
                                                                   passphrase=passphrase)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Registered certificate #{registered.pk} for {username}: {registered.subject}, "
            f"valid until {registered.not_after:%Y-%m-%d}."))
