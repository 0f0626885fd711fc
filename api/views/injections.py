"""Injection records of a facility's software: list, record, read (ETag), correct (If-Match)."""

from __future__ import annotations

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
from vaxrecon.errors import problem_for
from verification.services import dose_correct, dose_record
from verification.services.doses import DoseIn, doses_record

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
        # Checked as a bulk item is (`checked`: DRF's validated data, any refusal DRF's own, raised).
        checker = InjectionCreateIn(context=self.get_serializer_context())
        record = _record(request, checker.checked(request.data))
        return _with_etag(record, status_code=status.HTTP_201_CREATED, created=True)


def _dose(data: dict) -> DoseIn:
    """One checked dose (InjectionCreateIn's validated data) as the dose services take it."""
    return DoseIn(vaccine=data["vaccine"], dose_number=data["dose_number"],
                  injection_date=data["injection_date"], lot_number=data["lot_number"],
                  citizen_id=data.get("citizen"), cccd=data.get("cccd", ""),
                  source_record_id=data["source_record_id"])


def _record(request, data: dict):
    """One checked dose to `dose_record`, acting as the caller."""
    return dose_record(actor=request.user, **vars(_dose(data)))


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
        # Each item checked by the one-dose serializer (one instance: its vaccine catalogue read
        # once), then the valid ones to the set-wise service, answers kept in the items' order.
        checker = InjectionCreateIn(context=self.get_serializer_context())
        parsed: list[dict | ValidationError] = []
        for item in self.parsed(InjectionBulkIn)["records"]:
            try:
                parsed.append(checker.checked(item))
            except ValidationError as exc:
                parsed.append(exc)
        catalogue = {v.pk: v for v in checker.fields["vaccine"].catalogue().values()}  # as the items read it
        recorded = iter(doses_record(actor=request.user, catalogue=catalogue,
                                     doses=[_dose(p) for p in parsed if not isinstance(p, ValidationError)]))
        items = []
        for index, item in enumerate(parsed):
            answer = item if isinstance(item, ValidationError) else next(recorded)
            if isinstance(answer, Exception):
                refusal = problem_for(answer, request)
                items.append({"index": index, "status": refusal.status_code, "problem": refusal.data})
            else:
                items.append({"index": index, "status": status.HTTP_201_CREATED, "record": answer})
        done = sum(1 for i in items if i["status"] == status.HTTP_201_CREATED)
        return Response(BulkOut({"recorded": done, "refused": len(items) - done, "items": items}).data)


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
