"""Check the audit trail's hash chain; name every edited, inserted or deleted event."""

import re

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from records.chain import audit_chain_verify, chain_supported


def _anchor(value: str) -> tuple[int, str]:
    match = re.fullmatch(r"(\d+):([0-9a-f]{64})", value.strip())
    if match is None:
        raise CommandError(_("--anchor takes SEQ:HASH as printed on the head line, e.g. 42:%(hash)s")
                           % {"hash": "0" * 64})
    return int(match.group(1)), match.group(2)


class Command(BaseCommand):
    help = ("Recompute the audit trail's hash chain (every event and every block) and report each event "
            "changed, inserted or missing, by id. Exits 1 when anything is wrong.")

    def add_arguments(self, parser):
        parser.add_argument("--anchor", type=_anchor, metavar="SEQ:HASH",
                            help="a head printed by an earlier run and kept elsewhere: it must still be "
                                 "in the chain")

    def handle(self, *args, anchor, **options):
        if not chain_supported():
            raise CommandError(_("The audit chain is kept on PostgreSQL only; this database has none."),
                               returncode=2)
        report = audit_chain_verify(anchor=anchor)
        for problem in report.problems:
            self.stdout.write(f"FAIL {problem.kind}: {problem.message}")
        self.stdout.write(_("%(events)s event(s) in %(blocks)s block(s) checked; %(n)s problem(s).") % {
            "events": report.events, "blocks": report.blocks, "n": len(report.problems)})
        if report.head_seq is not None:
            # Not translated: the line operators copy and pass back as --anchor.
            self.stdout.write(f"head: {report.head_seq}:{report.head_hash}")
        if not report.ok:
            raise CommandError(_("The audit chain is broken: %(n)s problem(s).")
                               % {"n": len(report.problems)}, returncode=1)
