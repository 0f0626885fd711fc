"""Requests per API key and per logged-in user, counted in the default cache (Redis in
production: shared by every web process). Beyond the rate: 429 with Retry-After.

Counted in fixed windows, one counter per window (`vaxrecon.access.attempt_wait`, as the pages'
address limits): an atomic increment per request, whatever the rate. DRF's own throttle keeps the
time of every request in the window and reads and rewrites that list on each request (at 600/min,
600 timestamps; under a benchmark's raised rate, tens of thousands), and two processes' writes of
it can lose each other's requests. While the cache is down nothing is counted and requests go
through, as on the pages."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiKey
from vaxrecon.access import attempt_wait
from vaxrecon.cache import CacheUnavailable


class _Rate(SimpleRateThrottle):
    _wait = 0

    def get_rate(self):  # read per request, so a test or deployment changes it in settings
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        key = self.get_cache_key(request, view)
        limit, seconds = self.parse_rate(self.get_rate())
        if key is None or limit is None:
            return True
        try:
            self._wait = attempt_wait(f"api-{self.scope}", key, limit=limit, seconds=seconds)
        except CacheUnavailable:
            self._wait = 0
        return not self._wait

    def wait(self):
        return self._wait


class PerKeyThrottle(_Rate):
    """Each API key: API_THROTTLE_KEY requests (e.g. 600/min)."""

    scope = "key"

    def get_cache_key(self, request, view):
        return str(request.auth.pk) if isinstance(request.auth, ApiKey) else None


class PerUserThrottle(_Rate):
    """Each user in a browser session: API_THROTTLE_USER requests (e.g. 120/min)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey) or not request.user.is_authenticated:
            return None
        return str(request.user.pk)
