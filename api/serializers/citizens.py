from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers


class CitizenLookupIn(serializers.Serializer):
    """By CCCD (or old CMND) number, or by full name and date of birth."""

    cccd = serializers.RegexField(r"^\d{9}(\d{3})?$", required=False,
                                  help_text="12-digit CCCD or 9-digit CMND.")
    full_name = serializers.CharField(required=False, max_length=150)
    date_of_birth = serializers.DateField(required=False)

    def validate(self, attrs):
        if not attrs.get("cccd") and not (attrs.get("full_name") and attrs.get("date_of_birth")):
            raise serializers.ValidationError(
                {"cccd": [_("Give a CCCD number, or a full name and a date of birth.")]})
        return attrs


class CitizenOut(serializers.Serializer):
    """A citizen as lists show one: CCCD and phone masked."""

    id = serializers.IntegerField()
    full_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    birth_year = serializers.IntegerField()
    sex = serializers.CharField()
    cccd_masked = serializers.CharField(source="masked_cccd")
    phone_masked = serializers.CharField(source="masked_phone")
    ward = serializers.IntegerField(source="ward_id", allow_null=True)
    nationality = serializers.CharField()
