"""Reading API keys: the keys an actor manages (their facility's, province's or the Ministry's),
and the key a token names."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role
from api.models import ApiKey
from api.tokens import token_hash, token_prefix
from vaxrecon.access import Scope
from vaxrecon.errors import NotAllowed


@dataclass(frozen=True)
class KeyHolder:
    """Where an actor's keys belong and the roles they may act in: a facility's staff make keys of
    the facility (clinic staff or signer), a provincial officer of the province, the Ministry's."""

    roles: tuple[str, ...]
    facility_id: int | None = None
    province_id: int | None = None

    def keys(self) -> QuerySet[ApiKey]:
        return ApiKey.objects.filter(role__in=self.roles, facility=self.facility_id,
                                     province=self.province_id)


def key_holder(*, scope: Scope) -> KeyHolder:
    """The holder of the keys the scope's user manages; NotAllowed for any other role."""
    if scope.role == Role.CLINIC_STAFF and scope.facility_id:
        return KeyHolder((ApiKey.KeyRole.CLINIC_STAFF, ApiKey.KeyRole.SIGNER), facility_id=scope.facility_id)
    if scope.role == Role.PROVINCIAL_OFFICER and scope.province_id:
        return KeyHolder((ApiKey.KeyRole.PROVINCIAL_OFFICER,), province_id=scope.province_id)
    if scope.role == Role.MINISTRY_ANALYST:
        return KeyHolder((ApiKey.KeyRole.MINISTRY_ANALYST,))
    raise NotAllowed(_("Only staff of a facility, a provincial health officer or a Ministry analyst can "
                       "manage API keys."))


def keys_managed(*, scope: Scope) -> QuerySet[ApiKey]:
    """The keys the scope's user manages, newest first (NotAllowed for a role without keys)."""
    return key_holder(scope=scope).keys().select_related("created_by", "revoked_by")


def key_for_token(token: str) -> ApiKey | None:
    """The usable key whose token this is; None for an unknown, wrong, expired or revoked one."""
    prefix = token_prefix(token)
    if prefix is None:
        return None
    # With what `scope_for(key.user)` reads (the profile's facility and ward, and their province
    # ids): the request's scope then costs no query of its own, however often a view asks for it.
    # The prefix is unique: no ORDER BY to compile (`.first()` would add the model's ordering).
    key = next(iter(ApiKey.objects.select_related("user__profile__facility__ward", "user__profile__ward",
                                                  "facility").filter(prefix=prefix).order_by()[:1]), None)
    if key is None or not hmac.compare_digest(key.token_hash, token_hash(token)):
        return None
    return key if key.is_usable() else None
