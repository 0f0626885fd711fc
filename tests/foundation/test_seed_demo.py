"""The demo data command: idempotent, Vietnamese names, work waiting at every step."""

import hashlib
from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

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


def _every_table() -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of its whole content (rows in primary-key order)."""
    state = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - names from the introspection
            # (binary columns come back as memoryview on PostgreSQL: compare their bytes)
            rows = sorted(repr([bytes(v) if isinstance(v, memoryview) else v for v in row])
                          for row in cursor.fetchall())
            state[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return state


def test_a_second_seed_demo_run_writes_nothing_at_all(db, settings, tmp_path):
    """Not a row added, changed or removed in any table: no account, dose or case, and no
    re-registered demo CA or re-imported CRL (each used to add an audit event per run)."""
    settings.SIGNING_PKI_DIR = settings.SIGNING_CRL_DIR = tmp_path
    call_command("seed_demo", "--citizens", "300", stdout=StringIO())
    first = _every_table()
    events = AuditEvent.objects.count()
    call_command("seed_demo", "--citizens", "300", stdout=StringIO())
    assert AuditEvent.objects.count() == events
    second = _every_table()
    assert {table for table in first if first[table] != second[table]} == set()
    assert first["signing_revocationlist"][0] == 2 and first["signing_authoritycertificate"][0] == 2
