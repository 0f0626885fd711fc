"""Reading API keys: the keys an actor manages (their facility's, province's or the Ministry's),
and the key a token names."""

from __future__ import annotations

import copy
import hmac
import time
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Profile, Role
from api.models import ApiKey
from api.tokens import token_hash, token_prefix
from records.models import Facility, Ward
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


# A key's user, profile, facility and ward are read with it once per process and kept; every request
# then reads, in one narrow statement, all that decides whether and as whom the key acts (KeyState):
# a revoked, expired, deactivated or re-scoped key is refused or read afresh at once, in every
# process. The five-table select_related cost about a third of a GET's CPU (compiling, then
# PostgreSQL planning seven joins); the narrow statement is written once and plans in a fraction.
# What it does not compare (the key's name, a profile's phone, the facility's name) may be up to
# KEY_CACHE_SECONDS old in a process.
KEY_CACHE_SECONDS = 60
_KEY_CACHE_SIZE = 10_000
_known: dict[str, tuple[float, tuple, ApiKey]] = {}  # prefix -> (read at, its KeyState, the key)


def _state_statement() -> str:
    key, user, profile = (m._meta.db_table for m in (ApiKey, User, Profile))
    facility, ward = (m._meta.db_table for m in (Facility, Ward))
    # the models' own table names; the prefix is a parameter
    return (
        "SELECT k.id, k.token_hash, k.revoked_at, k.expires_at, k.role, k.facility_id, "  # noqa: S608 # nosec B608 # model table names
        "k.province_id, k.user_id, u.username, u.is_active, u.is_superuser, p.id, p.role, p.facility_id, "
        "p.ward_id, p.province_id, f.ward_id, fw.province_id, pw.province_id, k.last_used_at "
        f"FROM {key} k JOIN {user} u ON u.id = k.user_id "
        f"LEFT JOIN {profile} p ON p.user_id = k.user_id LEFT JOIN {facility} f ON f.id = p.facility_id "
        f"LEFT JOIN {ward} fw ON fw.code = f.ward_id LEFT JOIN {ward} pw ON pw.code = p.ward_id "
        "WHERE k.prefix = %s")


def _state_of(key: ApiKey) -> tuple:
    """What `_state_statement` reads (but the last use), from the key read with its relations."""
    user = key.user
    profile = getattr(user, "profile", None)
    facility = profile.facility if profile is not None and profile.facility_id else None
    ward = profile.ward if profile is not None and profile.ward_id else None
    return (key.pk, key.token_hash, key.revoked_at, key.expires_at, key.role, key.facility_id,
            key.province_id, key.user_id, user.username, user.is_active, user.is_superuser,
            *((profile.pk, profile.role, profile.facility_id, profile.ward_id, profile.province_id)
              if profile is not None else (None,) * 5),
            facility.ward_id if facility else None, facility.ward.province_id if facility else None,
            ward.province_id if ward else None)


def _fresh_copy(key: ApiKey) -> ApiKey:
    """The kept key as a request's own: the key, its user and profile copied (a request may note on
    them, e.g. the last use), the facility and ward shared (read only)."""
    user, mine = copy.copy(key.user), copy.copy(key)
    mine._state.fields_cache["user"] = user
    user._state.fields_cache["api_key"] = mine
    profile = getattr(key.user, "profile", None)
    if profile is not None:
        profile = copy.copy(profile)
        profile._state.fields_cache["user"] = user
        user._state.fields_cache["profile"] = profile
    return mine


def _read_key(prefix: str) -> ApiKey | None:
    # With what `scope_for(key.user)` reads (the profile's facility and ward, and their province
    # ids): the request's scope then costs no query of its own, however often a view asks for it.
    # The prefix is unique: no ORDER BY to compile (`.first()` would add the model's ordering).
    return next(iter(ApiKey.objects.select_related("user__profile__facility__ward", "user__profile__ward",
                                                   "facility").filter(prefix=prefix).order_by()[:1]), None)


def _key_by_prefix(prefix: str) -> ApiKey | None:
    """The key of this prefix as the database has it now: the kept one when nothing that decides
    its use changed (one narrow statement), else read again (and kept); None when there is none."""
    kept = _known.get(prefix)
    if kept is not None and time.monotonic() - kept[0] < KEY_CACHE_SECONDS:
        with connection.cursor() as cursor:
            cursor.execute(_state_statement(), [prefix])
            row = cursor.fetchone()
        if row is None:
            _known.pop(prefix, None)
            return None
        if tuple(row[:-1]) == kept[1]:
            key = _fresh_copy(kept[2])
            key.last_used_at = row[-1]
            return key
    key = _read_key(prefix)
    if key is None:
        _known.pop(prefix, None)
        return None
    if len(_known) >= _KEY_CACHE_SIZE:
        _known.clear()
    _known[prefix] = (time.monotonic(), _state_of(key), key)
    return _fresh_copy(key)


def key_for_token(token: str) -> ApiKey | None:
    """The usable key whose token this is; None for an unknown, wrong, expired or revoked one."""
    prefix = token_prefix(token)
    if prefix is None:
        return None
    key = _key_by_prefix(prefix)
    if key is None or not hmac.compare_digest(key.token_hash, token_hash(token)):
        return None
    return key if key.is_usable() else None
