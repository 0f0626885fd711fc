"""Cross-cutting pages: the role's home page and the health check."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Role
from records.models import InjectionRecord
from records.selectors import scope_figures
from signing.selectors import records_awaiting_signature
from vaxrecon.access import scope_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands here: what their scope holds, and where their work is."""
    scope = scope_for(request.user)
    figures = scope_figures(scope=scope)
    counts = figures.injections_by_status
    context = {
        "scope": scope,
        "profile": getattr(request.user, "profile", None),
        "facility_count": figures.facility_count,
        "citizen_count": figures.citizen_count,
        "counted_at": figures.counted_at,
        "injection_counts": [
            (label, counts.get(value, 0))
            for value, label in InjectionRecord.Status.choices
            if value != InjectionRecord.Status.SUPERSEDED
        ],
        # What waits for this signer, counted now as the signing page lists it (the figures
        # above are by record status and may be minutes old).
        "awaiting_signature": (records_awaiting_signature(scope=scope).count()
                               if scope.role == Role.SIGNER else None),
    }
    return render(request, "home.html", context)


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, connection.vendor
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return False, type(exc).__name__


def _broker_ok() -> tuple[bool, str]:
    url = settings.CELERY_BROKER_URL
    if not url or settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "eager"
    parsed = urlparse(url)
    if parsed.scheme.startswith("redis"):
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
            return True, "redis"
        except Exception as exc:  # noqa: BLE001
            return False, type(exc).__name__
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 5672), timeout=2):
            return True, parsed.scheme
    except OSError as exc:
        return False, type(exc).__name__


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_info = _database_ok()
    broker_ok, broker_info = _broker_ok()
    healthy = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": {"ok": db_ok, "detail": db_info},
            "broker": {"ok": broker_ok, "detail": broker_info},
        },
        status=200 if healthy else 503,
    )
