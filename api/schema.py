"""OpenAPI for every endpoint, read by drf-spectacular: the API key scheme, the headers every
POST (Idempotency-Key) and PATCH (If-Match) needs, and the problem-details answer of each error
an operation can give, added to every operation in one place."""

from __future__ import annotations

from http import HTTPStatus

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from api.fhir import FHIR_CONTENT_TYPE, operation_outcome
from api.idempotency import KEY_PATTERN
from vaxrecon.errors import PROBLEM_CONTENT_TYPE


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Dotted path of the field (or header) at "
                                  "fault; null for the request as a whole.")
    message = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, the one shape of every error."""

    type = serializers.CharField(help_text="urn:vaxrecon:problem:<code>")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid_input, duplicate_dose, "
                                 "precondition_failed, idempotency_key_reused.")
    errors = FieldErrorSerializer(many=True)
    instance = serializers.CharField(required=False)


class IssueDetailsSerializer(serializers.Serializer):
    text = serializers.CharField()


class IssueSerializer(serializers.Serializer):
    severity = serializers.CharField(help_text="error")
    code = serializers.CharField(help_text="FHIR issue type: invalid, login, forbidden, not-found, "
                                 "conflict, throttled, exception, ...")
    details = IssueDetailsSerializer()
    diagnostics = serializers.CharField(help_text="The problem's machine-readable code (invalid_input, ...).")
    expression = serializers.ListField(child=serializers.CharField(), required=False,
                                       help_text="The query parameter at fault.")


class OperationOutcomeSerializer(serializers.Serializer):
    """A refusal of a FHIR endpoint: a FHIR R4 OperationOutcome (the problem details' content)."""

    resourceType = serializers.CharField(help_text="OperationOutcome")  # noqa: N815
    issue = IssueSerializer(many=True)


ERROR_TEXT = {
    400: "Invalid input: `errors` names each field.", 401: "No valid session or API key.",
    403: "The caller's role may not do this.", 404: "Absent, or outside the caller's scope.",
    409: "The current state refuses it (workflow, duplicate dose).",
    412: "If-Match names a version that is no longer current; nothing changed.",
    422: "The Idempotency-Key was used before for another request.",
    428: "If-Match is missing.", 429: "Too many requests: see Retry-After.",
}


# One example answer per error status, as problem details (the code a client branches on).
ERROR_EXAMPLES = {
    400: ("invalid_input", "Ngày tiêm không được ở tương lai.", [("injection_date", "invalid_input")]),
    401: ("not_authenticated", "Authentication credentials were not provided.", []),
    403: ("not_allowed", "Your role cannot use this endpoint.", []),
    404: ("not_found", "No such dose.", []),
    409: ("duplicate_dose", "This person already has this dose (same vaccine within 3 days).", []),
    412: ("precondition_failed", "The record changed since you read it.",
          [("If-Match", "precondition_failed")]),
    422: ("idempotency_key_reused", "This Idempotency-Key was already used for another request.",
          [("Idempotency-Key", "idempotency_key_reused")]),
    428: ("precondition_required", "Send If-Match with the ETag of the version you are correcting.",
          [("If-Match", "precondition_required")]),
    429: ("throttled", "Request was throttled. Expected available in 12 seconds.", []),
}


def error_example(status: int, *, fhir: bool = False) -> OpenApiExample:
    code, detail, fields = ERROR_EXAMPLES[status]
    errors = [{"field": field, "message": detail, "code": field_code} for field, field_code in fields]
    problem = {"type": f"urn:vaxrecon:problem:{code}", "title": HTTPStatus(status).phrase, "status": status,
               "detail": detail, "code": code, "errors": errors}
    return OpenApiExample(code, value=operation_outcome(problem) if fhir else problem)


# What the server takes as a key or an ETag: 1 to 255 visible ASCII characters, no space at either end.
HEADER_TOKEN = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN}


