"""A key read once is kept by the process (api.selectors.key_for_token) and checked on every request
against the database by one statement: whatever another process changes in what decides whether and
as whom the key acts takes effect on the next request; other fields within KEY_CACHE_SECONDS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection  # noqa: F401 - read by a skipif condition
from django.utils import timezone

from accounts.models import Profile
from api import selectors
from api.models import ApiKey
from records.models import Facility
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


@pytest.fixture
def kept_api(clinic_api, clinic_key):
    """The key used once: this process keeps it."""
    assert clinic_api.get(ME).status_code == 200
    assert clinic_key.key.prefix in selectors._known
    return clinic_api


def test_a_kept_key_revoked_by_another_process_is_refused_on_the_next_request(kept_api, clinic_key):
    # what api_key_revoke writes, as another web process would: this one's kept copy is not told
    ApiKey.objects.filter(pk=clinic_key.key.pk).update(revoked_at=timezone.now())
    assert_problem(kept_api.get(ME), 401, "authentication_failed")


def test_a_kept_key_that_expires_is_refused_on_the_next_request(kept_api, clinic_key):
    ApiKey.objects.filter(pk=clinic_key.key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_problem(kept_api.get(ME), 401, "authentication_failed")


def test_a_kept_key_whose_user_is_deactivated_is_refused(kept_api, clinic_key):
    User.objects.filter(pk=clinic_key.key.user_id).update(is_active=False)
    assert_problem(kept_api.get(ME), 401, "authentication_failed")


def test_a_kept_key_moved_to_another_facility_acts_there_on_the_next_request(kept_api, clinic_key,
                                                                             hcm_facility):
    Profile.objects.filter(user_id=clinic_key.key.user_id).update(facility=hcm_facility)
    body = kept_api.get(ME).json()
    assert body["facility"] == hcm_facility.pk and body["province"] == hcm_facility.ward.province_id


def test_a_kept_key_s_facility_moved_to_another_ward_is_seen_on_the_next_request(kept_api, clinic_key,
                                                                                hcm_facility):
    Facility.objects.filter(pk=clinic_key.key.user.profile.facility_id).update(ward=hcm_facility.ward)
    body = kept_api.get(ME).json()
    assert body["ward"] == hcm_facility.ward_id and body["province"] == hcm_facility.ward.province_id


def test_a_key_deleted_elsewhere_is_unknown(kept_api, clinic_key):
    ApiKey.objects.filter(pk=clinic_key.key.pk).delete()
    assert_problem(kept_api.get(ME), 401, "authentication_failed")
    assert clinic_key.key.prefix not in selectors._known


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason=("SQLite returns the check's dates as text, so a kept key is read again on every request (never "
            "stale, one statement more): the bound is PostgreSQL's"))
def test_other_fields_are_read_again_after_the_bound(kept_api, clinic_key, monkeypatch):
    ApiKey.objects.filter(pk=clinic_key.key.pk).update(name="renamed")
    assert selectors.key_for_token(clinic_key.token).name == "HIS Hoàn Kiếm"  # within the bound
    later = selectors._known[clinic_key.key.prefix][0] + selectors.KEY_CACHE_SECONDS
    monkeypatch.setattr(selectors.time, "monotonic", lambda: later)
    assert selectors.key_for_token(clinic_key.token).name == "renamed"


def test_each_request_has_its_own_copy_of_the_key_and_its_user(kept_api, clinic_key):
    first, second = selectors.key_for_token(clinic_key.token), selectors.key_for_token(clinic_key.token)
    assert first is not second and first.user is not second.user
    assert first.user.profile is not second.user.profile and first.user.profile.user is first.user
    assert first.user.api_key is first
    first.user.first_name = "changed by a request"
    assert selectors.key_for_token(clinic_key.token).user.first_name != "changed by a request"
