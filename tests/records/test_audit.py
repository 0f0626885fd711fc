import pytest

from records.audit import record_event
from records.models import AuditEvent
from records.services import injection_record_correct
from tests.factories import InjectionRecordFactory
from vaxrecon.middleware import _request_id


def test_a_correction_is_audited_with_before_and_after(db, clinic_user):
    record = InjectionRecordFactory(lot_number="FK1234")
    new = injection_record_correct(record=record, lot_number="FK5678", actor=clinic_user)
    event = AuditEvent.objects.get(action="injection.correct")
    assert event.actor == clinic_user and event.actor_label == "clinic-hn"
    assert event.before["lot_number"] == "FK1234" and event.after["lot_number"] == "FK5678"
    assert event.object_id == str(new.pk) and event.object_type == "records.injectionrecord"


def test_audit_rows_cannot_be_changed(db):
    event = record_event(actor=None, action="test.thing", object_type="x", object_id=1, after={"a": 1})
    event.action = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    assert AuditEvent.objects.get(pk=event.pk).action == "test.thing"


def test_audit_rows_cannot_be_deleted(db):
    event = record_event(actor=None, action="test.thing", object_type="x", object_id=1)
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_rows_carry_the_request_id(client, clinic_user):
    token = _request_id.set("req-123")
    try:
        event = record_event(actor=clinic_user, action="test.thing", object_type="x", object_id=1)
    finally:
        _request_id.reset(token)
    assert event.request_id == "req-123"
