"""FHIR R4 read access (/api/v1/fhir/): Patient/{id}, Immunization?patient=&date=, and
Patient/{id}/$everything, within the caller's scope, as application/fhir+json."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import Role
from api import fhir
from api.base import ApiView
from api.renderers import FhirRenderer
from records.models import InjectionRecord
from records.selectors import citizen_in_scope, injections_in_scope
from vaxrecon.errors import InvalidInput

READERS = frozenset({Role.CLINIC_STAFF, Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST})
FHIR_OBJECT = {(200, fhir.FHIR_CONTENT_TYPE): OpenApiTypes.OBJECT}


class _Fhir(ApiView):
    roles = READERS
    renderer_classes = [FhirRenderer, JSONRenderer]
    serializer_class = None

    errors_as_fhir = True  # api.schema documents the refusals as OperationOutcome

    def fhir(self, resource: dict) -> Response:
        return Response(resource, content_type=fhir.FHIR_CONTENT_TYPE)

    def handle_exception(self, exc):
        """A refusal as a FHIR OperationOutcome (a FHIR client reads no problem details), with the
        status and the headers (WWW-Authenticate, Retry-After) of the one error mapping."""
        return fhir.as_outcome(super().handle_exception(exc))

    @property
    def base(self) -> str:
        return self.request.build_absolute_uri("/api/v1/fhir/")


class Patient(_Fhir):
    @extend_schema(operation_id="fhir_patient_read", summary="FHIR R4 Patient (the CCCD as identifier)",
                   responses=FHIR_OBJECT)
    def get(self, request, pk: int):
        return self.fhir(fhir.patient(citizen_in_scope(scope=self.scope, pk=pk)))


class ImmunizationSearch(_Fhir):
    queryset = InjectionRecord.objects.none()  # the model, for the schema; rows come from injections_in_scope

    @extend_schema(operation_id="fhir_immunization_search", responses=FHIR_OBJECT,
                   summary="FHIR R4 Immunization search: a searchset Bundle, cursor-paged (link next)",
                   parameters=[
                       OpenApiParameter("patient", str, required=True,
                                        description="Patient/{id} or the id of a patient in scope."),
                       OpenApiParameter("date", str, many=True,
                                        description="Injection date, yyyy-mm-dd with an optional prefix "
                                                    "eq, ge, gt, le or lt; repeat to bound a range.")])
    def get(self, request):
        reference = request.query_params.get("patient", "").removeprefix("Patient/")
        if not reference.isdigit():
            raise InvalidInput(_("Name the patient: patient=Patient/{id}."), field="patient")
        try:
            dates = fhir.date_lookups(request.query_params.getlist("date"))
        except ValueError:
            raise InvalidInput(_("Write the date as yyyy-mm-dd, with an optional prefix ge, gt, le, lt "
                                 "or eq."), field="date") from None
        patient = citizen_in_scope(scope=self.scope, pk=int(reference))
        records = injections_in_scope(scope=self.scope).filter(citizen=patient, **dates)
        page = self.paginate_queryset(records)
        return self.fhir(fhir.searchset([fhir.immunization(r) for r in page], base=self.base,
                                        self_url=request.build_absolute_uri(),
                                        next_url=self.paginator.get_next_link()))


class Everything(_Fhir):
    @extend_schema(operation_id="fhir_patient_everything", responses=FHIR_OBJECT,
                   summary="FHIR R4 Patient/$everything: the patient and their immunizations in scope")
    def get(self, request, pk: int):
        patient = citizen_in_scope(scope=self.scope, pk=pk)
        records = (injections_in_scope(scope=self.scope).filter(citizen=patient)
                   .order_by("injection_date", "id"))
        resources = [fhir.patient(patient), *(fhir.immunization(r) for r in records)]
        return self.fhir(fhir.searchset(resources, base=self.base, self_url=request.build_absolute_uri(),
                                        total=len(resources)))
