"""Check stored signatures: chain, validity at signing time, revocation, and tamper detection."""

from django.core.management.base import BaseCommand, CommandError

from signing import services
from signing.models import Signature


class Command(BaseCommand):
    help = ("Verify signatures: trusted chain, certificate valid at signing time and not revoked, "
            "signature mathematics, and the payload still equal to the record in the database. "
            "Exits non-zero when any check fails.")

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every signature (valid and superseded)")
        which.add_argument("--record", type=int, help="the signatures of one injection record version")
        parser.add_argument("--quiet", action="store_true", help="print failures and the summary only")

    def handle(self, *args, all, record, quiet, **options):
        qs = Signature.objects.select_related("certificate", "signed_by").order_by("id")
        if record is not None:
            qs = qs.filter(record_id=record)
            if not qs.exists():
                raise CommandError(f"Record {record} has no signature.")
        total = failed = 0
        for report in services.signatures_verify(qs.iterator(chunk_size=2000)):
            total += 1
            failed += not report.ok
            if quiet and report.ok:
                continue
            mark = "OK  " if report.ok else "FAIL"
            self.stdout.write(f"{mark} record {report.record_id} signature {report.signature_id} "
                              f"({report.status}, {report.signed_by}, "
                              f"{report.signing_time:%Y-%m-%d %H:%M:%S}Z)")
            for check in report.checks:
                self.stdout.write(f"     {'ok  ' if check.ok else 'FAIL'} {check.name}: {check.message}")
            for warning in report.warnings:
                self.stdout.write(f"     warn {warning}")
        self.stdout.write(f"{total} signature(s) checked: {total - failed} valid, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} signature(s) failed verification.", returncode=1)
