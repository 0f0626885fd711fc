"""Request ids: one per request, echoed in the response, logged, and stored on audit rows; and
the client's address as the rate limits and the log-in lockout count it."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.conf import settings

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID = re.compile(r"^[A-Za-z0-9\-_.]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        request.request_id = request_id
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        return True


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, unless a trusted proxy is configured. Then
    CLIENT_IP_HEADER (a META key such as HTTP_X_FORWARDED_FOR) holds a comma list to which each of
    the CLIENT_IP_PROXY_COUNT proxies appended the address it saw: the entry that many places from
    the right is the client's; anything further left was sent by the client and is not trusted."""
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        values = [v.strip() for v in request.META.get(header, "").split(",") if v.strip()]
        count = max(1, getattr(settings, "CLIENT_IP_PROXY_COUNT", 1))
        if len(values) >= count:
            return values[-count]
    return request.META.get("REMOTE_ADDR", "")
