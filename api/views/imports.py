"""Imports of a facility's log: upload (the page's pipeline and worker), progress, error report."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import Role
from api.base import ApiView, PostView
from api.filters import ImportJobFilter
from api.renderers import CsvRenderer
from api.serializers.imports import ImportJobOut, ImportUploadIn
from vaxrecon.errors import NotFoundInScope
from verification.imports.selectors import job_in_scope, jobs_in_scope
from verification.imports.services import import_job_create

CLINIC = frozenset({Role.CLINIC_STAFF})


class ImportList(PostView):
    roles = CLINIC
    serializer_class = ImportJobOut
    input_serializer = ImportUploadIn
    filterset_class = ImportJobFilter

    def get_queryset(self):
        return jobs_in_scope(scope=self.scope)

    @extend_schema(operation_id="imports_list", summary="The facility's imports, newest first",
                   responses=ImportJobOut(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ImportJobOut(page, many=True).data)

    @extend_schema(operation_id="imports_upload", summary="Upload a log; the import runs on a worker",
                   request={"multipart/form-data": ImportUploadIn},
                   responses={202: OpenApiResponse(ImportJobOut, description="Queued; poll its Location.")})
    def post(self, request):
        return super().post(request)

    def perform_post(self, request):
        upload = self.parsed(ImportUploadIn)["file"]
        job = import_job_create(actor=request.user, upload=upload)
        return Response(ImportJobOut(job).data, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": reverse("api:import", args=[job.pk])})


class ImportDetail(ApiView):
    roles = CLINIC
    serializer_class = ImportJobOut

    @extend_schema(operation_id="imports_read", summary="An import's progress and counts")
    def get(self, request, pk: int):
        return Response(ImportJobOut(job_in_scope(scope=self.scope, pk=pk)).data)


class ImportErrors(ApiView):
    roles = CLINIC
    renderer_classes = [JSONRenderer, CsvRenderer]
    serializer_class = None

    @extend_schema(operation_id="imports_error_report",
                   summary="The error report (CSV: line, column, reason)",
                   responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        job = job_in_scope(scope=self.scope, pk=pk)
        if not job.error_report:
            raise NotFoundInScope(_("This import has no error report."))
        return FileResponse(job.error_report.open("rb"), as_attachment=True,
                            filename=f"import-{job.pk}-errors.csv", content_type="text/csv")
