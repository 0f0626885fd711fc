"""Check stored signatures: chain, validity at signing time, revocation, and tamper detection."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from signing import services
from signing.checks import signed_state_mismatches
from signing.models import Signature


class Command(BaseCommand):
    help = ("Verify signatures: trusted chain, certificate valid at signing time and not revoked, "
            "signature mathematics, and the payload still equal to the record in the database. "
            "Exits non-zero when any check fails.")

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true",
                           help="every signature (valid and superseded), and every record and case marked "
                                "signed against its signatures")
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
        mismatched = self._state_mismatches() if all else 0
        if failed:
            raise CommandError(f"{failed} signature(s) failed verification.", returncode=1)
        if mismatched:
            raise CommandError(_("%(n)s record(s) or case(s) marked signed disagree with their signatures.")
                               % {"n": mismatched}, returncode=1)

    def _state_mismatches(self) -> int:
        """The other direction: what is marked signed has a valid signature, and the reverse."""
        count = 0
        for mismatch in signed_state_mismatches():
            count += 1
            self.stdout.write(f"FAIL {mismatch.kind} {mismatch.object_id}: {mismatch.message}")
        self.stdout.write(_("Records and cases marked signed checked against their signatures: %(n)s "
                            "mismatch(es).") % {"n": count})
        return count
