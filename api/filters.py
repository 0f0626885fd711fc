"""django-filter sets of the API's lists (applied to the scoped selector's queryset)."""

from __future__ import annotations

import django_filters

from records.models import InjectionRecord, VaccineProduct
from verification.models import ImportJob


class InjectionFilter(django_filters.FilterSet):
    vaccine = django_filters.ModelChoiceFilter(field_name="vaccine", to_field_name="code",
                                               queryset=VaccineProduct.objects.all())
    injection_date_from = django_filters.DateFilter(field_name="injection_date", lookup_expr="gte")
    injection_date_to = django_filters.DateFilter(field_name="injection_date", lookup_expr="lte")
    created_from = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = InjectionRecord
        fields = ["citizen", "status", "dose_number", "source_record_id"]


class ImportJobFilter(django_filters.FilterSet):
    class Meta:
        model = ImportJob
        fields = ["status"]
