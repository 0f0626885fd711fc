"""Issue a signer certificate from the development CA: an encrypted PKCS#12 file or a token key."""

from pathlib import Path

import pkcs11
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from signing import devpki, services
from signing.models import SignerCertificate
from signing.softhsm import SoftHsm
from vaxrecon.errors import DomainError


class Command(BaseCommand):
    help = ("Issue a development signer certificate for a user: an encrypted PKCS#12 file "
            "(passphrase printed once, never stored) or a key generated on a PKCS#11 token.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--dir", default=str(settings.SIGNING_PKI_DIR), help="development CA directory")
        parser.add_argument("--out", help="PKCS#12 path (default <dir>/signers/<username>.p12)")
        parser.add_argument("--passphrase", help="for the PKCS#12 file (default: a random one, printed)")
        parser.add_argument("--key-type", choices=["ec", "rsa"], default="ec")
        parser.add_argument("--valid-days", type=int, default=730)
        parser.add_argument("--token", help="put the key on this PKCS#11 token instead (label)")
        parser.add_argument("--pin", help="the token's user PIN")
        parser.add_argument("--key-label", help="label of the key on the token (default the username)")
        parser.add_argument("--softhsm-dir", help="SoftHSM2 directory: create the token there if missing")
        parser.add_argument("--so-pin", default="12345678",
                            help="security officer PIN for a new SoftHSM token")

    def handle(self, *args, username, dir, out, passphrase, key_type, valid_days, token, pin, key_label,
               softhsm_dir, so_pin, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            _root, issuing = devpki.load_dev_ca(dir)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        try:
            if token:
                registered = self._token(user, issuing, token=token, pin=pin,
                                         key_label=key_label or username, key_type=key_type,
                                         softhsm_dir=softhsm_dir, so_pin=so_pin, valid_days=valid_days)
            else:
                passphrase = passphrase or devpki.new_passphrase()
                data, cert = devpki.issue_file_signer(issuing, user=user, passphrase=passphrase,
                                                      key_type=key_type, valid_days=valid_days)
                path = Path(out or Path(dir) / "signers" / f"{username}.p12")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                path.chmod(0o600)
                registered = services.signer_certificate_import_pkcs12(user=user, data=data,
                                                                       passphrase=passphrase)
                self.stdout.write(f"PKCS#12 written to {path}")
                self.stdout.write(f"Passphrase (shown once, not stored): {passphrase}")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Registered certificate #{registered.pk} for {username}: {registered.subject}, "
            f"valid until {registered.not_after:%Y-%m-%d}, {registered.get_key_store_display()}."))

    def _token(self, user, issuing, *, token, pin, key_label, key_type, softhsm_dir, so_pin, valid_days):
        if not pin:
            raise CommandError("--pin is required with --token.")
        if not softhsm_dir:
            raise CommandError("--softhsm-dir is required with --token (development tokens are SoftHSM2).")
        hsm = SoftHsm.create(softhsm_dir)
        try:
            pkcs11.lib(hsm.module_path).get_token(token_label=token)
        except pkcs11.NoSuchToken:
            hsm.init_token(token, user_pin=pin, so_pin=so_pin)
        cert = hsm.provision_signer(issuing, token_label=token, user_pin=pin, key_label=key_label,
                                    key_type=key_type, valid_days=valid_days, **devpki.signer_subject(user))
        self.stdout.write(f"Key generated on token {token!r} as {key_label!r}; "
                          f"export SOFTHSM2_CONF={hsm.conf_path} for the web and worker processes.")
        return services.signer_certificate_register(user=user, certificate=cert, chain=[issuing.certificate],
                                                    key_store=SignerCertificate.KeyStore.PKCS11,
                                                    token_label=token, key_label=key_label)
