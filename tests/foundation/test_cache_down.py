"""Redis down, for the cache (the outbox test covers the broker): the pages that read or count in
the shared cache — home figures, the citizen look-up's address limit, log-in — keep answering
while the cache's Redis is unreachable, and the limits count again once it is back. The cache is
the production one (vaxrecon.cache.ResilientRedisCache) on a closed port, then on a throwaway
redis-server of this test (never the shared one)."""

from __future__ import annotations

import json
import shutil
import socket
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.foundation.test_settings import _settings_value
from tests.imports.test_broker_down import ThrowawayRedis
from vaxrecon.access import attempt_count
from vaxrecon.cache import CacheUnavailable, cache_reachable

pytestmark = pytest.mark.django_db
LIMIT = 2


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{s.getsockname()[1]}/0"


def use_cache(settings, url: str) -> None:
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "vaxrecon.cache.ResilientRedisCache", "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lookup": (LIMIT, 600)}
    settings.SCOPE_FIGURES_MAX_AGE = 300


def _lookups(client, n: int) -> list[int]:
    return [client.get(reverse("verification:status_lookup"), {"code": f"WRONG{i:07d}"},
                       REMOTE_ADDR="198.51.100.7").status_code for i in range(n)]


@pytest.fixture
def redis_server():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = ThrowawayRedis()
    server.start()
    yield server
    server.stop()


def test_production_settings_put_the_default_cache_on_redis_behind_the_resilient_backend():
    result = _settings_value("[s.CACHES['default']['BACKEND'], s.CACHES['default']['OPTIONS']]",
                             CACHE_URL="redis://127.0.0.1:6379/3", CACHE_TIMEOUT_SECONDS="0.25")
    backend, options = json.loads(result.stdout)
    assert backend == "vaxrecon.cache.ResilientRedisCache"
    assert options == {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}


def test_with_the_cache_down_the_pages_answer_and_nothing_is_counted(settings, client, clinic_user,
                                                                     hanoi_facility):
    use_cache(settings, _closed_port_url())
    assert not cache_reachable()
    started = time.monotonic()
    client.force_login(clinic_user)
    home = client.get(reverse("home"))
    assert home.status_code == 200 and hanoi_facility.name in home.content.decode()
    assert _lookups(client, LIMIT + 3) == [200] * (LIMIT + 3)  # no counter: let through, not a 500
    client.logout()
    login = client.post(reverse("login"), {"username": "clinic-hn", "password": "pw-for-tests-only"})
    assert login.status_code == 302
    assert cache.get("anything", "missed") == "missed"
    with pytest.raises(CacheUnavailable):
        cache.incr("a-counter")
    assert time.monotonic() - started < 30  # each refused connection is immediate, not a hang


def test_when_the_cache_is_back_the_limits_count_again(settings, client, redis_server, reference_data):
    use_cache(settings, redis_server.url)
    assert cache_reachable()
    cache.clear()
    answers = _lookups(client, LIMIT + 2)
    assert answers[:LIMIT] == [200] * LIMIT and answers[LIMIT:] == [429, 429]

    redis_server.stop()
    assert _lookups(client, 2) == [200, 200]  # down again: served, not counted
    redis_server.start()  # an empty Redis: the window starts again
    assert _lookups(client, LIMIT + 1)[-1] == 429


def test_on_redis_a_count_is_one_round_trip_and_its_window_expires(settings, redis_server):
    use_cache(settings, redis_server.url)
    cache.clear()
    client = cache._cache.get_client(write=True)
    sent = []
    real = client.connection_pool.get_connection

    def counting(*args, **kwargs):  # each round trip takes a connection from the pool
        sent.append(args)
        return real(*args, **kwargs)

    client.connection_pool.get_connection = counting
    try:
        counts = [attempt_count("lookup", "198.51.100.9", seconds=600)[0] for _ in range(3)]
    finally:
        client.connection_pool.get_connection = real
    assert counts == [1, 2, 3] and len(sent) == 3
    [counter] = [k for k in client.keys("*") if b"198.51.100.9" in k]
    assert 0 < client.ttl(counter) <= 601  # the window's counter does not outlive it
