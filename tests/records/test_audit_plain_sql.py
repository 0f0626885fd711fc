"""The audit trail refuses plain SQL on either database (the embedded SQLite default too: its
guard triggers), and on SQLite the chain check says plainly that there is no chain to check
(docs/ARCHITECTURE.md, "Why not on SQLite")."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from records.audit import record_event
from records.models import AuditEvent

pytestmark = pytest.mark.django_db


def plain_sql(statement: str, params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.parametrize("statement", [
    "UPDATE records_auditevent SET action = 'tampered' WHERE id = %s",
    "UPDATE records_auditevent SET after = NULL WHERE id = %s",
    "DELETE FROM records_auditevent WHERE id = %s",
])
def test_plain_sql_cannot_edit_or_delete_an_audit_row(statement):
    event = record_event(actor=None, action="test.thing", object_type="x", object_id=1, after={"a": 1})
    with pytest.raises(DatabaseError, match="append-only"):
        plain_sql(statement, [event.pk])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.after) == ("test.thing", {"a": 1})


@pytest.mark.skipif(connection.vendor != "sqlite",
                    reason="PostgreSQL keeps a chain: tests/records/test_audit_chain.py")
def test_on_sqlite_the_chain_check_says_there_is_none_and_exits_2():
    record_event(actor=None, action="test.thing", object_type="x", object_id=1)
    with pytest.raises(CommandError) as err:
        call_command("verify_audit_chain")
    assert err.value.returncode == 2
    # In the site's first language, Vietnamese.
    assert str(err.value) == "Chuỗi băm nhật ký kiểm toán chỉ có trên PostgreSQL; cơ sở dữ liệu này không có."
