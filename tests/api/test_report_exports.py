"""The reports room's exports through the API: the same files as the export page (reports.exports),
for a province's or the Ministry's machine key and for officers in a browser, each in its scope."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from api.services import api_key_create, api_key_revoke
from records.models import Ward
from reports.models import Level
from tests.api.conftest import assert_problem, key_client, session_client
from tests.factories import HCM_PROVINCE, Role, make_user
from tests.police.conftest import awaiting_case
from tests.reports.fixtures_exports import (
    END,
    START,
    body,
    build_export_figures,
    read_adx,
    read_csv,
    read_json,
    read_xlsx,
    stored,
)

pytestmark = pytest.mark.django_db
FIGURES, POLICE = "/api/v1/reports/export/figures/", "/api/v1/reports/export/police/"
PAGE = "/reports/export/figures"
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}


@pytest.fixture
def figures(hanoi_facility, settings):
    return build_export_figures(hanoi_facility, settings)


@pytest.fixture
def province_key(provincial_user):
    return api_key_create(actor=provincial_user, name="CDC Hà Nội", role=Role.PROVINCIAL_OFFICER)


@pytest.fixture
def ministry_key(ministry_user):
    return api_key_create(actor=ministry_user, name="Cổng dữ liệu Bộ Y tế", role=Role.MINISTRY_ANALYST)


class Downloaded:
    """A download read once, for the format readers."""

    streaming = False

    def __init__(self, content: bytes):
        self.content = content


def without_export_time(content: bytes) -> bytes:
    """The file less the ADX header's `exported` time (two downloads may fall in two seconds)."""
    return re.sub(rb' exported="[^"]*"', b"", content, count=1)


def page_body(user, params) -> bytes:
    client = Client()
    client.force_login(user)
    return body(client.get(PAGE, params))


@pytest.mark.parametrize("fmt", ["csv", "json", "adx"])
def test_the_province_key_gets_the_pages_file_of_its_province(fmt, figures, province_key, provincial_user):
    params = {**PERIOD, "level": "ward", "format": fmt}
    response = key_client(province_key.token).get(FIGURES, params)
    assert response.status_code == 200 and response["Content-Type"].startswith(
        {"csv": "text/csv", "json": "application/json", "adx": "application/adx+xml"}[fmt])
    disposition = response["Content-Disposition"]
    assert "attachment" in disposition and "province-01" in disposition
    content = body(response)
    assert without_export_time(content) == without_export_time(page_body(provincial_user, params))
    if fmt == "csv":
        assert len(read_csv(Downloaded(content))) - 1 == len(stored(level=Level.WARD, province=1)) > 0
    elif fmt == "json":
        assert {o["province"] for o in read_json(Downloaded(content))} == {1}
    else:
        assert {g.get("orgUnit")[:1] for g in read_adx(Downloaded(content))} == {"W"}


def test_the_xlsx_holds_the_stored_facility_rows(figures, province_key):
    response = key_client(province_key.token).get(FIGURES, {**PERIOD, "level": "facility", "format": "xlsx"})
    assert response.status_code == 200
    assert len(read_xlsx(response)) - 1 == len(stored(level=Level.FACILITY, province=1)) > 0


def test_the_province_key_gets_404_for_another_province_and_the_nation(figures, province_key):
    api = key_client(province_key.token)
    hcm_ward = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    for params in ({"unit_level": "province", "unit_code": HCM_PROVINCE},
                   {"unit_level": "ward", "unit_code": hcm_ward.code}, {"unit_level": "nation"}):
        assert_problem(api.get(FIGURES, {**PERIOD, **params}), 404, "not_found")


def test_the_ministry_key_exports_any_province_and_the_nation(figures, ministry_key):
    api = key_client(ministry_key.token)
    rows = read_csv(api.get(FIGURES, {**PERIOD, "unit_level": "province", "unit_code": HCM_PROVINCE}))
    assert len(rows) - 1 == len(stored(level=Level.WARD, province=HCM_PROVINCE)) > 0
    nation = read_json(api.get(FIGURES, {**PERIOD, "unit_level": "nation", "level": "nation",
                                         "format": "json"}))
    assert len(nation) == len(stored(level=Level.NATION)) > 0


def test_other_roles_anonymous_and_revoked_keys_are_refused(figures, clinic_api, provincial_user,
                                                            province_key):
    assert_problem(clinic_api.get(FIGURES, PERIOD), 403, "not_allowed")
    assert_problem(clinic_api.get(POLICE), 403, "not_allowed")
    assert APIClient().get(FIGURES, PERIOD).status_code == 401
    assert APIClient().get(POLICE).status_code == 401
    api_key_revoke(actor=provincial_user, key_id=province_key.key.pk)
    assert_problem(key_client(province_key.token).get(FIGURES, PERIOD), 401, "authentication_failed")


@pytest.mark.parametrize(("params", "field"), [
    ({"format": "pdf"}, "format"), ({"start": "2026-13-01"}, "start"), ({"level": "moon"}, "level"),
    ({"unit_level": "ward"}, "unit_code")])
def test_bad_input_is_a_problem_naming_the_parameter(params, field, figures, ministry_key):
    assert_problem(key_client(ministry_key.token).get(FIGURES, params), 400, "invalid_input", field=field)


def test_the_police_report_is_the_pages_file_for_police_and_keys(reference_data, police_user, ministry_key):
    awaiting_case(id_number="001090000011")  # with the police of Hoàn Kiếm, received today
    for fmt in ("csv", "xlsx"):
        response = session_client(police_user).get(POLICE, {"format": fmt, "lang": "en"})
        assert response.status_code == 200 and "police-ward-" in response["Content-Disposition"]
    rows = read_csv(key_client(ministry_key.token).get(POLICE, {"lang": "en"}))
    assert rows[0][0] == "Day" and [r[1] for r in rows[1:]] == [str(police_user.profile.ward_id)]
    assert rows[1][3] == "1"  # received
    assert_problem(key_client(ministry_key.token).get(POLICE, {"format": "adx"}), 400, "invalid_input",
                   field="format")


def test_commune_police_may_not_export_figures(reference_data, hanoi_facility):
    api = session_client(make_user(Role.COMMUNE_POLICE, ward=hanoi_facility.ward))
    assert_problem(api.get(FIGURES, PERIOD), 403, "not_allowed")
