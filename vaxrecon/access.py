"""Cross-cutting access rules: who the acting user is in the procedure and what they may see.

Every selector and view goes through here. A user's scope is one of: a facility, a ward
(commune), a province, or the nation. Objects are located by facility / ward / province
field paths that each selector names, so one rule serves every model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from vaxrecon.cache import CacheUnavailable
from vaxrecon.errors import NotAllowed, TooManyRequests
from vaxrecon.middleware import client_ip

FACILITY, WARD, PROVINCE, NATION, NONE = "facility", "ward", "province", "nation", "none"


@dataclass(frozen=True)
class Scope:
    kind: str
    role: str = ""
    facility_id: int | None = None
    ward_id: int | None = None
    province_id: int | None = None

    @property
    def is_nation(self) -> bool:
        return self.kind == NATION

    def q(self, *, facility: str | None = None, ward: str | None = None, province: str | None = None) -> Q:
        """A filter keeping only objects inside this scope.

        `facility`, `ward` and `province` are the lookup paths from the model being filtered
        (e.g. ward="citizen__ward", province="citizen__ward__province"). A path the model
        lacks is None; a scope that cannot be expressed with the given paths sees nothing.
        """
        nothing = Q(pk__in=[])
        if self.kind == NATION:
            return Q()
        if self.kind == PROVINCE:
            return Q(**{province: self.province_id}) if province else nothing
        if self.kind == WARD:
            return Q(**{ward: self.ward_id}) if ward else nothing
        if self.kind == FACILITY:
            return Q(**{facility: self.facility_id}) if facility else nothing
        return nothing


NO_SCOPE = Scope(kind=NONE)


def scope_for(user) -> Scope:
    """The scope an authenticated user acts in; NO_SCOPE for anyone without a profile."""
    if not getattr(user, "is_authenticated", False):
        return NO_SCOPE
    profile = getattr(user, "profile", None)
    if profile is None:
        return Scope(kind=NATION, role="superuser") if user.is_superuser else NO_SCOPE
    role = profile.role
    if role == Role.MINISTRY_ANALYST:
        return Scope(kind=NATION, role=role)
    if role == Role.PROVINCIAL_OFFICER:
        return Scope(kind=PROVINCE, role=role, province_id=profile.province_id)
    if role == Role.COMMUNE_POLICE or (role == Role.SIGNER and profile.ward_id and not profile.facility_id):
        return Scope(kind=WARD, role=role, ward_id=profile.ward_id,
                     province_id=profile.ward.province_id)
    if profile.facility_id:
        return Scope(kind=FACILITY, role=role, facility_id=profile.facility_id,
                     ward_id=profile.facility.ward_id, province_id=profile.facility.ward.province_id)
    return NO_SCOPE


def role_of(user) -> str:
    return scope_for(user).role


def role_required(*roles: str):
    """Page decorator: logged in, and one of these roles; others get 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if role_of(request.user) not in roles:
                raise NotAllowed(_("Your role cannot open this page."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- How often: attempts per key in a window, counted in the shared cache ----------------

def _counter(bucket: str, key: str, seconds: int, now: float) -> tuple[str, float]:
    """The cache key of `key`'s counter in the current window, and when that window ends."""
    window = int(now // seconds)
    return f"attempts:{bucket}:{key}:{window}", (window + 1) * seconds


def attempt_count(bucket: str, key: str, *, seconds: int) -> tuple[int, int]:
    """Count one attempt of `key` (an address, a certificate) in `bucket`: (attempts in the
    current `seconds`-long window, seconds until it ends). Windows are fixed, one counter each, in
    the default cache (Redis in production: shared by every web process and worker)."""
    now = time.time()
    counter, ends = _counter(bucket, key, seconds, now)
    if hasattr(cache, "count"):  # the shared Redis cache: add and incr in one round trip
        return cache.count(counter, timeout=seconds + 1), max(1, math.ceil(ends - now))
    cache.add(counter, 0, timeout=seconds + 1)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, timeout=seconds + 1)
        count = 1
    return count, max(1, math.ceil(ends - now))


def attempts_forget(bucket: str, key: str, *, seconds: int) -> None:
    """Start `key`'s count in `bucket` again (e.g. after the right passphrase)."""
    cache.delete(_counter(bucket, key, seconds, time.time())[0])


def attempt_wait(bucket: str, key: str, *, limit: int, seconds: int) -> int:
    """Count one attempt; 0 while `key` is within `limit` attempts per window, else the seconds
    until the window ends (a burst is cut off after `limit` whatever its speed)."""
    count, left = attempt_count(bucket, key, seconds=seconds)
    return 0 if count <= limit else left


def rate_limited(bucket: str, *, counts: Callable[[HttpRequest], bool] = lambda r: r.method == "POST"):
    """Page decorator: at most RATE_LIMITS[bucket] = (attempts, seconds) counted requests per client
    address; beyond, TooManyRequests (429, Retry-After) before the view runs, so nothing is read,
    sent or stored. `counts` says which requests count (POSTs unless told). While the shared cache
    is down nothing can be counted and the request goes through (the page keeps working)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if counts(request):
                limit, seconds = settings.RATE_LIMITS[bucket]
                try:
                    wait = attempt_wait(bucket, client_ip(request), limit=limit, seconds=seconds)
                except CacheUnavailable:
                    wait = 0
                if wait:
                    raise TooManyRequests(gettext("Too many requests from your address. Please wait "
                                                  "%(seconds)s seconds and try again.") % {"seconds": wait},
                                          retry_after=wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Navigation: (url name, label, roles). Entries whose URL is not installed yet are skipped,
# so an app adds its pages to the menu by adding its URL, nothing else.
NAVIGATION = [
    ("home", _("Home"), None),
    ("verification:queue", _("Case queue"), {Role.CLINIC_STAFF}),
    ("verification:import_upload", _("Import a log"), {Role.CLINIC_STAFF}),
    ("verification:review_queue", _("Match review"), {Role.CLINIC_STAFF}),
    ("api:keys", _("API keys"), {Role.CLINIC_STAFF, Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST}),
    ("verification:police_queue", _("Verification queue"), {Role.COMMUNE_POLICE}),
    ("verification:police_report", _("Police verification report"),
     {Role.COMMUNE_POLICE, Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST}),
    ("signing:batch", _("Sign records"), {Role.SIGNER, Role.PROVINCIAL_OFFICER}),
    ("signing:signed", _("Signed records"), {Role.SIGNER, Role.PROVINCIAL_OFFICER}),
    ("certificates:bulk", _("Issue certificates"), {Role.PROVINCIAL_OFFICER}),
    ("reports:dashboard", _("Dashboard"), {Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST}),
    ("reports:daily", _("Daily reports"), {Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST}),
    ("reports:export", _("Exports"), {Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST}),
]


def navigation(request: HttpRequest) -> dict:
    """Template context: the menu for the acting user's role, and their scope."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {"nav_items": [], "acting_scope": NO_SCOPE}
    scope = scope_for(user)
    items = []
    for name, label, roles in NAVIGATION:
        if roles is not None and scope.role not in roles:
            continue
        try:
            items.append({"url": reverse(name), "label": label, "name": name})
        except NoReverseMatch:
            continue
    return {"nav_items": items, "acting_scope": scope}
