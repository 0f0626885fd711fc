from __future__ import annotations

from rest_framework import serializers

from reports import exports
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


class FigureExportIn(serializers.Serializer):
    """The export's query, as reports.exports reads it (which checks the unit's scope)."""

    format = serializers.ChoiceField(exports.FORMATS, default="csv", help_text="The file's format.")
    unit_level = serializers.ChoiceField(list(exports.LEVELS), required=False,
                                         help_text="The unit whose units are listed (default: the caller's "
                                                   "province, or the nation).")
    unit_code = serializers.IntegerField(required=False, min_value=0,
                                         help_text="Its code: province or ward code, facility id; 0 for the "
                                                   "nation.")
    level = serializers.ChoiceField(list(exports.LEVELS), required=False,
                                    help_text="The level listed, the unit's own or below (default: the next "
                                              "one below).")
    start = serializers.DateField(required=False,
                                  help_text="First local day (default: 29 days before the end).")
    end = serializers.DateField(required=False, help_text="Last local day (default: today).")
    lang = serializers.ChoiceField(exports.LANGS, default="vi", help_text="Language of the CSV/XLSX headers.")


class PoliceExportIn(serializers.Serializer):
    format = serializers.ChoiceField(exports.POLICE_FORMATS, default="csv", help_text="The file's format.")
    start = serializers.DateField(required=False,
                                  help_text="First local day (default: 13 days before the end).")
    end = serializers.DateField(required=False, help_text="Last local day (default: today); at most 92 days.")
    lang = serializers.ChoiceField(exports.LANGS, default="vi", help_text="Language of the headers.")


class ExportRowOut(serializers.Serializer):
    """One object of the JSON export: a unit's stored figures of one day."""

    day = serializers.DateField()
    level = serializers.ChoiceField(list(exports.LEVELS))
    unit = serializers.IntegerField(help_text="The unit's code (0 for the nation, a facility's id).")
    orgUnit = serializers.CharField(help_text="The unit's ADX/DHIS2 code: VN, P01, W00070, F123.")  # noqa: N815
    name = serializers.CharField()
    province = serializers.IntegerField(allow_null=True)
    ward = serializers.IntegerField(allow_null=True)
    figures = FiguresField(help_text="Every stored figure by its machine name.")
    derived = FiguresField(help_text="coverage_dose1, coverage_dose2, dropout_1_2.")
