"""Issue EU DCC vaccination certificates from signed records: one citizen, or everyone ready."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from certificates import services
from certificates.models import VaccinationCertificate
from records.models import Citizen
from vaxrecon.errors import DomainError


class Command(BaseCommand):
    help = _("Issue vaccination certificates (EU DCC) from signed records.")

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--citizen", metavar="CCCD", help=_("the citizen's CCCD number"))
        who.add_argument("--all", action="store_true", help=_("every citizen whose doses are all signed"))
        parser.add_argument("--hc1", metavar="FILE",
                            help=_("write each current certificate's HC1: text to FILE, one a line"))

    def handle(self, *args, citizen=None, all=False, hc1=None, **options):
        try:
            if citizen:
                person = Citizen.objects.filter(cccd=citizen.strip()).first()
                if person is None:
                    raise CommandError(_("No citizen has the CCCD number %(cccd)s.") % {"cccd": citizen})
                outcome = services.certificate_issue(citizen=person)
                verb = _("issued") if outcome.created else _("unchanged")
                self.stdout.write(f"{verb}: {outcome.certificate.uvci}")
                current = [outcome.certificate]
            else:
                result = services.certificates_issue_all()
                self.stdout.write(_("issued %(issued)d, unchanged %(unchanged)d, not ready %(refused)d")
                                  % vars(result))
                current = VaccinationCertificate.objects.filter(
                    status=VaccinationCertificate.Status.VALID).order_by("citizen_id").iterator()
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        if hc1:
            with Path(hc1).open("w", encoding="ascii") as out:
                for cert in current:
                    out.write(cert.hc1 + "\n")
