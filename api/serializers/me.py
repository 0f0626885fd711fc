from rest_framework import serializers


class MeOut(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(help_text="clinic_staff, commune_police, signer, provincial_officer, "
                                 "ministry_analyst")
    scope = serializers.CharField(help_text="facility, ward, province or nation")
    facility = serializers.IntegerField(allow_null=True)
    ward = serializers.IntegerField(allow_null=True)
    province = serializers.IntegerField(allow_null=True)
    api_key = serializers.CharField(allow_null=True, help_text="The key's public prefix, when a key is used.")
