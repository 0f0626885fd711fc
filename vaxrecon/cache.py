"""The shared cache (Redis in production) as something the pages can live without.

What the default cache holds can be lost: home-page figures (recounted), rate-limit and API
throttle counters, a certificate's lock after wrong passphrases. With Django's own Redis backend a
Redis outage turns each of those reads into a 500; with this one a read is a miss and a write is
dropped, each logged (without the key's contents), so the pages keep answering from PostgreSQL.

A counter cannot pretend, so `incr` raises `CacheUnavailable`: the caller decides. The citizen
pages' address limits let the request through (their per-case limits live in PostgreSQL); opening
a signing key is refused while wrong passphrases cannot be counted (see `signing.signers`).
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
DOWN = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY = 30.0  # seconds between two warnings of the same outage, per process


class CacheUnavailable(Exception):
    """The shared cache cannot be reached: a count cannot be kept."""


class ResilientRedisCache(RedisCache):
    """RedisCache whose reads miss and whose writes are dropped while Redis is unreachable."""

    _warned_at = 0.0

    def _down(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._warned_at >= WARN_EVERY:
            ResilientRedisCache._warned_at = now
            logger.warning("cache unavailable (%s: %s); serving without it", operation, type(exc).__name__)

    def _guarded(self, operation: str, fallback, *args):
        try:
            return getattr(RedisCache, operation)(self, *args)
        except DOWN as exc:
            self._down(operation, exc)
            return fallback

    def get(self, key, default=None, version=None):
        return self._guarded("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._guarded("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._guarded("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._guarded("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._guarded("delete", False, key, version)

    def delete_many(self, keys, version=None):
        self._guarded("delete_many", None, keys, version)

    def clear(self):
        return self._guarded("clear", False)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except DOWN as exc:
            self._down("incr", exc)
            raise CacheUnavailable(str(exc)) from exc

    def count(self, key, *, timeout: int) -> int:
        """Add one to the counter `key` (made with `timeout` seconds to live when missing) and
        return it: `add` then `incr` in one round trip (a MULTI pipeline), not three (add, the
        EXISTS of Django's incr, INCR). CacheUnavailable while Redis is unreachable."""
        key = self.make_and_validate_key(key)
        try:
            pipe = self._cache.get_client(key, write=True).pipeline(transaction=True)
            pipe.set(key, 0, ex=timeout, nx=True)
            pipe.incr(key)
            return int(pipe.execute()[1])
        except DOWN as exc:
            self._down("incr", exc)
            raise CacheUnavailable(str(exc)) from exc

    def reachable(self) -> bool:
        """Whether Redis answers now (one PING)."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except DOWN:
            return False


def cache_reachable() -> bool:
    """Whether the default cache can keep counts now: always for an in-process cache."""
    probe = getattr(cache, "reachable", None)
    return probe() if probe else True
