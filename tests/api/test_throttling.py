"""Throttling per API key and per browser user: beyond the rate 429 with Retry-After, others unaffected."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.api.conftest import assert_problem, session_client

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_a_key_beyond_its_rate_gets_429_with_retry_after(settings, clinic_api, other_clinic_api):
    settings.API_THROTTLE_RATES = {"key": "3/min", "user": "100/min"}
    assert [clinic_api.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    response = clinic_api.get(ME)
    assert_problem(response, 429, "too_many_requests")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert other_clinic_api.get(ME).status_code == 200  # another key has its own count


def test_a_user_beyond_their_rate_gets_429(settings, clinic_user, police_user):
    settings.API_THROTTLE_RATES = {"key": "100/min", "user": "2/min"}
    api, other = session_client(clinic_user), session_client(police_user)
    assert [api.get(ME).status_code for _ in range(2)] == [200, 200]
    assert_problem(api.get(ME), 429, "too_many_requests")
    assert other.get(ME).status_code == 200
