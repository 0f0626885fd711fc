"""Import certificate revocation lists, or refresh every CRL from where it came from."""

from django.core.management.base import BaseCommand, CommandError

from signing import services, trust
from vaxrecon.errors import DomainError


class Command(BaseCommand):
    help = ("Import CRLs from http(s) URLs or files in SIGNING_CRL_DIR; --refresh re-reads every "
            "recorded source.")

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="*",
                            help="CRL files (PEM/DER) in SIGNING_CRL_DIR, or http(s) URLs")
        parser.add_argument("--refresh", action="store_true",
                            help="re-import every known CRL from its source")

    def handle(self, *args, sources, refresh, **options):
        if not sources and not refresh:
            raise CommandError("Give CRL files/URLs or --refresh.")
        failed = False
        for source in sources:
            try:
                crl = services.crl_import(data=trust.read_crl_source(source), source=source)
            except (DomainError, OSError) as exc:
                self.stderr.write(f"{source}: {getattr(exc, 'message', exc)}")
                failed = True
                continue
            self.stdout.write(f"{crl.issuer}: {crl.revoked_count} revoked, next update "
                              f"{crl.next_update:%Y-%m-%d %H:%M}")
        if refresh:
            for crl, outcome in services.crl_refresh():
                self.stdout.write(f"{crl.issuer}: {outcome}")
                failed |= outcome != "ok"
                if crl.is_stale:
                    self.stderr.write(f"{crl.issuer}: the list is past its next update "
                                      f"({crl.next_update:%Y-%m-%d}); revocation checks are out of date.")
        if failed:
            raise CommandError("Some revocation lists could not be imported.")
