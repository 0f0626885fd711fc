"""The charts' JSON: stored figures only, equal to the stored rows, scoped like the pages."""

import pytest
from django.urls import reverse

from reports.models import DailyFigures, Level
from reports.selectors import BACKLOG_FIGURES
from tests.reports.conftest import HANOI, built, stored


def json_url(level, code):
    return reverse("reports:unit_json", args=[level, code])


@pytest.fixture
def hanoi_rows(days, hanoi_ward, other_hanoi_ward):
    for day in days[:-1]:
        built(day)
    rows = [stored(days[2], Level.PROVINCE, HANOI, backlog_collect_under24=4, backlog_sign_over48=1,
                   records_signed=3, verified_by_registry=5, mismatch=1, overdue=2),
            stored(days[9], Level.PROVINCE, HANOI, backlog_update_24to48=2, records_signed=8, not_found=2,
                   overdue=3)]
    stored(days[9], Level.WARD, hanoi_ward.code, overdue=3)
    stored(days[2], Level.WARD, other_hanoi_ward.code, overdue=4)
    stored(days[9], Level.WARD, other_hanoi_ward.code, overdue=0)
    return rows


def test_the_series_are_the_stored_figures_day_by_day(client, provincial_user, days, hanoi_rows):
    client.force_login(provincial_user)
    data = client.get(json_url(Level.PROVINCE, HANOI)).json()
    assert data["series"]["days"] == [d.isoformat() for d in days]
    stored_by_day = {r.day.isoformat(): r
                     for r in DailyFigures.objects.filter(level=Level.PROVINCE, unit=HANOI)}
    for name in [*BACKLOG_FIGURES, "records_signed"]:
        expected = [getattr(stored_by_day[d], name) if d in stored_by_day else 0
                    for d in data["series"]["days"]]
        assert data["series"]["values"][name] == expected, name
    assert data["series"]["values"]["records_signed"][2] == 3


def test_the_summary_sums_flows_and_keeps_the_last_days_stocks(client, provincial_user, hanoi_rows):
    client.force_login(provincial_user)
    data = client.get(json_url(Level.PROVINCE, HANOI)).json()
    assert data["summary"]["records_signed"] == 11
    assert (data["summary"]["verified_by_registry"], data["summary"]["mismatch"],
            data["summary"]["not_found"]) == \
        (5, 1, 2)
    assert data["summary"]["overdue"] == 3
    assert data["headline"]["backlog_update"] == 2
    assert data["headline"]["backlog_collect"] == 0


def test_overdue_by_commune_is_the_last_stored_day_most_first_without_zeros(
        client, provincial_user, hanoi_rows, hanoi_ward):
    client.force_login(provincial_user)
    data = client.get(json_url(Level.PROVINCE, HANOI)).json()
    assert data["children_overdue"] == [
        {"level": Level.WARD, "unit": hanoi_ward.code, "name": hanoi_ward.name, "overdue": 3}]


def test_it_reports_the_build_state_of_the_period(client, provincial_user, days, hanoi_rows):
    client.force_login(provincial_user)
    data = client.get(json_url(Level.PROVINCE, HANOI), {"start": days[0], "end": days[-2]}).json()
    assert data["built"]["stale"] == [] and data["built"]["missing"] == []
    assert data["built"]["last_built_at"]
    assert (data["start"], data["end"]) == (days[0].isoformat(), days[-2].isoformat())


def test_it_takes_a_few_queries_whatever_the_number_of_days(client, provincial_user, hanoi_rows,
                                                            django_assert_max_num_queries):
    client.force_login(provincial_user)
    client.get(json_url(Level.PROVINCE, HANOI))  # warm the session and user
    with django_assert_max_num_queries(9):
        assert client.get(json_url(Level.PROVINCE, HANOI), {"start": "2026-01-01", "end": "2026-12-31"}) \
            .status_code == 200


def test_the_ministry_reads_the_nation_and_any_province(client, ministry_user, hanoi_rows, days):
    stored(days[9], Level.NATION, 0, records_signed=40)
    client.force_login(ministry_user)
    nation = client.get(json_url(Level.NATION, 0)).json()
    assert nation["summary"]["records_signed"] == 40
    assert client.get(json_url(Level.PROVINCE, HANOI)).json()["summary"]["records_signed"] == 11


def test_an_officer_of_another_province_gets_404(client, other_provincial_user, hanoi_rows, hanoi_ward):
    client.force_login(other_provincial_user)
    assert client.get(json_url(Level.PROVINCE, HANOI)).status_code == 404
    assert client.get(json_url(Level.WARD, hanoi_ward.code)).status_code == 404
    assert client.get(json_url(Level.NATION, 0)).status_code == 404


def test_other_roles_get_403_and_anonymous_visitors_the_login_page(client, other_role_users, reference_data):
    for user in other_role_users:
        client.force_login(user)
        assert client.get(json_url(Level.PROVINCE, HANOI)).status_code == 403
    client.logout()
    response = client.get(json_url(Level.PROVINCE, HANOI))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_wrong_period_is_refused(client, provincial_user, reference_data):
    client.force_login(provincial_user)
    assert client.get(json_url(Level.PROVINCE, HANOI), {"end": "tomorrow"}).status_code == 400
