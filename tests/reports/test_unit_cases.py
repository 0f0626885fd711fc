"""A commune's or facility's cases, read-only and masked, for officers in scope."""

from django.urls import reverse

from reports.models import Level
from tests.reports.conftest import a_case
from verification.models import ReconciliationCase


def cases_url(level, code):
    return reverse("reports:unit_cases", args=[level, code])


def test_a_commune_lists_the_cases_of_people_living_there_with_masked_identities(
        client, provincial_user, hanoi_ward, other_hanoi_ward, second_hanoi_facility):
    resident = a_case(ward=hanoi_ward, facility=second_hanoi_facility, id_number="001090001234",
                      phone="0912345678")
    elsewhere = a_case(ward=other_hanoi_ward)
    client.force_login(provincial_user)
    html = client.get(cases_url(Level.WARD, hanoi_ward.code)).content.decode()
    assert resident.tracking_code in html and elsewhere.tracking_code not in html
    assert "•••••••••234" in html and "091••••678" in html
    assert "001090001234" not in html and "0912345678" not in html
    assert "<form" not in html.split("<main")[1].split("</main>")[0]  # read-only


def test_a_facility_lists_the_cases_it_answers_for(client, provincial_user, hanoi_facility,
                                                   second_hanoi_facility, hanoi_ward):
    own = a_case(ward=hanoi_ward, facility=hanoi_facility)
    other = a_case(ward=hanoi_ward, facility=second_hanoi_facility)
    client.force_login(provincial_user)
    html = client.get(cases_url(Level.FACILITY, hanoi_facility.pk)).content.decode()
    assert own.tracking_code in html and other.tracking_code not in html


def test_unconfirmed_citizen_reports_are_not_listed(client, provincial_user, hanoi_ward):
    draft = a_case(ward=hanoi_ward, origin=ReconciliationCase.Origin.CITIZEN_REPORT, confirmed=False)
    client.force_login(provincial_user)
    assert draft.tracking_code not in client.get(cases_url(Level.WARD, hanoi_ward.code)).content.decode()


def test_the_list_is_paginated(client, provincial_user, hanoi_ward):
    for _n in range(51):
        a_case(ward=hanoi_ward)
    client.force_login(provincial_user)
    first = client.get(cases_url(Level.WARD, hanoi_ward.code)).content.decode()
    assert first.count("<tr class=") == 50 and "?page=2" in first
    assert client.get(cases_url(Level.WARD, hanoi_ward.code),
                      {"page": 2}).content.decode().count("<tr class=") == 1


def test_the_ministry_sees_any_communes_cases(client, ministry_user, hanoi_ward):
    case = a_case(ward=hanoi_ward)
    client.force_login(ministry_user)
    assert case.tracking_code in client.get(cases_url(Level.WARD, hanoi_ward.code)).content.decode()


def test_an_officer_of_another_province_gets_404(client, other_provincial_user, hanoi_ward, hanoi_facility):
    a_case(ward=hanoi_ward, facility=hanoi_facility)
    client.force_login(other_provincial_user)
    assert client.get(cases_url(Level.WARD, hanoi_ward.code)).status_code == 404
    assert client.get(cases_url(Level.FACILITY, hanoi_facility.pk)).status_code == 404


def test_a_province_or_the_nation_has_no_case_list(client, ministry_user, reference_data):
    client.force_login(ministry_user)
    assert client.get(cases_url(Level.PROVINCE, 1)).status_code == 404
    assert client.get(cases_url(Level.NATION, 0)).status_code == 404


def test_other_roles_get_403_and_anonymous_visitors_the_login_page(client, other_role_users, hanoi_ward):
    for user in other_role_users:
        client.force_login(user)
        assert client.get(cases_url(Level.WARD, hanoi_ward.code)).status_code == 403
    client.logout()
    response = client.get(cases_url(Level.WARD, hanoi_ward.code))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
