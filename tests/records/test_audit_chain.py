"""The audit chain on PostgreSQL: committed for real, tampered with plain SQL, and
``verify_audit_chain`` names what changed (by id) and exits non-zero."""

from __future__ import annotations

import importlib
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from records.audit import record_event
from records.models import AuditBlock, AuditEvent
from tests.tampering import around_the_guards, command_result

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the audit chain is kept on PostgreSQL only"),
]


def write(n: int, action: str = "test.thing") -> list[int]:
    """``n`` audit events in one committed transaction; returns their ids."""
    with transaction.atomic():
        return [record_event(actor=None, action=action, object_type="x", object_id=i, after={"n": i}).pk
                for i in range(n)]


def run(*args) -> tuple[str, int]:
    return command_result("verify_audit_chain", *args)


def sql(statement: str, params=()) -> None:
    with around_the_guards() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def history() -> list[list[int]]:
    """Three committed transactions of 3, 1 and 4 events."""
    return [write(3), write(1), write(4)]


def test_an_untouched_chain_verifies_and_exits_zero(history):
    out, code = run()

    assert code == 0, out
    assert "8 event(s) in 3 block(s) checked; 0 problem(s)." in out
    head = AuditBlock.objects.order_by("-seq").first()
    assert f"head: 3:{head.hash}" in out


def test_each_committed_transaction_is_one_block_sealed_in_commit_order(history):
    blocks = list(AuditBlock.objects.order_by("seq").values_list("seq", "row_count", "last_event_id"))

    assert blocks == [(1, 3, history[0][-1]), (2, 1, history[1][-1]), (3, 4, history[2][-1])]
    events = AuditEvent.objects.filter(pk__in=history[2]).order_by("id")
    assert [e.chain_pos for e in events] == [1, 2, 3, 4]
    assert len({e.block_id for e in events}) == 1 and all(len(e.chain_hash) == 64 for e in events)


def test_an_edited_event_is_named_by_id(history):
    edited = history[2][1]
    sql("UPDATE records_auditevent SET after = '{\"n\": 99}' WHERE id = %s", [edited])

    out, code = run()

    assert code == 1
    assert f"Event {edited} does not match its hash" in out
    assert "1 problem(s)" in out


def test_an_edit_with_its_hash_recomputed_is_caught_by_the_next_event(history):
    edited, following = history[2][1], history[2][2]
    sql("UPDATE records_auditevent e SET action = 'test.other' WHERE id = %s", [edited])
    sql("UPDATE records_auditevent e SET chain_hash = vaxrecon_audit_digest(p.chain_hash, e) "
        "FROM records_auditevent p WHERE e.id = %s AND p.id = %s", [edited, history[2][0]])

    out, code = run()

    assert code == 1
    assert (f"Event {following} does not match its hash: it, or the event {edited} before it, was changed"
            in out)


def test_an_event_deleted_from_the_middle_of_a_block_is_named_by_its_neighbours(history):
    sql("DELETE FROM records_auditevent WHERE id = %s", [history[2][1]])

    out, code = run()

    assert code == 1
    assert (f"Block 3: 1 event(s) missing after event {history[2][0]}, before event {history[2][2]}."
            in out)
    assert "sealed 4 event(s)" in out


def test_the_last_event_of_a_block_deleted_is_reported(history):
    sql("DELETE FROM records_auditevent WHERE id = %s", [history[0][-1]])

    out, code = run()

    assert code == 1
    assert (f"Block 1: it sealed 3 event(s) ending with event {history[0][2]}; now 2 ending with event "
            f"{history[0][1]}." in out)


def test_an_event_inserted_around_the_triggers_is_named(history):
    sql("INSERT INTO records_auditevent (actor_label, action, object_type, object_id, at, request_id) "
        "VALUES ('admin', 'injection.sign', 'records.injectionrecord', '1', now(), '')")
    forged = AuditEvent.objects.order_by("-id").first().pk

    out, code = run()

    assert code == 1
    assert f"Event {forged} is outside the chain" in out


