"""The facility's API keys page: its staff create a key (the token shown once) and revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from api.forms import ApiKeyForm
from api.selectors import keys_of_facility
from api.services import api_key_create, api_key_revoke
from vaxrecon.access import role_required, scope_for
from vaxrecon.errors import InvalidInput

clinic_only = role_required(Role.CLINIC_STAFF)


@clinic_only
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = api_key_create(actor=request.user, name=form.cleaned_data["name"],
                                     role=form.cleaned_data["role"], days=form.cleaned_data["days"])
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            form = ApiKeyForm()
    keys = keys_of_facility(scope=scope_for(request.user))
    return render(request, "api/keys.html", {"form": form, "keys": keys, "created": created},
                  status=400 if form.errors else (201 if created else 200))


@clinic_only
@require_POST
def api_key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    key = api_key_revoke(actor=request.user, key_id=pk)
    messages.success(request, _("The key %(name)s is revoked.") % {"name": key.name})
    return redirect("api:keys")
