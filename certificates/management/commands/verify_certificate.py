"""Verify an HC1: text against the trust list and the revocation list; exit 0 only when valid."""

import json
import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from certificates.verify import verify_hc1


class Command(BaseCommand):
    help = _("Verify a vaccination certificate (HC1: text); exits 1 unless it is valid.")

    def add_arguments(self, parser):
        parser.add_argument("hc1", help=_("the HC1: text, or - to read it from standard input"))

    def handle(self, *args, hc1: str, **options):
        text = sys.stdin.read() if hc1 == "-" else hc1
        result = verify_hc1(text.strip())
        detail = f" ({result.detail})" if result.detail else ""
        self.stdout.write(f"{result.verdict.value}: {result.label}{detail}")
        if result.dcc:
            shown = {"nam": result.dcc.get("nam"), "dob": result.dcc.get("dob"), "v": result.dcc.get("v")}
            self.stdout.write(json.dumps(shown, ensure_ascii=False))
        if not result.ok:
            sys.exit(1)
