"""Daily figures, read-only: a unit's summary over a period and its stored days, from the stored
figures only (reports.selectors), for provincial officers and the Ministry."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.models import Role
from api.base import ApiView
from api.pagination import ByDay
from api.serializers.reports import DayOut, PeriodIn, UnitSummaryOut
from reports import selectors
from reports.figures import NAMES
from reports.models import DailyFigures

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
