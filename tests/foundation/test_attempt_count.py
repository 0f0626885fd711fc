"""The attempt counter behind every limit (log-in, look-up, passphrases): the wait it gives is the
seconds left in the window, a counter lives as long as its window, and one that expired between its
creation and its first count starts again at one. In the test cache and on a throwaway Redis."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from tests.foundation.test_cache_down import redis_server, use_cache  # noqa: F401 - the fixture
from vaxrecon.access import attempt_count

WINDOW = 600
START = 1_900_000_200.0  # a window boundary: 600 divides it


@pytest.fixture
def clock(monkeypatch):
    """time.time() as the test sets it (the counter and the in-process cache both read it)."""
    now = [START]
    monkeypatch.setattr(time, "time", lambda: now[0])
    cache.clear()
    return now


@pytest.mark.parametrize(("offset", "wait"), [(0.2, 600), (599.5, 1), (300, 300)])
def test_the_wait_is_the_seconds_left_in_the_window_rounded_up(clock, offset, wait):
    clock[0] = START + offset
    assert attempt_count("lookup", "198.51.100.1", seconds=WINDOW) == (1, wait)


@pytest.mark.django_db
def test_on_redis_the_wait_is_the_seconds_left_in_the_window(settings, redis_server, clock):  # noqa: F811
    use_cache(settings, redis_server.url)
    cache.clear()
    clock[0] = START + 599.5
    assert attempt_count("lookup", "198.51.100.2", seconds=WINDOW) == (1, 1)
    clock[0] = START + 0.2
    assert attempt_count("lookup", "198.51.100.3", seconds=WINDOW) == (1, 600)


def test_a_counter_lives_until_its_window_ends(clock):
    clock[0] = START + 0.5  # first attempt half a second into a 10-second window
    assert attempt_count("login", "u", seconds=10)[0] == 1
    clock[0] = START + 9.6  # the same window, 9.1 s later
    assert attempt_count("login", "u", seconds=10)[0] == 2
    clock[0] = START + 10.1  # the next window counts afresh
    assert attempt_count("login", "u", seconds=10)[0] == 1


def test_a_counter_that_expired_before_its_first_count_starts_again_at_one(clock, monkeypatch):
    real_add = cache.add
    skipped = []

    def add_lost_once(*args, **kwargs):  # as if the counter expired between add and incr
        if not skipped:
            skipped.append(args)
            return True
        return real_add(*args, **kwargs)

    monkeypatch.setattr(cache, "add", add_lost_once)
    assert attempt_count("login", "v", seconds=10)[0] == 1
    assert skipped  # the lost counter was met
    clock[0] = START + 9
    assert [attempt_count("login", "v", seconds=10)[0] for _ in range(2)] == [2, 3]
