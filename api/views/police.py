"""Commune police: the ward's queue, "next case", a case with the registry's answer, decisions,
releasing a claim and bulk confirmation, through the police services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts.models import Role
from api.base import ApiView, PostView
from api.pagination import OldestFirst
from api.serializers import police as shapes
from verification.police import selectors, services

POLICE = frozenset({Role.COMMUNE_POLICE})


def _detail(case) -> dict:
    return shapes.PoliceCaseDetailOut({
        "id": case.pk, "tracking_code": case.tracking_code, "status": case.status,
        "claimed": {**services.claimed_identity(case), "id_number": case.id_number},
        "registry_answer": selectors.registry_answer(case=case),
        "claimed_by": case.claimed_by_id, "claim_expires_at": case.claim_expires_at}).data


class PoliceQueue(ApiView):
    roles = POLICE
    serializer_class = shapes.PoliceCaseOut
    pagination_class = OldestFirst

    @extend_schema(operation_id="police_queue", summary="The ward's cases awaiting police, oldest first "
                   "(POST /police/next/ takes them in priority order)")
    def get(self, request):
        page = self.paginate_queryset(selectors.police_queue(scope=self.scope))
        rows = selectors.with_waiting_since(page)
        return self.get_paginated_response(shapes.PoliceCaseOut(rows, many=True).data)


class PoliceNext(PostView):
    roles = POLICE
    serializer_class = shapes.PoliceCaseDetailOut
    input_serializer = None

    @extend_schema(operation_id="police_next", summary="Claim the next case for 15 minutes",
                   responses={200: shapes.PoliceCaseDetailOut,
                              204: OpenApiResponse(description="The queue is empty.")})
    def post(self, request):
        return super().post(request)

    def perform_post(self, request):
        case = services.case_claim_next(officer=request.user)
        return Response(_detail(case)) if case else Response(status=status.HTTP_204_NO_CONTENT)


class PoliceCase(ApiView):
    roles = POLICE
    serializer_class = shapes.PoliceCaseDetailOut

    @extend_schema(operation_id="police_case_read", summary="A case of the ward with the registry's answer")
    def get(self, request, pk: int):
        return Response(_detail(selectors.case_for_police(scope=self.scope, pk=pk)))


class PoliceDecision(PostView):
    roles = POLICE
    serializer_class = shapes.DecisionOut
    input_serializer = shapes.DecisionIn

    @extend_schema(operation_id="police_decide", summary="Confirm, mismatch (with the correct values), "
                   "not found or foreign national", responses={201: shapes.DecisionOut})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform_post(self, request, pk: int):
        case = selectors.case_for_police(scope=self.scope, pk=pk)
        data = self.parsed(shapes.DecisionIn)
        values = {name: data.get(name) for name in ("full_name", "date_of_birth", "sex", "id_number")}
        verification = services.police_decide(officer=request.user, case_id=case.pk, outcome=data["outcome"],
                                              note=data["note"], correct_values=values)
        verification.case.refresh_from_db()
        out = shapes.DecisionOut({"verification": verification, "case_status": verification.case.status})
        return Response(out.data, status=status.HTTP_201_CREATED)


class PoliceRelease(PostView):
    roles = POLICE
    serializer_class = shapes.PoliceCaseDetailOut
    input_serializer = None

    @extend_schema(operation_id="police_release", summary="Give a claimed case back to the queue",
                   responses={200: shapes.PoliceCaseDetailOut})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform_post(self, request, pk: int):
        case = selectors.case_for_police(scope=self.scope, pk=pk)
        services.case_release(officer=request.user, case_id=case.pk)
        return Response(_detail(selectors.case_for_police(scope=self.scope, pk=pk)))


class PoliceBulkConfirm(PostView):
    roles = POLICE
    serializer_class = shapes.BulkConfirmOut
    input_serializer = shapes.BulkConfirmIn

    @extend_schema(operation_id="police_bulk_confirm", summary="Confirm cases the registry matched exactly",
                   responses={200: shapes.BulkConfirmOut})
    def post(self, request):
        return super().post(request)

    def perform_post(self, request):
        data = self.parsed(shapes.BulkConfirmIn)
        result = services.police_bulk_confirm(officer=request.user, case_ids=data["cases"], note=data["note"])
        out = shapes.BulkConfirmOut({"confirmed": result.confirmed, "skipped": result.skipped})
        return Response(out.data)
