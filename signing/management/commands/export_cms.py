"""Export a stored signature as detached CMS/PKCS#7 (and its payload) for openssl or any CMS tool."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from signing import cms, services
from signing.errors import SigningError
from signing.models import Signature


class Command(BaseCommand):
    help = ("Write <out>.p7s (detached CMS, DER) and <out>.json (the signed payload rebuilt from the "
            "database). Check: openssl cms -verify -binary -inform DER -in X.p7s -content X.json "
            "-CAfile root.pem -purpose any")

    def add_arguments(self, parser):
        parser.add_argument("--signature", type=int, required=True)
        parser.add_argument("--out", help="path without extension (default signature-<id>)")
        parser.add_argument("--pem", action="store_true", help="PEM armour instead of DER")

    def handle(self, *args, signature, out, pem, **options):
        sig = Signature.objects.select_related("certificate").filter(pk=signature).first()
        if sig is None:
            raise CommandError(f"No signature {signature}.")
        base = Path(out or f"signature-{signature}")
        der = services.signature_export_cms(sig)
        base.with_suffix(".p7s").write_bytes(cms.cms_to_pem(der) if pem else der)
        try:
            base.with_suffix(".json").write_bytes(services.payload_for_signature(sig))
        except SigningError as exc:
            self.stderr.write(f"payload not written: {exc}")
        self.stdout.write(f"{base.with_suffix('.p7s')} and {base.with_suffix('.json')} written.")
