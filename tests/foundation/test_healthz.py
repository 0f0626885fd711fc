"""/healthz: 200 when the database and the broker answer, 503 naming the one that does not."""

import os

import pytest
from django.test import override_settings


def test_healthz_is_200_when_database_and_broker_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"]["ok"] is True and response.json()["status"] == "ok"


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_TASK_ALWAYS_EAGER=False)
def test_healthz_is_503_when_the_broker_is_down(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False and response.json()["database"]["ok"] is True


def test_healthz_checks_the_real_redis_when_configured(client, db):
    url = os.environ.get("CELERY_BROKER_URL")
    if not url:
        pytest.skip("no CELERY_BROKER_URL: the SQLite/eager run has no broker to check")
    with override_settings(CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["broker"]["detail"] == "redis"
