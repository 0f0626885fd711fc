"""django-filter sets of the API's lists (applied to the scoped selector's queryset)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext as _

from records.models import InjectionRecord, VaccineProduct
from verification.models import ImportJob


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (NumberFilter takes decimals: `?dose_number=0.5`)."""

    field_class = forms.IntegerField


class StrictFilterSet(django_filters.FilterSet):
    """An empty value (`?status=`) is refused like a wrong one (400 naming it), not read as no filter."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self.filters:
            if self.data.get(name) == "":
                self.form.add_error(name, _("Give a value, or leave the parameter out."))
        return valid and not self.form.errors


class InjectionFilter(StrictFilterSet):
    vaccine = django_filters.ModelChoiceFilter(field_name="vaccine", to_field_name="code",
                                               queryset=VaccineProduct.objects.all())
    injection_date_from = django_filters.DateFilter(field_name="injection_date", lookup_expr="gte")
    injection_date_to = django_filters.DateFilter(field_name="injection_date", lookup_expr="lte")
    created_from = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    dose_number = IntegerFilter(field_name="dose_number")

    class Meta:
        model = InjectionRecord
        fields = ["citizen", "status", "source_record_id"]


class ImportJobFilter(StrictFilterSet):
    class Meta:
        model = ImportJob
        fields = ["status"]
