"""Fields several resources share."""

from __future__ import annotations

import copy

from django.utils.encoding import smart_str
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


class VaccineCodeField(serializers.SlugRelatedField):
    """A vaccine by its catalogue code. The catalogue (a dozen rows) is read once per field
    instance, so a bulk request's one serializer checks every item's vaccine with one query; the
    answers, refusals included, are SlugRelatedField's."""

    def to_internal_value(self, data):
        if not isinstance(data, (str, int)) or isinstance(data, bool):
            return super().to_internal_value(data)  # its own refusal of a value of another type
        product = self.known(str(data))
        if product is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))
        return product

    def known(self, code: str):
        """The product of this code in the catalogue, or None."""
        return self.catalogue().get(code)

    def catalogue(self) -> dict:
        """Code -> product: the catalogue as this field read it (reading it the first time)."""
        if getattr(self, "_catalogue", None) is None:
            self._catalogue = {v.code: v for v in self.get_queryset().order_by()}  # by code: in no order
        return self._catalogue


def vaccine_field(**kwargs) -> serializers.SlugRelatedField:
    return VaccineCodeField(slug_field="code", queryset=VaccineProduct.objects.all(),
                            help_text="The catalogue code (e.g. pfizer, astrazeneca).", **kwargs)


# A ModelSerializer mixin: the fields DRF builds from the model for every instance (reading the
# model's fields, choices, validators: most of a one-record answer's serializing time) are built
# once per class and copied for each instance, as DRF copies declared fields. (No docstring: the
# schema would take it as the description of every serializer using it.)
class FieldsBuiltOnce:
    def get_fields(self):
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built
        return copy.deepcopy(built)
