from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from records.models import Citizen
from verification.models import PoliceVerification, ReconciliationCase


class PoliceCaseOut(serializers.ModelSerializer):
    """A case in the ward's queue (CCCD masked, as the queue page shows it)."""

    id_number_masked = serializers.CharField(source="masked_id")
    registry_outcome = serializers.CharField(allow_null=True, read_only=True,
                                             help_text="The registry's answer this round, if any.")
    waiting_since = serializers.DateTimeField(read_only=True)

    class Meta:
        model = ReconciliationCase
        fields = ["id", "tracking_code", "status", "full_name", "date_of_birth", "birth_year", "sex",
                  "id_number_masked", "ward", "registry_outcome", "waiting_since", "claimed_by",
                  "claim_expires_at"]
        read_only_fields = fields


class VerificationOut(serializers.ModelSerializer):
    class Meta:
        model = PoliceVerification
        fields = ["reference", "source", "outcome", "registry_values", "differing_fields", "officer", "note",
                  "at"]
        read_only_fields = fields


class IdentityOut(serializers.Serializer):
    full_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    birth_year = serializers.IntegerField()
    sex = serializers.CharField()
    id_number = serializers.CharField()


class PoliceCaseDetailOut(serializers.Serializer):
    """The case page of an officer: the four claimed fields and the registry's answer this round."""

    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    claimed = IdentityOut()
    registry_answer = VerificationOut(allow_null=True)
    claimed_by = serializers.IntegerField(allow_null=True)
    claim_expires_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(examples=[OpenApiExample("A wrong birth date", request_only=True, value={
    "outcome": "mismatch", "note": "Sai ngày sinh", "date_of_birth": "1991-03-21"})])
class DecisionIn(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=PoliceVerification.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=150,
                                      help_text="Mismatch: the correct value, when it differs.")
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    sex = serializers.ChoiceField(choices=Citizen.Sex.choices, required=False)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=14)


class DecisionOut(serializers.Serializer):
    verification = VerificationOut()
    case_status = serializers.CharField()


@extend_schema_serializer(examples=[OpenApiExample("Three matches", request_only=True, value={
    "cases": [811, 812, 815], "note": ""})])
class BulkConfirmIn(serializers.Serializer):
    cases = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=500)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class BulkConfirmOut(serializers.Serializer):
    confirmed = serializers.ListField(child=serializers.IntegerField())
    skipped = serializers.ListField(child=serializers.IntegerField())
