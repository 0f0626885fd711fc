"""One family of domain errors, mapped to HTTP in one place (pages and API alike).

Every room raises a subclass of ``DomainError`` (signing's ``SigningError`` family too), so a
refusal reaches a page through ``DomainErrorMiddleware`` and the API through
``api_exception_handler`` with its message, status and code; views catch one only to show
the message inside a form. The API answers every error, a DomainError or DRF's own (validation,
authentication, throttling, parsing), in one shape: RFC 9457 problem details.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused the request. `message` is user-facing and translated."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        # Every field at fault (field -> message), so a form can show them all at once; `field`
        # and `message` are the first of them.
        if errors:
            self.errors = {name: str(text) for name, text in errors.items()}
        else:
            self.errors = {field: self.message} if field else {}

    @classmethod
    def first_of(cls, errors: dict[str, str]) -> DomainError:
        """The error naming every field of `errors` (field -> message), led by the first."""
        field, message = next(iter(errors.items()))
        return cls(message, field=field, errors=errors)


# Each kind: the HTTP status and the API's error code (signing/errors.py adds its own).
class InvalidInput(DomainError):
    status_code, code = 400, "invalid_input"


class NotAllowed(DomainError):
    status_code, code = 403, "not_allowed"


class NotFoundInScope(DomainError):
    """Absent, or outside the acting user's scope: the two look the same on purpose."""

    status_code, code = 404, "not_found"


class InvalidTransition(DomainError):
    status_code, code = 409, "invalid_transition"


class ServiceUnavailable(DomainError):
    status_code, code = 503, "unavailable"


class TooManyRequests(DomainError):
    """Too many attempts in a while (a rate limit, a locked certificate): 429 with Retry-After."""

    status_code, code = 429, "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))


def _with_retry_after(response, exc: DomainError):
    if getattr(exc, "retry_after", None):
        response["Retry-After"] = str(exc.retry_after)
    return response


# --- The API: RFC 9457 problem details ---------------------------------------------------

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE = "urn:vaxrecon:problem:"  # + code: a stable URI a client may branch on
# DRF's own errors by class: the code a client branches on (their status is the class's).
_DRF_CODES = [
    (drf.ValidationError, "invalid_input"), (drf.ParseError, "malformed_request"),
    (drf.NotAuthenticated, "not_authenticated"), (drf.AuthenticationFailed, "authentication_failed"),
    (drf.PermissionDenied, "not_allowed"), (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"), (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"), (drf.Throttled, "too_many_requests"),
]


def _title(status: int) -> str:
    titles = {400: _("The request is not valid"), 401: _("Authentication is needed"),
              403: _("Not allowed"), 404: _("Not found"), 405: _("Method not allowed"),
              409: _("Conflict with the current state"), 412: _("The resource has changed"),
              415: _("Unsupported media type"), 422: _("The request cannot be processed"),
              428: _("A precondition is required"), 429: _("Too many requests"),
              500: _("Server error"), 503: _("Service unavailable")}
    return titles.get(status) or HTTPStatus(status).phrase


def _field_errors(detail, path: str = "") -> list[dict]:
    """DRF's nested ValidationError detail as a flat list of {field, message, code}; `field` is
    a dotted path (``items.2.dose_number``), None for an error of the whole request."""
    if isinstance(detail, dict):
        return [e for name, value in detail.items()
                for e in _field_errors(value, f"{path}.{name}" if path else str(name))]
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"field": None if path in ("", "non_field_errors") else path, "message": str(item),
                     "code": getattr(item, "code", None) or "invalid"} for item in detail]
        return [e for i, item in enumerate(detail)
                for e in _field_errors(item, f"{path}.{i}" if path else str(i))]
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": path or None, "message": str(detail), "code": code}]


def problem(*, status: int, code: str, detail: str, errors: list[dict] | None = None,
            instance: str = "", headers: dict | None = None) -> Response:
    """A problem-details response: type, title, status, detail, code, errors, instance."""
    body = {"type": PROBLEM_TYPE + code, "title": _title(status), "status": status, "detail": detail,
            "code": code, "errors": errors or []}
    if instance:
        body["instance"] = instance
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _drf_problem(exc: drf.APIException, instance: str) -> Response:
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "error")
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, drf.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    if isinstance(exc, drf.ValidationError):
        errors = _field_errors(exc.detail)
        detail = errors[0]["message"] if len(errors) == 1 else _("%(n)d fields are not valid.") % {
            "n": len(errors)}
        return problem(status=exc.status_code, code=code, detail=detail, errors=errors, instance=instance)
    return problem(status=exc.status_code, code=code, detail=str(exc.detail), instance=instance,
                   headers=headers)


def _set_rollback() -> None:
    """Under ATOMIC_REQUESTS, nothing the failed request wrote stays (as DRF's own handler does;
    rest_framework.views is not imported here: it loads the API's authentication, which imports
    this module)."""
    for db in connections.all():
        if db.settings_dict.get("ATOMIC_REQUESTS") and db.in_atomic_block:
            db.set_rollback(True)


def api_exception_handler(exc, context):
    """Every error an API view raises as one problem-details response (DRF's EXCEPTION_HANDLER).
    A DomainError keeps its status and code, its field in `errors`; anything unexpected is
    logged and answered 500 without its text."""
    _set_rollback()
    return problem_for(exc, (context or {}).get("request"))


def problem_for(exc, request=None) -> Response:
    """The problem-details response of `exc` (as `api_exception_handler` answers it), without
    touching the transaction: a bulk request answers each refused item with it."""
    instance = request.path if request is not None else ""
    if isinstance(exc, DomainError):
        errors = [{"field": field, "message": message, "code": exc.code}
                  for field, message in exc.errors.items()]
        response = problem(status=exc.status_code, code=exc.code, detail=exc.message, errors=errors,
                           instance=instance)
        return _with_retry_after(response, exc)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, drf.APIException):
        return _drf_problem(exc, instance)
    logger.exception("unexpected error answering %s", instance or "an API request")
    return problem(status=500, code="server_error", instance=instance,
                   detail=_("The server met an unexpected error; the request id names it in the log."))


class DomainErrorMiddleware:
    """Turns a DomainError escaping a page view into a clear error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DomainError):
            return None
        return _with_retry_after(render(
            request, "error.html", {"message": exc.message, "status": exc.status_code},
            status=exc.status_code,
        ), exc)
