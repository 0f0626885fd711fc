"""Daily figures, read-only: a unit's summary over a period and its stored days, from the stored
figures only (reports.selectors), and the exports of the reports room's export page (figures as
CSV, XLSX, JSON or ADX; the police daily report as CSV or XLSX, reports.exports), for provincial
officers and the Ministry (the police report also for commune police), each in the caller's scope."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.models import Role
from api.base import ApiView
from api.pagination import ByDay
from api.renderers import DOWNLOADS
from api.serializers.reports import (
    DayOut,
    ExportRowOut,
    FigureExportIn,
    PeriodIn,
    PoliceExportIn,
    UnitSummaryOut,
)
from reports import exports, selectors
from reports.figures import NAMES
from reports.models import DailyFigures
from reports.views.exports import download
from verification.police.views import REPORT_ROLES, report_cells, report_from_request

REPORTERS = frozenset({Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST})


class UnitSummary(ApiView):
    roles = REPORTERS
    serializer_class = UnitSummaryOut

    @extend_schema(operation_id="reports_unit_summary", parameters=[PeriodIn],
                   summary="A unit's figures over a period (nation, province, commune or facility in scope)")
    def get(self, request, level: int, code: int):
        unit = selectors.unit_in_scope(scope=self.scope, level=level, code=code)
        period = self.parsed(PeriodIn, data=request.query_params)
        return Response(UnitSummaryOut({"unit": unit, **period,
                                        "figures": selectors.unit_summary(unit=unit, **period)}).data)


class UnitDays(ApiView):
    roles = REPORTERS
    serializer_class = DayOut
    pagination_class = ByDay
    queryset = DailyFigures.objects.none()  # the model, for the schema; rows come from rows_for

    @extend_schema(operation_id="reports_unit_days", parameters=[PeriodIn], responses=DayOut(many=True),
                   summary="A unit's stored figures, one row per built day")
    def get(self, request, level: int, code: int):
        unit = selectors.unit_in_scope(scope=self.scope, level=level, code=code)
        period = self.parsed(PeriodIn, data=request.query_params)
        page = self.paginate_queryset(selectors.rows_for(unit=unit, **period))
        return self.get_paginated_response(DayOut(
            [{"day": row.day, "figures": {name: getattr(row, name) for name in NAMES}} for row in page],
            many=True).data)


def _files(*formats: str) -> dict:
    """The download of each format: a file, the JSON a list of day-unit objects."""
    return {(200, exports.CONTENT_TYPES[f].split(";")[0]): ExportRowOut(many=True) if f == "json"
            else OpenApiTypes.BINARY for f in formats}


class FigureExport(ApiView):
    roles = REPORTERS
    names_unit_in_query = True  # a unit outside the scope is 404 (documented by api.schema)
    renderer_classes = DOWNLOADS
    serializer_class = None
    pagination_class = None  # a whole file, streamed

    @extend_schema(operation_id="reports_export_figures", parameters=[FigureExportIn],
                   responses=_files(*exports.FORMATS),
                   summary="The stored daily figures of the units of a level inside a unit in scope, "
                           "one row per day and unit, as a file (the export page's download)")
    def get(self, request):
        self.parsed(FigureExportIn, data=request.query_params)  # documents and checks the types
        export = exports.figure_export_from(request.query_params, scope=self.scope)
        return download(exports.figure_file(scope=self.scope, export=export), filename=export.filename,
                        content_type=export.content_type)


class PoliceExport(ApiView):
    roles = frozenset(REPORT_ROLES)
    renderer_classes = DOWNLOADS
    serializer_class = None
    pagination_class = None  # a whole file, streamed

    @extend_schema(operation_id="reports_export_police", parameters=[PoliceExportIn],
                   responses=_files(*exports.POLICE_FORMATS),
                   summary="The police daily verification report of the caller's scope, as a file")
    def get(self, request):
        self.parsed(PoliceExportIn, data=request.query_params)
        fmt, lang = exports.police_format_from(request.query_params), exports.lang_from(request.query_params)
        _form, report = report_from_request(request)
        return download(exports.police_file(report=report, cells=report_cells, fmt=fmt, lang=lang),
                        filename=exports.police_filename(scope=self.scope, report=report, fmt=fmt),
                        content_type=exports.CONTENT_TYPES[fmt])
