"""Reading API keys: a facility's keys for its page, and the key a token names."""

from __future__ import annotations

import hmac

from django.db.models import QuerySet

from api.models import ApiKey
from api.tokens import token_hash, token_prefix
from vaxrecon.access import Scope


def keys_of_facility(*, scope: Scope) -> QuerySet[ApiKey]:
    """The keys of the scope's facility, newest first (none for a scope without a facility)."""
    if not scope.facility_id:
        return ApiKey.objects.none()
    return ApiKey.objects.filter(facility=scope.facility_id).select_related("created_by", "revoked_by")


def key_for_token(token: str) -> ApiKey | None:
    """The usable key whose token this is; None for an unknown, wrong, expired or revoked one."""
    prefix = token_prefix(token)
    if prefix is None:
        return None
    key = ApiKey.objects.select_related("user", "user__profile", "facility").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.token_hash, token_hash(token)):
        return None
    return key if key.is_usable() else None
