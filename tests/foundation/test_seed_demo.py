"""The demo data command: idempotent, Vietnamese names, work waiting at every step."""

from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command

from records.models import AuditEvent, Citizen, Facility, InjectionRecord
from verification.models import ReconciliationCase
from verification.workflow import CaseStatus


def test_seed_demo_is_idempotent(db):
    out = StringIO()
    call_command("seed_demo", "--citizens", "40", stdout=out)
    counts = (User.objects.count(), Facility.objects.count(), Citizen.objects.count(),
              InjectionRecord.objects.count(), ReconciliationCase.objects.count())
    assert counts[2] == 40 and counts[3] > 40
    assert "clinic" in out.getvalue() and "vaxrecon-demo-2021" in out.getvalue()
    call_command("seed_demo", "--citizens", "40", stdout=StringIO())
    assert (User.objects.count(), Facility.objects.count(), Citizen.objects.count(),
            InjectionRecord.objects.count(), ReconciliationCase.objects.count()) == counts


def test_seeded_names_are_vietnamese_with_diacritics(db):
    call_command("seed_demo", "--citizens", "60", stdout=StringIO())
    names = list(Citizen.objects.values_list("full_name", flat=True))
    assert any(name != name.encode("ascii", "ignore").decode() for name in names)
    assert all(3 <= len(name.split()) <= 4 for name in names)
    assert AuditEvent.objects.filter(action="user.create").count() == 7


def test_seed_demo_leaves_work_waiting_at_every_step(db):
    call_command("seed_demo", "--citizens", "300", stdout=StringIO())
    statuses = sorted(ReconciliationCase.objects.values_list("status", flat=True))
    assert statuses == sorted([CaseStatus.SUBMITTED, CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW,
                               CaseStatus.AWAITING_POLICE, CaseStatus.AWAITING_POLICE,
                               CaseStatus.AWAITING_SIGNATURE])
