"""Personas of the API: a facility's software with its key, staff in a browser session."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from api.services import api_key_create
from vaxrecon.celery import app
from verification import sms


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def eager_tasks_and_sms():
    """Tasks in-process (imports, the citizen's SMS) and an empty SMS outbox."""
    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    sms.outbox.clear()
    yield
    sms.outbox.clear()
    app.conf.task_always_eager = old


def post(api: APIClient, url: str, data=None, *, key: str | None = None, **extra):
    """A POST with a fresh Idempotency-Key (or `key`), JSON unless `format` says otherwise."""
    extra.setdefault("format", "json")
    return api.post(url, data or {}, HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex, **extra)


def key_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {token}")
    return client


@pytest.fixture
def clinic_key(clinic_user):
    """A key of the Hà Nội facility acting as clinic staff, made by its staff."""
    return api_key_create(actor=clinic_user, name="HIS Hoàn Kiếm", role="clinic_staff")


@pytest.fixture
def clinic_api(clinic_key) -> APIClient:
    return key_client(clinic_key.token)


@pytest.fixture
def other_clinic_api(other_clinic_user) -> APIClient:
    """The same role elsewhere (Hồ Chí Minh City), by its own key."""
    return key_client(api_key_create(actor=other_clinic_user, name="HIS Sài Gòn", role="clinic_staff").token)


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def assert_problem(response, status: int, code: str, field: str | None = None) -> dict:
    """The body is RFC 9457 problem details with this status and code (and an error on `field`)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"urn:vaxrecon:problem:{code}" and body["code"] == code
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body
