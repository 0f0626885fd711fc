from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from api.serializers.fields import BirthField, vaccine_field
from records.models import Citizen
from verification import workflow
from verification.models import ClaimedDose, ReconciliationCase


class ClaimedDoseOut(serializers.ModelSerializer):
    vaccine = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ClaimedDose
        fields = ["vaccine", "vaccine_text", "dose_number", "injection_date", "lot_number", "facility",
                  "injection"]
        read_only_fields = fields


class CaseOut(serializers.ModelSerializer):
    """A case as staff see it: CCCD and phone masked, the workflow steps the caller may take."""

    id_number_masked = serializers.CharField(source="masked_id")
    phone_masked = serializers.CharField(source="masked_phone")
    claimed_doses = ClaimedDoseOut(many=True, read_only=True)
    injections = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    reject_reason = serializers.CharField(read_only=True, help_text="One of the reject reasons, or empty.")
    transitions = serializers.SerializerMethodField(help_text="Workflow transitions open to the caller now.")

    class Meta:
        model = ReconciliationCase
        fields = ["id", "tracking_code", "origin", "status", "full_name", "date_of_birth", "birth_year",
                  "sex", "id_number_masked", "phone_masked", "nationality", "ward", "facility", "citizen",
                  "injections", "claimed_doses", "reject_reason", "reject_note", "info_request",
                  "police_values", "submitted_at", "deadline_at", "updated_at", "closed_at", "transitions"]
        read_only_fields = fields

    def get_transitions(self, case) -> list[str]:
        role = self.context.get("role", "")
        return [t.name for t in workflow.allowed_transitions(case.status, role)]


@extend_schema_serializer(examples=[OpenApiExample("A person at the desk", request_only=True, value={
    "full_name": "Trần Thị Lan", "date_of_birth": "1991-03-12", "sex": "F",
    "id_number": "001191004567", "phone": "0912345678", "vaccine": "astrazeneca", "dose_number": 2,
    "injection_date": "2021-10-02", "lot_number": "NJ0342"})])
class CaseCreateIn(serializers.Serializer):
    """A person at the clinic's desk: their identity as on the CCCD and the dose they claim."""

    full_name = serializers.CharField(max_length=150)
    date_of_birth = BirthField(help_text="yyyy-mm-dd, dd/mm/yyyy or a year")
    sex = serializers.ChoiceField(choices=Citizen.Sex.choices)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=14, default="")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=16, default="")
    ward = serializers.IntegerField(required=False, help_text="Commune code; the facility's by default.")
    vaccine = vaccine_field()
    dose_number = serializers.IntegerField(min_value=1, max_value=20)
    injection_date = serializers.DateField()
    lot_number = serializers.CharField(required=False, allow_blank=True, max_length=30, default="")


class RegistrySearchIn(serializers.Serializer):
    """The registry searched as the case page searches it: a whole CCCD/CMND, a phone, or a name
    with its date of birth (a partial key finds nothing: the registry is not browsed)."""

    cccd = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None,
                                          input_formats=["iso-8601", "%d/%m/%Y"])

    def validate(self, attrs):
        if bool(attrs.get("full_name")) != bool(attrs.get("date_of_birth")):
            raise serializers.ValidationError(
                {"full_name": _("A name is searched with its date of birth: give both.")})
        if not any(attrs.get(name) for name in ("cccd", "phone", "full_name")):
            raise serializers.ValidationError(
                {"cccd": _("Give a CCCD/CMND, a phone, or a name with its date of birth.")})
        return attrs


@extend_schema_serializer(examples=[
    OpenApiExample("A candidate", request_only=True, value={"citizen": 1024}),
    OpenApiExample("A citizen the registry search found", request_only=True, value={
        "citizen": 2048, "search": {"cccd": "001191004567"}})])
class CitizenChoiceIn(serializers.Serializer):
    citizen = serializers.IntegerField(min_value=1, help_text="One of the case's candidates, or a citizen "
                                                              "`search` finds.")
    search = RegistrySearchIn(required=False, help_text="The registry search that found `citizen` (as on "
                                                        "the case page): it is run again, the citizen scored "
                                                        "with the candidates, and the search's keys kept in "
                                                        "the audit.")
    confirm = serializers.BooleanField(
        required=False, default=False,
        help_text="Required (true) when the citizen differs from the claim in date of birth, CCCD/CMND or "
                  "commune/ward: the person at the desk checked the papers.")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default="",
        help_text="Why this is the same person although those fields differ (required with confirm).")


@extend_schema_serializer(examples=[OpenApiExample("A new person", request_only=True, value={
    "full_name": "Trần Thị Lan", "date_of_birth": "12/03/1991", "sex": "F",
    "id_number": "001191004567", "phone": "0912345678"})])
class CitizenCreateIn(serializers.Serializer):
    full_name = serializers.CharField(max_length=150)
    date_of_birth = BirthField()
    sex = serializers.ChoiceField(choices=Citizen.Sex.choices)
    id_number = serializers.CharField(max_length=14, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")


@extend_schema_serializer(examples=[OpenApiExample("The identity as on the CCCD", request_only=True, value={
    "full_name": "Trần Thị Lan", "date_of_birth": "1991-03-12", "sex": "F",
    "id_number": "001191004567"})])
class IdentityIn(serializers.Serializer):
    full_name = serializers.CharField(max_length=150)
    date_of_birth = BirthField()
    sex = serializers.ChoiceField(choices=Citizen.Sex.choices)
    id_number = serializers.CharField(max_length=14, required=False, allow_blank=True, default="")


@extend_schema_serializer(examples=[OpenApiExample("The missing dose", request_only=True, value={
    "vaccine": "astrazeneca", "dose_number": 2, "injection_date": "2021-10-02", "lot_number": "NJ0342"})])
class DoseIn(serializers.Serializer):
    vaccine = vaccine_field()
    dose_number = serializers.IntegerField(min_value=1, max_value=20)
    injection_date = serializers.DateField()
    lot_number = serializers.CharField(required=False, allow_blank=True, max_length=30, default="")
    facility = serializers.IntegerField(required=False, help_text="Where it was given (id); the caller's by "
                                        "default.")


@extend_schema_serializer(examples=[OpenApiExample("A dose on the platform", request_only=True, value={
    "injection": 52731})])
class DoseChoiceIn(serializers.Serializer):
    injection = serializers.IntegerField(min_value=1, help_text="A current dose of the linked citizen.")


@extend_schema_serializer(examples=[OpenApiExample("The dose corrected", request_only=True, value={
    "injection": 52731, "vaccine": "astrazeneca", "dose_number": 2, "injection_date": "2021-10-02",
    "lot_number": "NJ0342"})])
class DoseCorrectionIn(DoseIn):
    injection = serializers.IntegerField(min_value=1, help_text="The dose (current version) to correct.")


@extend_schema_serializer(examples=[OpenApiExample("No such injection", request_only=True, value={
    "reason": "no_injection", "note": ""})])
class RejectIn(serializers.Serializer):
    reason = serializers.ChoiceField(choices=workflow.RejectReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


@extend_schema_serializer(examples=[OpenApiExample("Ask for the slip", request_only=True, value={
    "message": "Vui lòng gửi ảnh phiếu tiêm rõ nét."})])
class RequestInfoIn(serializers.Serializer):
    message = serializers.CharField(max_length=2000)


class CaseFilterIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=workflow.CaseStatus.choices, required=False)
    search = serializers.CharField(required=False, max_length=100,
                                   help_text="Tracking code, CCCD/CMND, phone, or part of a name.")
    submitted_from = serializers.DateField(required=False)
    submitted_to = serializers.DateField(required=False)
