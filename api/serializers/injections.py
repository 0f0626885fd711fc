from __future__ import annotations

import re

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from api.serializers.fields import FieldsBuiltOnce, vaccine_field
from records.models import InjectionRecord

_CCCD = re.compile(r"^\d{12}$")  # the `cccd` field's pattern, searched as its RegexValidator does
# What DRF's CharField refuses besides length: NUL (ProhibitNullCharactersValidator) and surrogates.
_REFUSED_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


@extend_schema_serializer(examples=[OpenApiExample("A booster by CCCD", request_only=True, value={
    "cccd": "001191004567", "vaccine": "pfizer", "dose_number": 3, "injection_date": "2022-03-15",
    "lot_number": "FK5127", "source_record_id": "HIS-2022-000187"})])
class InjectionCreateIn(serializers.Serializer):
    """A dose given at the caller's facility. The person by CCCD, or by a citizen id in scope."""

    cccd = serializers.RegexField(r"^\d{12}$", required=False)
    citizen = serializers.IntegerField(required=False, min_value=1)
    vaccine = vaccine_field()
    dose_number = serializers.IntegerField(min_value=1, max_value=20)
    injection_date = serializers.DateField()
    lot_number = serializers.CharField(required=False, allow_blank=True, max_length=30, default="")
    source_record_id = serializers.CharField(required=False, allow_blank=True, max_length=64, default="",
                                             help_text="The facility software's own id of the row.")

    def checked(self, item) -> dict:
        """`run_validation(item)`: the validated data, or its ValidationError. A bulk request checks
        a thousand items with one instance; an item whose every value is plainly right (the types
        JSON gives, each in its field's range) is checked here directly, to the same validated data
        (tests/api/test_injection_checked.py holds the two equal); any other goes through DRF, so
        every refusal is DRF's own. DRF's per-field machinery was the largest cost of a bulk request."""
        plain = self._plainly_valid(item) if type(item) is dict else None
        return plain if plain is not None else self.run_validation(item)

    def _plainly_valid(self, item: dict) -> dict | None:
        fields, out = self.fields, {}
        if "cccd" in item:
            cccd = item["cccd"]
            if type(cccd) is not str or not _CCCD.search(cccd := cccd.strip()):
                return None
            out["cccd"] = cccd
        if "citizen" in item:
            citizen = item["citizen"]
            if type(citizen) is not int or citizen < fields["citizen"].min_value:
                return None
            out["citizen"] = citizen
        vaccine, number, day = item.get("vaccine"), item.get("dose_number"), item.get("injection_date")
        if type(vaccine) is not str or type(number) is not int or type(day) is not str:
            return None
        if not fields["dose_number"].min_value <= number <= fields["dose_number"].max_value:
            return None
        try:
            out["vaccine"], out["dose_number"], out["injection_date"] = (
                fields["vaccine"].known(vaccine), number, parse_date(day))
        except (ValueError, TypeError):
            return None
        if out["vaccine"] is None or out["injection_date"] is None:
            return None
        for name in ("lot_number", "source_record_id"):
            text = item.get(name, "")
            if type(text) is not str or len(text := text.strip()) > fields[name].max_length:
                return None
            if _REFUSED_CHARACTERS.search(text):
                return None
            out[name] = text
        return out


@extend_schema_serializer(examples=[OpenApiExample("The lot number corrected", request_only=True, value={
    "lot_number": "FK5128"})])
class InjectionCorrectIn(serializers.Serializer):
    """The fields to correct; the others stay as they are."""

    vaccine = vaccine_field(required=False)
    dose_number = serializers.IntegerField(min_value=1, max_value=20, required=False)
    injection_date = serializers.DateField(required=False)
    lot_number = serializers.CharField(required=False, allow_blank=True, max_length=30)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Name at least one field to correct."))
        return attrs


