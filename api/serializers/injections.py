from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from api.serializers.fields import vaccine_field
from records.models import InjectionRecord


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


class InjectionOut(serializers.ModelSerializer):
    vaccine = serializers.SlugRelatedField(slug_field="code", read_only=True)
    next_version = serializers.SerializerMethodField()

    class Meta:
        model = InjectionRecord
        fields = ["id", "citizen", "vaccine", "dose_number", "injection_date", "lot_number", "facility",
                  "source", "status", "version", "previous", "next_version", "source_record_id", "created_at"]
        read_only_fields = fields

    def get_next_version(self, record) -> int | None:
        if record.status != InjectionRecord.Status.SUPERSEDED:
            return None
        return InjectionRecord.objects.filter(previous=record).values_list("pk", flat=True).first()
