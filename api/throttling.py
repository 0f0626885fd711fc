"""Requests per API key and per logged-in user, counted in the default cache (Redis in
production: shared by every web process). Beyond the rate: 429 with Retry-After."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiKey


class _Rate(SimpleRateThrottle):
    def get_rate(self):  # read per request, so a test or deployment changes it in settings
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class PerKeyThrottle(_Rate):
    """Each API key: API_THROTTLE_KEY requests (e.g. 600/min)."""

    scope = "key"

    def get_cache_key(self, request, view):
        return f"throttle:api:key:{request.auth.pk}" if isinstance(request.auth, ApiKey) else None


class PerUserThrottle(_Rate):
    """Each user in a browser session: API_THROTTLE_USER requests (e.g. 120/min)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey) or not request.user.is_authenticated:
            return None
        return f"throttle:api:user:{request.user.pk}"
