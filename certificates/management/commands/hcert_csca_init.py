"""Create the country signing CA (CSCA) when it is missing, and register its certificate.

Production: run once on the host that keeps the CSCA key (it signs the published trust and
revocation lists). The key is written encrypted with CERTIFICATES_CSCA_KEY_PASSPHRASE (required),
mode 0600; an existing key and certificate are reused (registered again, idempotent), never
overwritten; one without the other is refused.
"""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from certificates import dsc
from signing import pki
from vaxrecon.errors import InvalidInput


def _load(key_path: Path, cert_path: Path, passphrase: str) -> pki.CertAndKey:
    try:
        return dsc.csca_load(key_path, cert_path, passphrase)
    except InvalidInput as exc:
        raise CommandError(exc.message) from None


def _write(key_path: Path, cert_path: Path, csca: pki.CertAndKey, passphrase: str) -> None:
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    pem = csca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.BestAvailableEncryption(passphrase.encode()))
    key_path.touch(mode=0o600, exist_ok=False)
    key_path.write_bytes(pem)
    cert_path.write_bytes(csca.certificate.public_bytes(serialization.Encoding.PEM))


class Command(BaseCommand):
    help = _("Create the country signing CA if it is missing (key encrypted with "
             "CERTIFICATES_CSCA_KEY_PASSPHRASE) and register its certificate.")

    def add_arguments(self, parser):
        parser.add_argument("--key", default=settings.CERTIFICATES_CSCA_KEY_FILE,
                            help=_("the CSCA key (PEM); default CERTIFICATES_CSCA_KEY_FILE"))
        parser.add_argument("--cert", help=_("the CSCA certificate (PEM); default beside the key, csca.pem"))
        parser.add_argument("--days", type=int, default=3650, help=_("validity of a new CSCA in days"))
        parser.add_argument("--common-name", default="CSCA Viet Nam")

    def handle(self, *args, key: str, cert: str | None, days: int, common_name: str, **options):
        if not key:
            raise CommandError(_("Give --key or set CERTIFICATES_CSCA_KEY_FILE."))
        passphrase = settings.CERTIFICATES_CSCA_KEY_PASSPHRASE
        if not passphrase:
            raise CommandError(_("Set CERTIFICATES_CSCA_KEY_PASSPHRASE: the CSCA key is never written "
                                 "unencrypted."))
        key_path = Path(key)
        cert_path = Path(cert) if cert else key_path.with_name("csca.pem")
        if key_path.exists() != cert_path.exists():
            present, missing = (key_path, cert_path) if key_path.exists() else (cert_path, key_path)
            raise CommandError(_("%(present)s exists but %(missing)s does not: nothing is overwritten; "
                                 "restore the missing file or move the other away.")
                               % {"present": present, "missing": missing})
        created = not key_path.exists()
        if created:
            csca = dsc.create_csca(valid_days=days, common_name=common_name)
            _write(key_path, cert_path, csca, passphrase)
        else:
            csca = _load(key_path, cert_path, passphrase)
        registered = dsc.csca_register(certificate=csca.certificate, label=common_name)
        said = _("CSCA created: %(subject)s") if created else _("CSCA already present: %(subject)s")
        self.stdout.write(self.style.SUCCESS(said % {"subject": registered.subject}))
        self.stdout.write(f"fingerprint SHA-256 {registered.fingerprint}, "
                          f"valid until {registered.not_after:%Y-%m-%d}")
        self.stdout.write(f"CERTIFICATES_CSCA_KEY_FILE={key_path.resolve()}")