def test_a_forged_event_copying_a_place_in_the_chain_is_named(history):
    original = AuditEvent.objects.get(pk=history[2][1])
    sql("INSERT INTO records_auditevent (actor_label, action, object_type, object_id, at, request_id, "
        "block_id, chain_pos, chain_hash) SELECT actor_label, 'forged', object_type, object_id, at, "
        "request_id, block_id, chain_pos, chain_hash FROM records_auditevent WHERE id = %s", [original.pk])
    forged = AuditEvent.objects.order_by("-id").first().pk

    out, code = run()

    assert code == 1
    assert f"Event {forged} repeats place 2 of block 3" in out


def test_a_whole_transaction_deleted_leaves_a_gap_in_the_blocks(history):
    block = AuditEvent.objects.get(pk=history[1][0]).block_id
    sql("DELETE FROM records_auditevent WHERE block_id = %s", [block])
    sql("DELETE FROM records_auditblock WHERE id = %s", [block])

    out, code = run()

    assert code == 1
    assert "Blocks 2 to 2 are missing" in out


def test_a_block_edited_is_reported(history):
    sql("UPDATE records_auditblock SET row_count = 5 WHERE seq = 3")

    out, code = run()

    assert code == 1
    assert "Block 3 was changed." in out


def test_the_newest_blocks_removed_are_caught_by_a_recorded_head(history):
    out, _code = run()
    head = next(line.split()[1] for line in out.splitlines() if line.startswith("head:"))
    block = AuditEvent.objects.get(pk=history[2][0]).block_id
    sql("DELETE FROM records_auditevent WHERE block_id = %s", [block])
    sql("DELETE FROM records_auditblock WHERE id = %s", [block])

    _out, code_without = run()
    out, code = run("--anchor", head)

    # The tail of a chain can be cut cleanly by a superuser: only a head kept elsewhere tells.
    assert code_without == 0
    assert code == 1 and "is not in the chain any more" in out


def test_a_malformed_anchor_is_refused_with_the_expected_form():
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("verify_audit_chain", "--anchor", "3:xyz", stdout=StringIO())


def test_a_rolled_back_savepoint_takes_its_events_out_of_the_chain():
    with transaction.atomic():
        record_event(actor=None, action="test.kept", object_type="x", object_id=1)
        try:
            with transaction.atomic():
                record_event(actor=None, action="test.dropped", object_type="x", object_id=2)
                raise RuntimeError
        except RuntimeError:
            pass
        record_event(actor=None, action="test.kept", object_type="x", object_id=3)

    out, code = run()

    assert code == 0, out
    assert list(AuditEvent.objects.order_by("id").values_list("action", "chain_pos")) == [
        ("test.kept", 1), ("test.kept", 2)]


def test_concurrent_writers_keep_one_unbroken_chain():
    errors = []

    def writer(k: int) -> None:
        try:
            for _ in range(10):
                write(3, action=f"test.writer{k}")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    out, code = run()

    assert errors == []
    assert code == 0, out
    assert list(AuditBlock.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 41))
    assert AuditEvent.objects.count() == 120


def test_events_older_than_the_chain_are_sealed_by_the_genesis_block():
    migration = importlib.import_module("records.migrations.0006_append_only_audit_chain")
    sql("INSERT INTO records_auditevent (actor_label, action, object_type, object_id, at, request_id) "
        "SELECT 'system', 'legacy', 'x', g::text, now(), '' FROM generate_series(1, 3) g")
    sql(migration.PG_GENESIS)
    write(2)
    legacy = list(AuditEvent.objects.filter(action="legacy").order_by("id").values_list("id", flat=True))

    clean, clean_code = run()
    sql("UPDATE records_auditevent SET object_id = 'changed' WHERE id = %s", [legacy[1]])
    out, code = run()

    assert clean_code == 0, clean
    assert "5 event(s) in 2 block(s) checked; 0 problem(s)." in clean
    assert code == 1
    assert f"The events written before the chain (ids up to {legacy[-1]}, sealed as 3)" in out
