"""Public pages of the room: the signed trust list and revocation list (no personal data)."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from certificates import publication


@require_GET
@cache_control(public=True, max_age=300)
def trust_list(request):
    """The DSCs of Vietnam's certificates, signed by the CSCA."""
    return JsonResponse(publication.published_trust_list(), json_dumps_params={"ensure_ascii": False})


@require_GET
@cache_control(public=True, max_age=300)
def revocations(request):
    """The revoked certificates by the EU revocation hash types, signed by the CSCA."""
    return JsonResponse(publication.published_revocations())
