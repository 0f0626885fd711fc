"""Fields several resources share."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from records import normalize
from records.models import VaccineProduct


@extend_schema_field(OpenApiTypes.STR)
class BirthField(serializers.Field):
    """A date of birth as far as it is known: yyyy-mm-dd, dd/mm/yyyy or a bare year."""

    default_error_messages = {"invalid": _("Write the date of birth as yyyy-mm-dd, dd/mm/yyyy or a year.")}

    def to_internal_value(self, data) -> normalize.BirthDate:
        try:
            return normalize.parse_birth_date(str(data))
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value) -> str:
        return value.value.isoformat() if value.value else str(value.year or "")


def vaccine_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="code", queryset=VaccineProduct.objects.all(),
                                        help_text="The catalogue code (e.g. pfizer, astrazeneca).", **kwargs)
