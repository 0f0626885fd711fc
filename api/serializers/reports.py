from __future__ import annotations

from rest_framework import serializers

from reports.figures import NAMES
from reports.selectors import check_range


class PeriodIn(serializers.Serializer):
    start = serializers.DateField(help_text="First local day (yyyy-mm-dd).")
    end = serializers.DateField(help_text="Last local day, at most 400 days after the start.")

    def validate(self, attrs):
        check_range(attrs["start"], attrs["end"])
        return attrs


class UnitOut(serializers.Serializer):
    level = serializers.IntegerField(help_text="0 nation, 1 province, 2 commune/ward, 3 facility")
    code = serializers.IntegerField()
    name = serializers.CharField()


class FiguresField(serializers.DictField):
    child = serializers.FloatField(allow_null=True)


class UnitSummaryOut(serializers.Serializer):
    unit = UnitOut()
    start = serializers.DateField()
    end = serializers.DateField()
    figures = FiguresField(help_text="Every figure of the catalogue over the period (flows summed, stocks "
                           f"as of the last day) and the ratios: {', '.join(NAMES)}.")


class DayOut(serializers.Serializer):
    day = serializers.DateField()
    figures = FiguresField()
