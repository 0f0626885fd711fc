"""Create (or reuse) a development CSCA and a file DSC under CERTIFICATES_PKI_DIR and register them."""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from certificates import dsc
from signing import devpki, pki


class Command(BaseCommand):
    help = _("Create a development country signing CA and document signer (development only).")

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(settings.CERTIFICATES_PKI_DIR))
        parser.add_argument("--algorithm", choices=["ES256", "PS256"], default="ES256")

    def handle(self, *args, dir: str, algorithm: str, **options):
        folder = Path(dir)
        folder.mkdir(parents=True, exist_ok=True)
        key_path, cert_path = folder / "csca.key.pem", folder / "csca.pem"
        if key_path.exists():
            csca = pki.CertAndKey(pki.load_certificates(cert_path.read_bytes())[0],
                                  serialization.load_pem_private_key(key_path.read_bytes(), None))
        else:
            csca = dsc.create_csca()
            devpki._write_key(key_path, csca.key)
            devpki._write_cert(cert_path, csca.certificate)
        dsc.csca_register(certificate=csca.certificate, label="VaxRecon development CSCA")
        secret = settings.CERTIFICATES_DSC_SECRET or devpki.new_passphrase()
        key = pki.generate_key("ec" if algorithm == "ES256" else "rsa")
        cert = dsc.issue_dsc(csca, key.public_key())
        data = pki.export_pkcs12(pki.CertAndKey(cert, key), secret, [csca.certificate], friendly_name="dsc")
        (folder / f"dsc-{algorithm}.p12").write_bytes(data)
        signer = dsc.dsc_register_pkcs12(data=data, passphrase=secret)
        self.stdout.write(self.style.SUCCESS(_("Document signer kid %(kid)s registered (development only).")
                                             % {"kid": signer.kid}))
        self.stdout.write(f"CERTIFICATES_CSCA_KEY_FILE={key_path.resolve()}")
        if not settings.CERTIFICATES_DSC_SECRET:
            self.stdout.write(f"CERTIFICATES_DSC_SECRET={secret}")
