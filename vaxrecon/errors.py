"""One family of domain errors, mapped to HTTP in one place (pages and API alike).

Every room raises a subclass of ``DomainError`` (signing's ``SigningError`` family too), so a
refusal reaches a page through ``DomainErrorMiddleware`` and the API through
``api_exception_handler`` with its message, status and code; views catch one only to show
the message inside a form.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A business rule refused the request. `message` is user-facing and translated."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field


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


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"error": exc.code, "message": exc.message}
        if exc.field:
            body["field"] = exc.field
        return _with_retry_after(Response(body, status=exc.status_code), exc)
    return exception_handler(exc, context)


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
