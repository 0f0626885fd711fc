"""Reconciliation cases for clinic staff: the queue, opening one, reading one, and each action of
the case page, each through the same service (and so through verification/workflow.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from accounts.models import Role
from api.base import ApiView, PostView
from api.concurrency import IF_MATCH, check_if_match, etag_of
from api.pagination import OldestFirst
from api.serializers import cases as shapes
from records.models import Ward
from vaxrecon.errors import InvalidInput
from verification.models import ReconciliationCase
from verification.selectors import case_facilities, case_queue, staff_case
from verification.services import (
    case_add_dose,
    case_correct_dose,
    case_correct_identity,
    case_create_citizen,
    case_link_citizen,
    case_open,
    case_reject,
    case_request_info,
    case_send_to_police,
    case_start_review,
    case_use_existing_dose,
)

CLINIC = frozenset({Role.CLINIC_STAFF})


class _CaseView(ApiView):
    roles = CLINIC
    serializer_class = shapes.CaseOut

    def represented(self, case) -> dict:
        return shapes.CaseOut(case, context={"role": self.scope.role}).data

    def shown(self, case, *, status_code=status.HTTP_200_OK, created=False) -> Response:
        data = self.represented(case)
        headers = {"ETag": etag_of(data)}
        if created:
            headers["Location"] = reverse("api:case", args=[case.pk])
        return Response(data, status=status_code, headers=headers)


class CaseList(_CaseView, PostView):
    input_serializer = shapes.CaseCreateIn
    pagination_class = OldestFirst
    queryset = ReconciliationCase.objects.none()  # the model, for the schema; rows come from case_queue

    @extend_schema(operation_id="cases_list", summary="The clinic's open cases, oldest first",
                   parameters=[shapes.CaseFilterIn], responses=shapes.CaseOut(many=True))
    def get(self, request):
        query = self.parsed(shapes.CaseFilterIn, data=request.query_params)
        page = self.paginate_queryset(case_queue(scope=self.scope, **query))
        return self.get_paginated_response(
            shapes.CaseOut(page, many=True, context={"role": self.scope.role}).data)

    @extend_schema(operation_id="cases_create", summary="Open a case for a person at the clinic",
                   request=shapes.CaseCreateIn, responses={201: shapes.CaseOut})
    def post(self, request):
        return super().post(request)

    def perform_post(self, request):
        data = self.parsed(shapes.CaseCreateIn)
        ward = None
        if "ward" in data:
            ward = Ward.objects.filter(pk=data["ward"]).first()
            if ward is None:
                raise InvalidInput(_("No commune with this code."), field="ward")
        case = case_open(actor=request.user, full_name=data["full_name"], birth=data["date_of_birth"],
                         sex=data["sex"], id_number=data["id_number"], phone=data["phone"], ward=ward,
                         vaccine=data["vaccine"], dose_number=data["dose_number"],
                         injection_date=data["injection_date"], lot_number=data["lot_number"])
        return self.shown(case, status_code=status.HTTP_201_CREATED, created=True)


class CaseDetail(_CaseView):
    @extend_schema(operation_id="cases_read", summary="One case, with its ETag")
    def get(self, request, pk: int):
        return self.shown(staff_case(scope=self.scope, pk=pk))


class _Action(_CaseView, PostView):
    """POST /cases/{pk}/<action>/: the case found in the caller's scope, the body checked by
    `input_serializer`, then `act` (one service); answers with the case as it is now. With
    If-Match, the case (locked meanwhile) must still be the version the client read: else 412 and
    nothing changes."""

    input_serializer = None
    honours_if_match = True  # optional If-Match: documented by api.schema

    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform_post(self, request, pk: int):
        compare = IF_MATCH in request.headers
        case = staff_case(scope=self.scope, pk=pk, for_update=compare)
        if compare:
            check_if_match(request, etag_of(self.represented(case)))
        data = self.parsed(self.input_serializer) if self.input_serializer else {}
        self.act(case, data)
        return self.shown(staff_case(scope=self.scope, pk=pk))

    def act(self, case, data: dict) -> None:
        raise NotImplementedError


def action_schema(operation_id: str, summary: str):
    return extend_schema_view(post=extend_schema(operation_id=operation_id, summary=summary,
                                                 responses={200: shapes.CaseOut}))


def _facility(view: _Action, case, data: dict):
    """Where a dose was given: one of the case's facilities (as the page offers), the caller's
    by default."""
    facilities = {f.pk: f for f in case_facilities(case=case, scope=view.scope)}
    chosen = data.get("facility", view.scope.facility_id)
    if chosen not in facilities:
        raise InvalidInput(_("Choose the caller's facility or one the case names."), field="facility")
    return facilities[chosen]


@action_schema("cases_start_review", "Start the review (the 48-hour clock runs)")
class StartReview(_Action):
    def act(self, case, data):
        case_start_review(case=case, actor=self.request.user)


@action_schema("cases_link_citizen", "Link the case to one of its candidates")
class LinkCitizen(_Action):
    input_serializer = shapes.CitizenChoiceIn

    def act(self, case, data):
        case_link_citizen(case=case, actor=self.request.user, citizen_id=data["citizen"],
                          confirmed=data.get("confirm", False), reason=data.get("reason", ""),
                          search=data.get("search"))


@action_schema("cases_create_citizen", "Create the person on the platform and link")
class CreateCitizen(_Action):
    input_serializer = shapes.CitizenCreateIn

    def act(self, case, data):
        case_create_citizen(case=case, actor=self.request.user, full_name=data["full_name"],
                            birth=data["date_of_birth"], sex=data["sex"], id_number=data["id_number"],
                            phone=data["phone"])


@action_schema("cases_correct_identity", "Correct the linked citizen's identity")
class CorrectIdentity(_Action):
    input_serializer = shapes.IdentityIn

    def act(self, case, data):
        case_correct_identity(case=case, actor=self.request.user, full_name=data["full_name"],
                              birth=data["date_of_birth"], sex=data["sex"], id_number=data["id_number"])


@action_schema("cases_add_dose", "Record the missing dose (409 if the person has it)")
class AddDose(_Action):
    input_serializer = shapes.DoseIn

    def act(self, case, data):
        case_add_dose(case=case, actor=self.request.user, vaccine=data["vaccine"],
                      dose_number=data["dose_number"], injection_date=data["injection_date"],
                      lot_number=data["lot_number"], facility=_facility(self, case, data))


@action_schema("cases_use_existing_dose", "Attach a dose already on the platform")
class UseExistingDose(_Action):
    input_serializer = shapes.DoseChoiceIn

    def act(self, case, data):
        case_use_existing_dose(case=case, actor=self.request.user, injection_id=data["injection"])


@action_schema("cases_correct_dose", "Correct a dose of the linked citizen")
class CorrectDose(_Action):
    input_serializer = shapes.DoseCorrectionIn

    def act(self, case, data):
        case_correct_dose(case=case, actor=self.request.user, injection_id=data["injection"],
                          vaccine=data["vaccine"], dose_number=data["dose_number"],
                          injection_date=data["injection_date"], lot_number=data["lot_number"],
                          facility=_facility(self, case, data))


@action_schema("cases_send_to_police", "Send to the commune police")
class SendToPolice(_Action):
    def act(self, case, data):
        case_send_to_police(case=case, actor=self.request.user)


@action_schema("cases_reject", "Reject with a reason (the citizen is told by SMS)")
class Reject(_Action):
    input_serializer = shapes.RejectIn

    def act(self, case, data):
        case_reject(case=case, actor=self.request.user, reason=data["reason"], note=data["note"])


@action_schema("cases_request_info", "Ask the citizen for more information")
class RequestInfo(_Action):
    input_serializer = shapes.RequestInfoIn

    def act(self, case, data):
        case_request_info(case=case, actor=self.request.user, message=data["message"])


ACTIONS = {"start-review": StartReview, "link-citizen": LinkCitizen, "create-citizen": CreateCitizen,
           "correct-identity": CorrectIdentity, "add-dose": AddDose, "use-existing-dose": UseExistingDose,
           "correct-dose": CorrectDose, "send-to-police": SendToPolice, "reject": Reject,
           "request-info": RequestInfo}
