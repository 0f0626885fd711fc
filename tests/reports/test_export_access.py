"""Who may export which figures, and bad input answered with a clear 400."""

import pytest

from accounts.models import Role
from records.models import Ward
from reports.models import Level
from reports.selectors import MAX_RANGE_DAYS
from tests.factories import HCM_PROVINCE, make_user
from tests.reports.fixtures_exports import END, START, URL, build_export_figures, read_csv, read_json, stored

pytestmark = pytest.mark.django_db
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}
PAGE = "/reports/export/"


@pytest.fixture
def figures(hanoi_facility, settings):
    return build_export_figures(hanoi_facility, settings)


def test_the_provincial_officer_gets_only_their_province_even_nation_wide(figures, provincial_user, client):
    client.force_login(provincial_user)
    data = read_json(client.get(URL, {**PERIOD, "level": "facility", "format": "json"}))
    assert data and {o["province"] for o in data} == {1}
    assert len(data) == len(stored(level=Level.FACILITY, province=1))


def test_the_provincial_officer_gets_404_for_another_provinces_unit(figures, provincial_user, client):
    client.force_login(provincial_user)
    hcm_ward = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    assert client.get(URL, {**PERIOD, "unit_level": "province", "unit_code": HCM_PROVINCE}).status_code == 404
    assert client.get(URL, {**PERIOD, "unit_level": "ward", "unit_code": hcm_ward.code}).status_code == 404
    assert client.get(URL, {**PERIOD, "unit_level": "facility",
                            "unit_code": figures["hcm"].pk}).status_code == 404
    assert client.get(URL, {**PERIOD, "unit_level": "nation"}).status_code == 404
    assert client.get(PAGE, {"unit_level": "province", "unit_code": HCM_PROVINCE}).status_code == 404


def test_the_ministry_analyst_exports_any_province(figures, ministry_user, client):
    client.force_login(ministry_user)
    rows = read_csv(client.get(URL, {**PERIOD, "unit_level": "province", "unit_code": HCM_PROVINCE}))
    assert len(rows) - 1 == len(stored(level=Level.WARD, province=HCM_PROVINCE)) > 0
    assert len(read_csv(client.get(URL, {**PERIOD, "unit_level": "nation", "level": "nation"}))) - 1 == len(
        stored(level=Level.NATION))


@pytest.mark.parametrize("role", [Role.CLINIC_STAFF, Role.COMMUNE_POLICE, Role.SIGNER])
def test_other_roles_get_403(role, figures, hanoi_facility, client):
    scope = {"facility": hanoi_facility} if role == Role.CLINIC_STAFF else {"ward": hanoi_facility.ward}
    client.force_login(make_user(role, **scope))
    assert client.get(URL, PERIOD).status_code == 403
    assert client.get(PAGE).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, reference_data):
    for url in (URL, PAGE, "/reports/export/police"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(("params", "says"), [
    ({"start": "2026-13-01"}, "dd/mm/yyyy"),
    ({"end": "31/02/2026"}, "dd/mm/yyyy"),
    ({"start": "2026-11-20", "end": "2026-11-01"}, str(MAX_RANGE_DAYS)),
    ({"start": "2025-01-01", "end": "2026-11-30"}, str(MAX_RANGE_DAYS)),
    ({"format": "pdf"}, "csv, xlsx, json, adx"),
    ({"level": "district"}, "nation, province, ward, facility"),
    ({"level": "nation"}, "level"),
    ({"lang": "fr"}, "vi, en"),
    ({"unit_level": "county", "unit_code": "1"}, "nation, province, ward, facility"),
    ({"unit_level": "ward", "unit_code": "x"}, "number"),
])
def test_bad_input_is_a_400_saying_what_is_wrong(params, says, provincial_user, client, reference_data):
    client.force_login(provincial_user)
    response = client.get(URL, {**PERIOD, **params}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert says in response.content.decode()


def test_the_page_offers_range_level_format_and_language(provincial_user, client, reference_data):
    client.force_login(provincial_user)
    html = client.get(PAGE).content.decode()
    assert 'action="/reports/export/figures"' in html and 'action="/reports/export/police"' in html
    for field in ('name="start"', 'name="end"', 'name="level"', 'name="format"', 'name="lang"',
                  'value="adx"', 'value="xlsx"', 'value="facility"', 'name="unit_code" value="1"'):
        assert field in html
    assert 'value="nation"' not in html  # a province officer cannot list the nation


def test_the_ministry_page_can_choose_a_province(ministry_user, client, reference_data):
    client.force_login(ministry_user)
    html = client.get(PAGE, {"unit_level": "province", "unit_code": HCM_PROVINCE}).content.decode()
    assert 'data-testid="choose-unit"' in html
    assert f'name="unit_code" value="{HCM_PROVINCE}"' in html
