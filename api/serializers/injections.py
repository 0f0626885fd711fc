from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from api.serializers.fields import FieldsBuiltOnce, vaccine_field
from records.models import InjectionRecord


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
        # serialises a thousand. The time goes through DRF's field (its time zone and format).
        created = self.fields["created_at"]
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

    def get_next_version(self, record) -> int | None:
        if record.status != InjectionRecord.Status.SUPERSEDED:
            return None
        return InjectionRecord.objects.filter(previous=record).values_list("pk", flat=True).first()


BULK_MAX = 1000


@extend_schema_serializer(examples=[OpenApiExample("Two doses", request_only=True, value={"records": [
    {"cccd": "001191004567", "vaccine": "pfizer", "dose_number": 3, "injection_date": "2022-03-15",
     "lot_number": "FK5127"},
    {"citizen": 1024, "vaccine": "moderna", "dose_number": 1, "injection_date": "2021-09-20",
     "lot_number": "3002183"}]})])
class InjectionBulkIn(serializers.Serializer):
    """Up to 1,000 doses; each is checked and recorded on its own (all or nothing per dose)."""

    records = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=BULK_MAX,
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