class ApiSchema(AutoSchema):
    def get_request_serializer(self):
        # A view's body is its `input_serializer` (None: no body); its `serializer_class` is the output.
        if hasattr(self.view, "input_serializer"):
            return self.view.input_serializer
        return super().get_request_serializer()

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if self.method == "POST":
            params.append(OpenApiParameter(
                "Idempotency-Key", HEADER_TOKEN, OpenApiParameter.HEADER, required=True,
                description="A fresh value per request (e.g. a UUID), the same on every retry of it: a "
                            "retry gets the first response and writes nothing twice."))
        if self.method == "PATCH":
            params.append(OpenApiParameter(
                "If-Match", HEADER_TOKEN, OpenApiParameter.HEADER, required=True,
                description="The ETag of the version being corrected (from its GET)."))
        elif self._honours_if_match():
            params.append(OpenApiParameter(
                "If-Match", HEADER_TOKEN, OpenApiParameter.HEADER, required=False,
                description="Optional: the ETag of the case as read (from its GET); if the case changed "
                            "since, 412 and nothing is done."))
        return params

    def _honours_if_match(self) -> bool:
        return self.method == "POST" and getattr(self.view, "honours_if_match", False)

    def _error_statuses(self) -> list[int]:
        statuses = [400, 401, 403, 429]
        # A path's object, a unit in the query, or an object a POST's body names (a citizen by CCCD,
        # a facility) may be absent or outside the scope.
        if "{" in self.path or self.method == "POST" or getattr(self.view, "names_unit_in_query", False):
            statuses.append(404)
        statuses += {"POST": [409, 422], "PATCH": [409, 412, 428]}.get(self.method, [])
        if self._honours_if_match():
            statuses.append(412)
        return statuses

    def _get_response_bodies(self, direction="response"):
        # After the view's own responses (an @extend_schema replaces get_response_serializers, so
        # the errors are added here): each error status an operation can give, as problem details.
        responses = super()._get_response_bodies(direction)
        fhir = getattr(self.view, "errors_as_fhir", False)
        shape, content_type = (OperationOutcomeSerializer, FHIR_CONTENT_TYPE) if fhir else (
            ProblemSerializer, PROBLEM_CONTENT_TYPE)
        for status in self._error_statuses():
            responses[str(status)] = self._get_response_for_code(
                OpenApiResponse(shape, description=ERROR_TEXT[status],
                                examples=[error_example(status, fhir=fhir)]),
                str(status), [content_type], direction)
        return responses


def same_on_every_database(result, generator, request, public):
    """Postprocessing hook: drop the bounds DRF copies from a model's integer columns onto read-only
    fields (they come from the database backend: the checked-in schema must not depend on it); an
    integer in a path is digits (``<int:...>``), so at least 0; a filter's integer has no upper bound
    of ours (DRF copies the column's range)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param["schema"].get("type") != "integer":
                    continue
                if param["in"] == "path":
                    param["schema"]["minimum"] = 0
                param["schema"].pop("maximum", None)  # a filter's bound: the backend's column range
                param["schema"].pop("format", None)
    for component in result.get("components", {}).get("schemas", {}).values():
        for prop in component.get("properties", {}).values():
            if prop.get("readOnly") and prop.get("type") == "integer":
                for bound in ("maximum", "minimum", "format"):
                    prop.pop(bound, None)
    return result


FHIR_OPERATIONS = ("everything",)


def fhir_operation_paths(result, generator, request, public):
    """Postprocessing hook: drf-spectacular reads the `$` of a FHIR operation's path
    (``Patient/{id}/$everything``) as a regular expression's anchor and drops it; put it back."""
    paths = result.get("paths", {})
    for path in list(paths):
        head, _slash, last = path.rpartition("/")
        if "/fhir/" in path and last in FHIR_OPERATIONS:
            paths[f"{head}/${last}"] = paths.pop(path)
    return result


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`ApiKey vxr_<prefix>_<secret>`: a facility's key, made on /api/keys/."}
