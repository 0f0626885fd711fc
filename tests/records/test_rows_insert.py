"""records.rows: rows written column by column are the rows Django's bulk_create writes (every
column, the JSON of the audit snapshots, NULLs, the times), and the audit chain links them."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from records.audit import record_events, snapshot
from records.models import AuditEvent, InjectionRecord, VaccineProduct
from records.rows import insert_objects, unsaved
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


def _doses(citizens, facility, actor) -> list[InjectionRecord]:
    pfizer = VaccineProduct.objects.get(code="pfizer")
    return [InjectionRecord(citizen=c, vaccine=pfizer, dose_number=n + 1, injection_date=date(2021, 9, 1 + n),
                            lot_number=["FK1", "tab\there", ""][n], facility=[facility, None, facility][n],
                            source_record_id=["HIS-1", "", "back\\slash 'q'"][n], created_by=actor)
            for n, c in enumerate(citizens)]


def _stored(ids: list[int]) -> list[dict]:
    rows = InjectionRecord.objects.filter(pk__in=ids).order_by("pk").values()
    return [{k: v for k, v in row.items() if k not in ("id", "created_at")} for row in rows]  # made apart


def _trail(ids: list[int]):
    return AuditEvent.objects.filter(object_type="records.injectionrecord",
                                     object_id__in=[str(i) for i in ids]).order_by("pk")


APART = ("id", "object_id", "at", "block_id", "chain_pos", "chain_hash")  # differ between two writes


def _events(ids: list[int]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in APART}
            | {"after": {k: v for k, v in row["after"].items() if k not in ("id", "created_at")}}
            for row in _trail(ids).values()]


class Undo(Exception):
    pass


def test_the_rows_are_those_bulk_create_writes(clinic_user, hanoi_facility):
    if connection.vendor != "postgresql":
        pytest.skip("column by column on PostgreSQL only (bulk_create itself elsewhere)")
    citizens = [CitizenFactory() for _ in range(3)]
    try:
        with transaction.atomic():
            made = InjectionRecord.objects.bulk_create(_doses(citizens, hanoi_facility, clinic_user))
            AuditEvent.objects.bulk_create([
                AuditEvent(actor=clinic_user, actor_label=clinic_user.get_username(),
                           action="injection.create", object_type="records.injectionrecord",
                           object_id=str(r.pk),
                           after={f.attname: f.value_from_object(r) for f in r._meta.concrete_fields})
                for r in made])
            by_django = _stored([r.pk for r in made]), _events([r.pk for r in made])
            raise Undo
    except Undo:
        pass
    saved = insert_objects(_doses(citizens, hanoi_facility, clinic_user))
    assert all(r.pk and not r._state.adding for r in saved)
    assert record_events(actor=clinic_user, action="injection.create", objs=saved) == 3
    ids = [r.pk for r in saved]
    assert list(_trail(ids).values_list("object_id", flat=True)) == [str(i) for i in ids]
    assert (_stored(ids), _events(ids)) == by_django
    assert [InjectionRecord.objects.get(pk=r.pk).created_at for r in saved] == [r.created_at for r in saved]
    assert [e.after["created_at"] for e in _trail(ids)] == [DjangoJSONEncoder().default(r.created_at)
                                                            for r in saved]
    assert all(e.block_id and e.chain_pos and e.chain_hash for e in _trail(ids))  # the chain's trigger ran


def test_an_unsaved_instance_is_the_one_keywords_make(reference_data, hanoi_facility):
    citizen, pfizer = CitizenFactory(), VaccineProduct.objects.get(code="pfizer")
    values = {"citizen_id": citizen.pk, "vaccine_id": pfizer.pk, "dose_number": 2,
              "injection_date": date(2021, 9, 1), "lot_number": "FK1", "facility_id": hanoi_facility.pk,
              "source_record_id": "HIS-1"}
    fast, usual = unsaved(InjectionRecord, **values), InjectionRecord(**values)
    assert fast._state.adding and fast.pk is None
    assert snapshot(fast) == {**snapshot(usual), "created_at": fast.created_at}  # the clock's own default
    assert fast.status == InjectionRecord.Status.RECORDED and fast.version == 1 and fast.previous_id is None
    with pytest.raises(TypeError, match="citizen"):
        unsaved(InjectionRecord, citizen=citizen)  # by attname only, never silently dropped


def test_a_snapshot_is_every_concrete_fields_value(reference_data, hanoi_facility):
    made = _doses([CitizenFactory()], hanoi_facility, None)[0]
    made.save()
    record = InjectionRecord.objects.get(pk=made.pk)
    every = {f.attname: f.value_from_object(record) for f in InjectionRecord._meta.concrete_fields}
    assert snapshot(record) == every and list(snapshot(record)) == list(every)
    assert snapshot(record, fields=["lot_number", "citizen"]) == {
        "citizen_id": record.citizen_id, "lot_number": "FK1"}
    deferred = InjectionRecord.objects.only("pk").get(pk=record.pk)
    assert snapshot(deferred) == every  # deferred fields read, as value_from_object reads them
