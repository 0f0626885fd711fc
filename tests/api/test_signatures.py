"""Checking a record's signatures through the API: the check page's results, in the caller's scope."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem, session_client
from tests.architecture.access_world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(reference_data, settings, tmp_path):
    settings.SIGNING_REQUIRE_REVOCATION_INFO = False
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def url(record) -> str:
    return f"/api/v1/injections/{record.pk}/signatures/"


def test_the_commune_signer_checks_a_signed_record(world):
    record = world.places["A1"].records["signed"]
    body = session_client(world.users["signer"]).get(url(record)).json()
    assert body["record"] == record.pk and body["ok"] is True
    assert [s["signature_id"] for s in body["signatures"]] == [world.places["A1"].signature.pk]
    assert {c["name"] for c in body["signatures"][0]["checks"]} >= {"chain", "signature", "payload"}


def test_a_record_awaiting_signature_has_none_and_is_not_ok(world):
    body = session_client(world.users["clinic"]).get(url(world.places["A1"].records["awaiting"])).json()
    assert body["signatures"] == [] and body["ok"] is False


def test_outside_the_scope_is_404_and_police_are_refused(world):
    b_record = world.places["B"].records["signed"]
    assert_problem(session_client(world.users["province"]).get(url(b_record)), 404, "not_found")
    assert session_client(world.users["ministry"]).get(url(b_record)).json()["ok"] is True
    assert_problem(session_client(world.users["police"]).get(url(world.places["A1"].records["signed"])), 403,
                   "not_allowed")
