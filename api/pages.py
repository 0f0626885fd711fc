"""The API keys page of a facility's staff, a provincial officer or a Ministry analyst: create a key
(the token shown once) and revoke one, of their own facility, province or the Ministry."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from api.forms import ApiKeyForm
from api.selectors import key_holder, keys_managed
from api.services import api_key_create, api_key_revoke
from vaxrecon.access import role_required, scope_for
from vaxrecon.errors import InvalidInput

key_managers = role_required(Role.CLINIC_STAFF, Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST)


@key_managers
def api_keys(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    form = ApiKeyForm(request.POST or None, roles=key_holder(scope=scope).roles)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = api_key_create(actor=request.user, name=form.cleaned_data["name"],
                                     role=form.cleaned_data["role"], days=form.cleaned_data["days"])
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            form = ApiKeyForm(roles=key_holder(scope=scope).roles)
    keys = keys_managed(scope=scope)
    return render(request, "api/keys.html", {"form": form, "keys": keys, "created": created},
                  status=400 if form.errors else (201 if created else 200))


@key_managers
@require_POST
def api_key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    key = api_key_revoke(actor=request.user, key_id=pk)
    messages.success(request, _("The key %(name)s is revoked.") % {"name": key.name})
    return redirect("api:keys")
