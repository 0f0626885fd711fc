from __future__ import annotations

from rest_framework import serializers


class CheckOut(serializers.Serializer):
    name = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True)


class SignatureReportOut(serializers.Serializer):
    signature_id = serializers.IntegerField()
    record_id = serializers.IntegerField()
    status = serializers.CharField()
    signed_by = serializers.CharField()
    signing_time = serializers.DateTimeField()
    certificate = serializers.CharField()
    checks = CheckOut(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    ok = serializers.BooleanField()


class RecordSignaturesOut(serializers.Serializer):
    record = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    ok = serializers.BooleanField(help_text="True when the record has signatures and every check passed.")
    signatures = SignatureReportOut(many=True)