class InjectionOut(FieldsBuiltOnce, serializers.ModelSerializer):
    vaccine = serializers.SlugRelatedField(slug_field="code", read_only=True)
    next_version = serializers.SerializerMethodField()

    class Meta:
        model = InjectionRecord
        fields = ["id", "citizen", "vaccine", "dose_number", "injection_date", "lot_number", "facility",
                  "source", "status", "version", "previous", "next_version", "source_record_id", "created_at"]
        read_only_fields = fields

    def to_representation(self, record) -> dict:
        # DRF's own answer for these fields (ModelSerializer.to_representation; held equal, keys in
        # order, by tests/api/test_injection_out.py), read straight from the record: a bulk answer
        # serialises a thousand. The time goes through a DRF field like the one ModelSerializer
        # builds (its time zone and format, both read per call), not this instance's fields: building
        # those (fourteen, copied from the class's) was a fifth of a one-record answer's CPU. The
        # field is given the time zone active when this instance answers first (the one DRF's
        # would read for every record): a bulk answer of a thousand reads it once.
        created = self.__dict__.get("_created_at") or self._time_field()
        return {
            "id": record.pk, "citizen": record.citizen_id,
            "vaccine": record.vaccine.code if record.vaccine_id is not None else None,
            "dose_number": record.dose_number,
            "injection_date": record.injection_date.isoformat() if record.injection_date else None,
            "lot_number": record.lot_number, "facility": record.facility_id, "source": record.source,
            "status": record.status, "version": record.version, "previous": record.previous_id,
            "next_version": self.get_next_version(record), "source_record_id": record.source_record_id,
            "created_at": created.to_representation(record.created_at) if record.created_at else None,
        }

    def _time_field(self) -> serializers.DateTimeField:
        field = serializers.DateTimeField(read_only=True)  # as ModelSerializer builds `created_at`
        field.timezone = field.default_timezone()  # what it reads per call, read now
        self._created_at = field
        return field

    def get_next_version(self, record) -> int | None:
        if record.status != InjectionRecord.Status.SUPERSEDED:
            return None
        return InjectionRecord.objects.filter(previous=record).values_list("pk", flat=True).first()


BULK_MAX = 1000


class ObjectField(serializers.DictField):
    """DictField (of any values): each item as JSON gave it, keys as text. DictField passes every
    value of every item through a child field that checks nothing (allows null, no validators, the
    value returned as given); a thousand items' seven values each are taken as they are instead."""

    def run_child_validation(self, data):
        return {str(key): value for key, value in data.items()}


@extend_schema_serializer(examples=[OpenApiExample("Two doses", request_only=True, value={"records": [
    {"cccd": "001191004567", "vaccine": "pfizer", "dose_number": 3, "injection_date": "2022-03-15",
     "lot_number": "FK5127"},
    {"citizen": 1024, "vaccine": "moderna", "dose_number": 1, "injection_date": "2021-09-20",
     "lot_number": "3002183"}]})])
class InjectionBulkIn(serializers.Serializer):
    """Up to 1,000 doses; each is checked and recorded on its own (all or nothing per dose)."""

    records = serializers.ListField(child=ObjectField(), min_length=1, max_length=BULK_MAX,
                                    help_text="Each item has the fields of POST /api/v1/injections/.")


class BulkItemOut(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's place in `records`, from 0.")
    status = serializers.IntegerField(help_text="201 when recorded, else the status of its problem.")
    record = InjectionOut(required=False, help_text="The recorded dose (status 201).")
    problem = serializers.DictField(required=False, help_text="Problem details of a refused item.")

    def to_representation(self, item: dict) -> dict:
        # Serializer.to_representation's answer (an absent record or problem left out), directly.
        out = {"index": item["index"], "status": item["status"]}
        if "record" in item:
            out["record"] = None if item["record"] is None else self.fields["record"].to_representation(
                item["record"])
        if "problem" in item:
            out["problem"] = None if item["problem"] is None else {
                str(k): v for k, v in item["problem"].items()}
        return out


class BulkOut(serializers.Serializer):
    recorded = serializers.IntegerField()
    refused = serializers.IntegerField()
    items = BulkItemOut(many=True)
