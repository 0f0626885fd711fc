"""API keys: made and revoked by the facility's staff (a province's officer, the Ministry) on a page,
shown once, stored hashed, expiring,
noting their last use, acting only in their facility and role; both steps audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiKey
from api.services import api_key_create, api_key_revoke
from api.tokens import token_hash
from records.models import AuditEvent, Province
from tests.api.conftest import assert_problem, key_client
from tests.factories import HCM_PROVINCE, Role, make_user
from vaxrecon.errors import InvalidInput, NotAllowed, NotFoundInScope

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


def test_staff_create_a_key_on_the_page_and_see_the_token_once(client, clinic_user):
    client.force_login(clinic_user)
    response = client.post(reverse("api:keys"), {"name": "HIS", "role": "clinic_staff", "days": 30})
    assert response.status_code == 201
    token = response.context["created"].token
    assert token in response.content.decode()
    key = ApiKey.objects.get()
    assert key.token_hash == token_hash(token) and token not in str(vars(key))
    assert key.facility == clinic_user.profile.facility and key.created_by == clinic_user
    assert timedelta(days=29) < key.expires_at - timezone.now() <= timedelta(days=30)
    again = client.get(reverse("api:keys")).content.decode()
    assert token not in again and f"vxr_{key.prefix}_" in again
    event = AuditEvent.objects.get(action="api_key.create")
    assert event.actor == clinic_user and event.after["prefix"] == key.prefix
    assert token not in str(event.after)


def test_a_bad_form_creates_no_key(client, clinic_user):
    client.force_login(clinic_user)
    response = client.post(reverse("api:keys"), {"name": "", "role": "ministry_analyst", "days": 0})
    assert response.status_code == 400
    assert not ApiKey.objects.exists() and not AuditEvent.objects.filter(action="api_key.create").exists()


def test_the_key_acts_in_its_facility_and_role(clinic_api, clinic_user, clinic_key):
    body = clinic_api.get(ME).json()
    assert body["role"] == "clinic_staff" and body["scope"] == "facility"
    assert body["facility"] == clinic_user.profile.facility_id and body["api_key"] == clinic_key.key.prefix
    clinic_key.key.refresh_from_db()
    assert clinic_key.key.last_used_at is not None


def test_a_revoked_key_is_refused_at_once_and_the_revocation_audited(client, clinic_user, clinic_key):
    api = key_client(clinic_key.token)
    assert api.get(ME).status_code == 200
    client.force_login(clinic_user)
    response = client.post(reverse("api:key_revoke", args=[clinic_key.key.pk]))
    assert response.status_code == 302
    assert_problem(api.get(ME), 401, "authentication_failed")
    event = AuditEvent.objects.get(action="api_key.revoke")
    assert event.actor == clinic_user and event.before["revoked_at"] is None and event.after["revoked_at"]


def test_an_expired_key_is_refused(clinic_key):
    ApiKey.objects.filter(pk=clinic_key.key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = key_client(clinic_key.token).get(ME)
    assert_problem(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "ApiKey"


def test_a_wrong_secret_with_a_real_prefix_is_refused(clinic_key):
    forged = clinic_key.token[:-4] + ("aaaa" if not clinic_key.token.endswith("aaaa") else "bbbb")
    assert_problem(key_client(forged).get(ME), 401, "authentication_failed")


def test_staff_of_another_facility_cannot_revoke_the_key(other_clinic_user, clinic_key, client):
    with pytest.raises(NotFoundInScope):
        api_key_revoke(actor=other_clinic_user, key_id=clinic_key.key.pk)
    client.force_login(other_clinic_user)
    assert client.post(reverse("api:key_revoke", args=[clinic_key.key.pk])).status_code == 404
    assert ApiKey.objects.get(pk=clinic_key.key.pk).revoked_at is None


def test_other_roles_cannot_make_keys(police_user, client):
    with pytest.raises(NotAllowed):
        api_key_create(actor=police_user, name="x", role="clinic_staff")
    client.force_login(police_user)
    assert client.get(reverse("api:keys")).status_code == 403
    assert not ApiKey.objects.exists()


def test_http_basic_is_not_accepted(clinic_user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Basic Y2xpbmljLWhuOnB3LWZvci10ZXN0cy1vbmx5")  # clinic-hn:password
    assert_problem(api.get(ME), 401, "not_authenticated")


def test_the_browser_session_works_too(clinic_user):
    api = APIClient()
    api.force_login(clinic_user)
    assert api.get(ME).json()["username"] == "clinic-hn"


def test_the_key_page_speaks_vietnamese_first_and_is_in_the_clinic_s_menu(client, clinic_user):
    client.force_login(clinic_user)
    html = client.get(reverse("api:keys")).content.decode()
    assert "Khóa API" in html and "Tạo khóa" in html and "Chưa có khóa nào." in html
    assert f'href="{reverse("api:keys")}"' in html


def test_problem_titles_and_details_follow_the_language(clinic_api):
    body = clinic_api.get("/api/v1/citizens/", HTTP_ACCEPT_LANGUAGE="vi").json()
    assert body["title"] == "Yêu cầu không hợp lệ"
    assert body["detail"] == "Nhập số CCCD, hoặc họ tên và ngày sinh."
    english = clinic_api.get("/api/v1/citizens/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["title"] == "The request is not valid"


@pytest.mark.parametrize(("persona", "role", "scope"), [("provincial_user", "provincial_officer", "province"),
                                                        ("ministry_user", "ministry_analyst", "nation")])
def test_a_province_and_the_ministry_make_machine_keys_of_their_own_scope(persona, role, scope, client,
                                                                          request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    html = client.get(reverse("api:keys")).content.decode()
    assert f'value="{role}"' in html and 'value="clinic_staff"' not in html
    response = client.post(reverse("api:keys"), {"name": "Cổng dữ liệu", "role": role, "days": 30})
    assert response.status_code == 201
    key = ApiKey.objects.get()
    assert key.facility is None and key.province_id == user.profile.province_id and key.created_by == user
    body = key_client(response.context["created"].token).get(ME).json()
    assert body["role"] == role and body["scope"] == scope and body["province"] == user.profile.province_id
    assert AuditEvent.objects.get(action="api_key.create").after["province_id"] == user.profile.province_id


@pytest.mark.parametrize(("persona", "refused"), [
    ("provincial_user", ["clinic_staff", "ministry_analyst"]),
    ("ministry_user", ["provincial_officer", "signer"]),
    ("clinic_user", ["provincial_officer", "ministry_analyst"])])
def test_no_one_makes_a_key_of_another_role_than_their_own_scope_holds(persona, refused, request):
    user = request.getfixturevalue(persona)
    for role in refused:
        with pytest.raises(InvalidInput):
            api_key_create(actor=user, name="x", role=role)
    assert not ApiKey.objects.exists()


def test_a_province_revokes_only_its_own_keys(provincial_user, clinic_key, reference_data):
    hcm_officer = make_user(Role.PROVINCIAL_OFFICER, province=Province.objects.get(code=HCM_PROVINCE))
    theirs = api_key_create(actor=hcm_officer, name="CDC HCM", role="provincial_officer")
    for key in (theirs.key, clinic_key.key):
        with pytest.raises(NotFoundInScope):
            api_key_revoke(actor=provincial_user, key_id=key.pk)
    assert api_key_revoke(actor=hcm_officer, key_id=theirs.key.pk).revoked_at is not None
    assert_problem(key_client(theirs.token).get(ME), 401, "authentication_failed")
    assert ApiKey.objects.get(pk=clinic_key.key.pk).revoked_at is None


def test_the_ministry_revokes_its_keys_but_not_a_facility_s(ministry_user, clinic_key):
    mine = api_key_create(actor=ministry_user, name="Cổng", role="ministry_analyst")
    with pytest.raises(NotFoundInScope):
        api_key_revoke(actor=ministry_user, key_id=clinic_key.key.pk)
    api_key_revoke(actor=ministry_user, key_id=mine.key.pk)
    assert_problem(key_client(mine.token).get(ME), 401, "authentication_failed")
