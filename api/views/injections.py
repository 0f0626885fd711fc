"""Injection records of a facility's software: list, record, read (ETag), correct (If-Match)."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import Role
from api.base import ApiView, PostView
from api.concurrency import check_if_match, etag_of
from api.filters import InjectionFilter
from api.serializers.injections import (
    BulkOut,
    InjectionBulkIn,
    InjectionCorrectIn,
    InjectionCreateIn,
    InjectionOut,
)
from records.selectors import injection_in_scope, injections_in_scope
from vaxrecon.errors import DomainError, api_exception_handler
from verification.services import dose_correct, dose_record

READERS = frozenset({Role.CLINIC_STAFF, Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST})
WRITERS = frozenset({Role.CLINIC_STAFF})


def _with_etag(record, *, status_code=status.HTTP_200_OK, created=False) -> Response:
    data = InjectionOut(record).data
    headers = {"ETag": etag_of(data)}
    if created:
        headers["Location"] = reverse("api:injection", args=[record.pk])
    return Response(data, status=status_code, headers=headers)


class InjectionList(PostView):
    roles, write_roles = READERS, WRITERS
    serializer_class = InjectionOut
    filterset_class = InjectionFilter

    def get_queryset(self):
        return injections_in_scope(scope=self.scope, current_only=False)

    @extend_schema(operation_id="injections_list", summary="Injection records given in scope (every version)",
                   responses=InjectionOut(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(InjectionOut(page, many=True).data)

    @extend_schema(operation_id="injections_create", summary="Record a dose given at the caller's facility",
                   request=InjectionCreateIn, responses={201: InjectionOut})
    def post(self, request):
        return super().post(request)

    def perform_post(self, request):
        record = _record(request, self.parsed(InjectionCreateIn))
        return _with_etag(record, status_code=status.HTTP_201_CREATED, created=True)


def _record(request, data: dict):
    """One checked dose (InjectionCreateIn's data) to `dose_record`, acting as the caller."""
    return dose_record(actor=request.user, citizen_id=data.get("citizen"), cccd=data.get("cccd", ""),
                       vaccine=data["vaccine"], dose_number=data["dose_number"],
                       injection_date=data["injection_date"], lot_number=data["lot_number"],
                       source_record_id=data["source_record_id"])


def _one_of_many(request, item: dict) -> tuple[int, dict]:
    """Record one item of a bulk request in its own savepoint: (201, the record) or (status, problem)."""
    serializer = InjectionCreateIn(data=item)
    try:
        with transaction.atomic():
            serializer.is_valid(raise_exception=True)
            record = _record(request, serializer.validated_data)
    except (DomainError, ValidationError) as exc:
        answer = api_exception_handler(exc, {"request": request})
        return answer.status_code, {"problem": answer.data}
    return status.HTTP_201_CREATED, {"record": record}


class InjectionBulk(PostView):
    """Many doses in one request; each recorded or refused on its own (per-item problems)."""

    roles = WRITERS
    serializer_class = BulkOut
    input_serializer = InjectionBulkIn

    @extend_schema(operation_id="injections_bulk", responses={200: BulkOut},
                   summary="Record up to 1,000 doses; each all or nothing, with its own answer")
    def post(self, request):
        return super().post(request)

    def perform_post(self, request):
        items = []
        for index, item in enumerate(self.parsed(InjectionBulkIn)["records"]):
            code, body = _one_of_many(request, item)
            items.append({"index": index, "status": code, **body})
        recorded = sum(1 for i in items if i["status"] == status.HTTP_201_CREATED)
        out = BulkOut({"recorded": recorded, "refused": len(items) - recorded, "items": items})
        return Response(out.data)


class InjectionDetail(ApiView):
    roles, write_roles = READERS, WRITERS
    serializer_class = InjectionOut

    @extend_schema(operation_id="injections_read", summary="One record version, with its ETag")
    def get(self, request, pk: int):
        return _with_etag(injection_in_scope(scope=self.scope, pk=pk))

    @extend_schema(operation_id="injections_correct", request=InjectionCorrectIn,
                   summary="Correct a dose: a new version (returned, with its Location); the old one kept",
                   responses={200: OpenApiResponse(InjectionOut, description="The new current version.")})
    def patch(self, request, pk: int):
        changes = self.parsed(InjectionCorrectIn)
        def unchanged_since_read(current) -> None:
            check_if_match(request, etag_of(InjectionOut(current).data))

        new = dose_correct(actor=request.user, record_id=pk, precondition=unchanged_since_read, **changes)
        return _with_etag(new, created=True)
