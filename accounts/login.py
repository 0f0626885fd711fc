"""Logging in under attack: every failure audited, the lockout page (django-axes counts failures
per account and per address and refuses a locked one; settings LOGIN_FAILURE_LIMIT and
LOGIN_LOCKOUT_MINUTES; `manage.py axes_reset_username <name>` or `axes_reset_ip <address>`
unlocks, see README)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from records.audit import record_event
from vaxrecon.middleware import client_ip

LOCKED_STATUS = 429


def lockout_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def audit_login_failed(sender, credentials: dict, request: HttpRequest | None = None, **kwargs) -> None:
    """An AuditEvent per failed log-in (wrong password, unknown name, or refused while locked):
    the name typed and the address, never the password."""
    username = str(credentials.get("username") or "")[:150]
    user_id = User.objects.filter(username=username).values_list("pk", flat=True).first()
    record_event(actor=None, action="login.failed", object_type="auth.user", object_id=user_id,
                 actor_label=username or "anonymous",
                 after={"username": username, "address": client_ip(request) if request else ""})


def audit_locked_out(sender, request: HttpRequest | None = None, username: str | None = None,
                     ip_address: str | None = None, **kwargs) -> None:
    """An AuditEvent when an account or an address becomes locked."""
    record_event(actor=None, action="login.locked_out", object_type="auth.user",
                 actor_label=username or "anonymous",
                 after={"username": username or "", "address": ip_address or "",
                        "minutes": lockout_minutes()})


def locked_out(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """The log-in page again, saying the account or address is locked and for how long (429,
    Retry-After)."""
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
    response = render(request, "registration/login.html", {
        "form": form, "locked_minutes": lockout_minutes(), "next": request.POST.get("next", ""),
    }, status=LOCKED_STATUS)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
