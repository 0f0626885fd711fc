"""OpenAPI for every endpoint, read by drf-spectacular: the API key scheme, the headers every
POST (Idempotency-Key) and PATCH (If-Match) needs, and the problem-details answer of each error
an operation can give, added to every operation in one place."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

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


ERROR_TEXT = {
    400: "Invalid input: `errors` names each field.", 401: "No valid session or API key.",
    403: "The caller's role may not do this.", 404: "Absent, or outside the caller's scope.",
    409: "The current state refuses it (workflow, duplicate dose).",
    412: "If-Match names a version that is no longer current; nothing changed.",
    422: "The Idempotency-Key was used before for another request.",
    428: "If-Match is missing.", 429: "Too many requests: see Retry-After.",
}


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
        return params

    def _error_statuses(self) -> list[int]:
        statuses = [400, 401, 403, 429]
        if "{" in self.path:
            statuses.append(404)
        statuses += {"POST": [409, 422], "PATCH": [409, 412, 428]}.get(self.method, [])
        return statuses

    def _get_response_bodies(self, direction="response"):
        # After the view's own responses (an @extend_schema replaces get_response_serializers, so
        # the errors are added here): each error status an operation can give, as problem details.
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            responses[str(status)] = self._get_response_for_code(
                OpenApiResponse(ProblemSerializer, description=ERROR_TEXT[status]), str(status),
                [PROBLEM_CONTENT_TYPE], direction)
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
