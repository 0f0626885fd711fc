"""An injection record as the API answers it (InjectionOut, a bulk answer's items): read straight
from the record, the very answer DRF's generic serializer gives — every field, in order, for a
current version, a replaced one and its successor, one without facility or lot number."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone
from rest_framework import serializers

from api.serializers.injections import BulkItemOut, BulkOut, InjectionOut
from records.models import InjectionRecord
from tests.factories import CitizenFactory, InjectionRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(reference_data, hanoi_facility):
    first = InjectionRecordFactory(citizen=CitizenFactory(), facility=hanoi_facility,
                                   injection_date=date(2021, 9, 1), source_record_id="HIS-1")
    second = InjectionRecordFactory(citizen=first.citizen, facility=None, lot_number="", previous=first,
                                    version=2, injection_date=date(2021, 9, 2))
    first.status = InjectionRecord.Status.SUPERSEDED
    first.save(update_fields=["status"])
    midnight_utc = InjectionRecordFactory(citizen=CitizenFactory(), facility=hanoi_facility)
    midnight_utc.created_at = datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    midnight_utc.save(update_fields=["created_at"])
    return [InjectionRecord.objects.select_related("vaccine").get(pk=r.pk) for r in (first, second,
                                                                                      midnight_utc)]


def test_each_record_reads_as_drfs_generic_serializer_writes_it(records):
    for record in records:
        direct = InjectionOut(record).data
        generic = serializers.ModelSerializer.to_representation(InjectionOut(), record)
        assert list(direct.items()) == list(generic.items())
    assert InjectionOut(records[0]).data["next_version"] == records[1].pk


def test_a_bulk_answer_reads_as_drfs_generic_serializer_writes_it(records):
    items = [{"index": 0, "status": 201, "record": records[1]},
             {"index": 1, "status": 409,
              "problem": {"type": "urn:x", "status": 409, "errors": [{"field": "a"}], "detail": None}}]
    direct = BulkOut({"recorded": 1, "refused": 1, "items": items}).data
    child = BulkItemOut()
    generic = [serializers.Serializer.to_representation(child, item) for item in items]
    assert [list(i.items()) for i in direct["items"]] == [list(i.items()) for i in generic]


@pytest.mark.parametrize("zone", [None, "UTC", "Europe/Paris"])
def test_many_records_read_in_the_time_zone_active_when_answered(records, zone):
    # A bulk answer's one InjectionOut reads the active time zone once, for all its records: the
    # same times as DRF's generic serializer, which reads it for each.
    with timezone.override(zone) if zone else contextlib.nullcontext():
        direct = BulkOut({"recorded": 3, "refused": 0, "items": [
            {"index": n, "status": 201, "record": record} for n, record in enumerate(records)]}).data
        generic = [serializers.ModelSerializer.to_representation(InjectionOut(), r) for r in records]
    assert [item["record"]["created_at"] for item in direct["items"]] == [g["created_at"] for g in generic]
    if zone == "Europe/Paris":
        assert direct["items"][2]["record"]["created_at"] == "2022-01-01T01:00:00+01:00"
