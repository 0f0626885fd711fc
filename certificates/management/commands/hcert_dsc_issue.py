"""Issue a document signer (DSC) under the country signing CA and register it: a file key, or a
key on a PKCS#11 token.

Run on the host that keeps the CSCA key (CERTIFICATES_CSCA_KEY_FILE, opened with
CERTIFICATES_CSCA_KEY_PASSPHRASE; its certificate ``csca.pem`` beside it unless ``--csca-cert``).

* ``--out FILE.p12``: a new key (ES256: EC P-256, PS256: RSA 2048) and its DSC, written as a
  PKCS#12 encrypted with CERTIFICATES_DSC_SECRET (required; never written in clear), mode 0600,
  never over an existing file.
* ``--public-key FILE.pem --token LABEL --key-label LABEL``: the DSC for a key generated on the
  token by its own tool (the key never leaves it; its public key exported as PEM); the
  certificate is registered as a token DSC and written to ``--cert-out`` to store on the token.

The DSC's chain to a registered CSCA is checked on registration (``certificates.dsc``).
"""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from certificates import dsc
from signing import pki
from vaxrecon.errors import DomainError


class Command(BaseCommand):
    help = _("Issue a document signer certificate under the country signing CA and register it "
             "(a PKCS#12 file, or a key on a PKCS#11 token).")

    def add_arguments(self, parser):
        parser.add_argument("--csca-key", default=settings.CERTIFICATES_CSCA_KEY_FILE,
                            help=_("the CSCA key (PEM); default CERTIFICATES_CSCA_KEY_FILE"))
        parser.add_argument("--csca-cert", help=_("the CSCA certificate; default csca.pem beside the key"))
        parser.add_argument("--algorithm", choices=["ES256", "PS256"], default="ES256")
        parser.add_argument("--days", type=int, default=730, help=_("validity of the DSC in days"))
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--out", metavar="FILE", help=_("write a new key and its DSC to this PKCS#12"))
        where.add_argument("--public-key", metavar="FILE", help=_("the public key (PEM) of a token's key"))
        parser.add_argument("--token", help=_("the token's label (with --public-key)"))
        parser.add_argument("--key-label", help=_("the key's label on the token (with --public-key)"))
        parser.add_argument("--cert-out", metavar="FILE", help=_("write the token key's DSC here (PEM)"))

    def handle(self, *args, csca_key, csca_cert, algorithm, days, out, public_key, token, key_label,
               cert_out, **options):
        csca = self._csca(csca_key, csca_cert)
        if days < 1:
            raise CommandError(_("--days must be at least 1."))
        try:
            dsc.csca_register(certificate=csca.certificate)
            if out:
                signer = self._file(csca, Path(out), algorithm=algorithm, days=days)
            else:
                signer = self._token(csca, Path(public_key), algorithm=algorithm, days=days, token=token,
                                     key_label=key_label, cert_out=Path(cert_out) if cert_out else None)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(
            _("Document signer kid %(kid)s registered (%(store)s, %(algorithm)s), valid until %(until)s.")
            % {"kid": signer.kid, "store": signer.get_key_store_display(), "algorithm": signer.algorithm,
               "until": f"{signer.not_after:%Y-%m-%d}"}))

    def _csca(self, key: str, cert: str | None) -> pki.CertAndKey:
        if not key:
            raise CommandError(_("Give --csca-key or set CERTIFICATES_CSCA_KEY_FILE."))
        passphrase = settings.CERTIFICATES_CSCA_KEY_PASSPHRASE
        if not passphrase:
            raise CommandError(_("Set CERTIFICATES_CSCA_KEY_PASSPHRASE: it opens the CSCA key."))
        key_path = Path(key)
        try:
            return dsc.csca_load(key_path, Path(cert) if cert else key_path.with_name("csca.pem"), passphrase)
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _file(self, csca: pki.CertAndKey, out: Path, *, algorithm: str, days: int):
        secret = settings.CERTIFICATES_DSC_SECRET
        if not secret:
            raise CommandError(_("Set CERTIFICATES_DSC_SECRET: the DSC's PKCS#12 is never written "
                                 "unencrypted."))
        if out.exists():
            raise CommandError(_("%(path)s exists: nothing is overwritten.") % {"path": out})
        key = pki.generate_key("ec" if algorithm == "ES256" else "rsa")
        cert = dsc.issue_dsc(csca, key.public_key(), valid_days=days)
        data = pki.export_pkcs12(pki.CertAndKey(cert, key), secret, [csca.certificate], friendly_name="dsc")
        signer = dsc.dsc_register_pkcs12(data=data, passphrase=secret)  # written once it is registered
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch(mode=0o600, exist_ok=False)
        out.write_bytes(data)
        self.stdout.write(_("PKCS#12 written to %(path)s (mode 0600).") % {"path": out})
        return signer

    def _token(self, csca: pki.CertAndKey, public_key: Path, *, algorithm: str, days: int,
               token: str | None, key_label: str | None, cert_out: Path | None):
        if not token or not key_label:
            raise CommandError(_("--public-key needs --token and --key-label (where the key is)."))
        try:
            key = serialization.load_pem_public_key(public_key.read_bytes())
        except (ValueError, OSError) as exc:
            raise CommandError(_("%(path)s is not a PEM public key: %(error)s")
                               % {"path": public_key, "error": exc}) from None
        expected = ec.EllipticCurvePublicKey if algorithm == "ES256" else rsa.RSAPublicKey
        if not isinstance(key, expected):
            raise CommandError(_("%(path)s is not a key for %(algorithm)s (ES256: EC P-256, PS256: RSA).")
                               % {"path": public_key, "algorithm": algorithm})
        cert = dsc.issue_dsc(csca, key, valid_days=days)
        signer = dsc.dsc_register_token(certificate=cert, token_label=token, key_label=key_label)
        if cert_out:
            cert_out.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            self.stdout.write(_("Certificate written to %(path)s.") % {"path": cert_out})
        return signer
