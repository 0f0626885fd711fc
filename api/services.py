"""Writing API keys: create (the token returned once) and revoke, each audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Profile
from api.models import ApiKey
from api.selectors import key_holder
from api.tokens import new_token, token_hash
from records.audit import record_event, snapshot
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidInput, NotFoundInScope

MAX_DAYS = 730
# last_used_at is written at most this often per key: not one UPDATE per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str  # shown to the creator once, never stored


@transaction.atomic
def api_key_create(*, actor, name: str, role: str, days: int | None = None) -> NewKey:
    """A new key of the actor's facility, province or of the Ministry (selectors.key_holder) acting
    in `role` for `days` (default API_KEY_DAYS). Returns the key and its token (the only time the
    token exists outside the caller). NotAllowed for a role that holds no keys."""
    holder = key_holder(scope=scope_for(actor))
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Name the software that will use the key."), field="name")
    if role not in holder.roles:
        raise InvalidInput(_("Choose the role the key acts in."), field="role")
    days = settings.API_KEY_DAYS if days is None else days
    if not 1 <= int(days) <= MAX_DAYS:
        raise InvalidInput(_("A key is valid for 1 to %(n)d days.") % {"n": MAX_DAYS}, field="days")
    prefix, token = new_token()
    user = User.objects.create_user(username=f"apikey-{prefix}", password=None, first_name=name[:150])
    Profile.objects.create(user=user, role=role, facility_id=holder.facility_id,
                           province_id=holder.province_id)
    key = ApiKey.objects.create(name=name[:100], facility_id=holder.facility_id,
                                province_id=holder.province_id, role=role, prefix=prefix,
                                token_hash=token_hash(token), user=user, created_by=actor,
                                expires_at=timezone.now() + timedelta(days=int(days)))
    after = snapshot(key, ["name", "facility", "province", "role", "prefix", "user", "created_by",
                           "expires_at"])
    record_event(actor=actor, action="api_key.create", obj=key, after=after)
    return NewKey(key=key, token=token)


@transaction.atomic
def api_key_revoke(*, actor, key_id: int) -> ApiKey:
    """Revoke a key the actor manages (their facility's, province's or the Ministry's) at once (its
    user can no longer act). Returns it; revoking a revoked key changes nothing."""
    key = key_holder(scope=scope_for(actor)).keys().select_for_update().filter(pk=key_id).first()
    if key is None:
        raise NotFoundInScope(_("No such API key."))
    if key.revoked_at is not None:
        return key
    before = snapshot(key, ["revoked_at", "revoked_by"])
    key.revoked_at, key.revoked_by = timezone.now(), actor
    key.save(update_fields=["revoked_at", "revoked_by"])
    User.objects.filter(pk=key.user_id).update(is_active=False)
    record_event(actor=actor, action="api_key.revoke", obj=key, before=before,
                 after=snapshot(key, ["revoked_at", "revoked_by"]))
    return key


def api_key_used(*, key: ApiKey) -> None:
    """Note that the key was used now (at most once per LAST_USED_RESOLUTION)."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
        last_used_at=now)
    key.last_used_at = now
