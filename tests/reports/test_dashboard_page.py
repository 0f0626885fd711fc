"""The dashboard page: a unit's headline figures over a period, its child units' table
(readable without JavaScript, sortable, drill-down links), build warnings, scoping."""

from datetime import timedelta

import pytest
from django.urls import reverse

from records.models import Province
from reports.models import Level, ReportSubmission
from reports.services import submission_deadline
from tests.reports.conftest import HANOI, built, figures_on_page, stored


def unit_url(level, code):
    return reverse("reports:unit", args=[level, code])


@pytest.fixture
def hanoi_figures(days, hanoi_ward, other_hanoi_ward, hanoi_facility):
    """Two built days of Hà Nội (the day before yesterday and yesterday), every other day of
    the period built with nothing stored, today not built."""
    before, last = days[-3], days[-2]
    for day in days[:-1]:
        built(day)
    stored(before, Level.PROVINCE, HANOI, received_citizen=3, received_clinic=2, sent_to_police=4,
           verified_by_registry=2, confirmed_by_officer=1, records_signed=5, cases_closed=1, overdue=7,
           backlog_collect_under24=2, population=1000, people_dose1=800, people_dose2=600)
    stored(last, Level.PROVINCE, HANOI, received_import=4, records_signed=2, overdue=6,
           backlog_collect_under24=1, backlog_police_over48=3, backlog_police_24to48=2, population=1000,
           people_dose1=820, people_dose2=615)
    stored(last, Level.WARD, hanoi_ward.code, received_import=4, overdue=5, backlog_police_over48=3)
    stored(before, Level.WARD, other_hanoi_ward.code, received_citizen=3, overdue=2)
    stored(last, Level.WARD, other_hanoi_ward.code, overdue=1)
    stored(last, Level.FACILITY, hanoi_facility.pk, received_import=4, overdue=5)
    return before, last


def test_an_officer_opens_the_dashboard_on_their_province_with_its_figures_for_the_period(
        client, provincial_user, hanoi_figures):
    client.force_login(provincial_user)
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{Province.objects.get(code=HANOI).name}" in html
    headline = figures_on_page(html)[0][None]
    # Flows add up over the period, stocks are the last day's.
    assert headline["received"] == "9"
    assert headline["sent_to_police"] == "4"
    assert headline["verified"] == "3"
    assert headline["records_signed"] == "7"
    assert headline["overdue"] == "6"
    assert headline["backlog_collect"] == "1"
    assert headline["backlog_police"] == "5"
    assert headline["coverage_dose1"] == "82,0 %"  # Vietnamese decimal comma
    assert headline["dropout_1_2"] == "25,0 %"


def test_the_communes_table_shows_each_communes_figures_and_links_to_its_dashboard(
        client, provincial_user, hanoi_figures, hanoi_ward, other_hanoi_ward):
    client.force_login(provincial_user)
    html = client.get(reverse("reports:dashboard")).content.decode()
    cells, order = figures_on_page(html)
    assert set(order) == {hanoi_ward.code, other_hanoi_ward.code}
    assert cells[hanoi_ward.code]["received"] == "4"
    assert cells[hanoi_ward.code]["overdue"] == "5"
    assert cells[other_hanoi_ward.code]["received"] == "3"
    assert cells[other_hanoi_ward.code]["overdue"] == "1"  # the last day's stock, not a sum
    assert f'href="{unit_url(Level.WARD, hanoi_ward.code)}?start=' in html
    assert f'href="{reverse("reports:unit_cases", args=[Level.WARD, hanoi_ward.code])}"' in html


def test_the_table_sorts_on_the_server_by_a_figure_and_the_header_flips_the_direction(
        client, provincial_user, hanoi_figures, hanoi_ward, other_hanoi_ward):
    client.force_login(provincial_user)
    url = unit_url(Level.PROVINCE, HANOI)
    descending = client.get(url, {"sort": "overdue", "dir": "desc"}).content.decode()
    assert figures_on_page(descending)[1] == [hanoi_ward.code, other_hanoi_ward.code]
    assert 'aria-sort="descending"' in descending
    assert "sort=overdue&amp;dir=asc" in descending  # the next click on the header
    ascending = client.get(url, {"sort": "overdue", "dir": "asc"}).content.decode()
    assert figures_on_page(ascending)[1] == [other_hanoi_ward.code, hanoi_ward.code]


def test_a_commune_lists_its_facilities_and_a_facility_links_to_its_cases(
        client, provincial_user, hanoi_figures, hanoi_ward, hanoi_facility):
    client.force_login(provincial_user)
    commune = client.get(unit_url(Level.WARD, hanoi_ward.code)).content.decode()
    cells, order = figures_on_page(commune)
    assert order == [hanoi_facility.pk]
    assert cells[hanoi_facility.pk]["overdue"] == "5"
    facility = client.get(unit_url(Level.FACILITY, hanoi_facility.pk)).content.decode()
    assert reverse("reports:unit_cases", args=[Level.FACILITY, hanoi_facility.pk]) in facility
    assert 'data-testid="children"' not in facility  # nothing below a facility
    # Breadcrumbs: the province and the commune, not the nation an officer cannot open.
    assert f'href="{unit_url(Level.PROVINCE, HANOI)}?' in facility
    assert f'href="{unit_url(Level.WARD, hanoi_ward.code)}?' in facility
    assert f'href="{unit_url(Level.NATION, 0)}' not in facility


def test_the_page_says_when_figures_were_built_and_warns_of_stale_and_missing_days(
        client, provincial_user, days, today):
    for day in days[:-1]:
        if day != days[3]:
            built(day, stale=day == days[5])
    client.force_login(provincial_user)
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert 'data-testid="built-at"' in html
    warning = html.split('data-testid="range-warning"')[1].split("</div>")[0]
    assert days[5].strftime("%d/%m/%Y") in warning
    assert days[3].strftime("%d/%m/%Y") in warning
    assert today.strftime("%d/%m/%Y") not in warning  # today is built when it closes


def test_a_fully_built_period_shows_no_warning(client, provincial_user, days):
    for day in days[:-1]:
        built(day)
    client.force_login(provincial_user)
    html = client.get(reverse("reports:dashboard"), {"start": days[0], "end": days[-2]}).content.decode()
    assert 'data-testid="range-warning"' not in html


@pytest.mark.parametrize("query", [{"start": "31/11/2026"}, {"start": "2026-11-20", "end": "2026-11-01"},
                                   {"start": "2024-01-01", "end": "2026-01-01"}])
def test_a_wrong_period_is_refused_with_a_message(client, provincial_user, query):
    client.force_login(provincial_user)
    response = client.get(reverse("reports:dashboard"), query)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_the_ministry_sees_every_province_with_its_submission_for_the_last_day(
        client, ministry_user, provincial_user, hanoi_figures, settings):
    last = hanoi_figures[1]
    ReportSubmission.objects.create(day=last, province_id=HANOI, version=1, submitted_by=provincial_user,
                                    submitted_at=submission_deadline(last) - timedelta(hours=1), figures={},
                                    content_hash="0" * 64)
    ReportSubmission.objects.create(day=last, province_id=79, version=1, submitted_by=provincial_user,
                                    submitted_at=submission_deadline(last) + timedelta(hours=1), figures={},
                                    content_hash="1" * 64)
    client.force_login(ministry_user)
    html = client.get(reverse("reports:dashboard"), {"start": hanoi_figures[0], "end": last}).content.decode()
    cells, order = figures_on_page(html)
    assert len(order) == Province.objects.count()
    assert cells[HANOI]["received"] == "9"
    assert f'<tr data-unit="{HANOI}">' in html
    assert 'data-submission="on_time"' in html.split(f'<tr data-unit="{HANOI}">')[1].split("</tr>")[0]
    assert 'data-submission="late"' in html.split('<tr data-unit="79">')[1].split("</tr>")[0]
    assert html.count('data-submission="missing"') == Province.objects.count() - 2
    assert 'data-testid="completeness"' in html


def test_the_ministry_drills_down_into_any_province(client, ministry_user, hanoi_figures, hanoi_ward):
    client.force_login(ministry_user)
    response = client.get(unit_url(Level.PROVINCE, HANOI))
    assert response.status_code == 200
    assert hanoi_ward.code in figures_on_page(response.content.decode())[1]
    assert f'href="{unit_url(Level.NATION, 0)}?' in response.content.decode()


def test_an_officer_of_another_province_gets_404_on_hanoi_units(
        client, other_provincial_user, hanoi_ward, hanoi_facility):
    client.force_login(other_provincial_user)
    for level, code in [(Level.PROVINCE, HANOI), (Level.WARD, hanoi_ward.code),
                        (Level.FACILITY, hanoi_facility.pk), (Level.NATION, 0)]:
        assert client.get(unit_url(level, code)).status_code == 404


def test_an_unknown_unit_is_404(client, ministry_user, reference_data):
    client.force_login(ministry_user)
    assert client.get(unit_url(Level.WARD, 99999999)).status_code == 404
    assert client.get(unit_url(7, 1)).status_code == 404


def test_clinic_staff_police_and_signers_get_403(client, other_role_users, hanoi_ward):
    for user in other_role_users:
        client.force_login(user)
        assert client.get(reverse("reports:dashboard")).status_code == 403
        assert client.get(unit_url(Level.WARD, hanoi_ward.code)).status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, reference_data):
    for url in (reverse("reports:dashboard"), unit_url(Level.PROVINCE, HANOI)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_page_loads_the_charts_from_our_own_static_files(client, provincial_user, reference_data):
    client.force_login(provincial_user)
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert "/static/vendor/chart.js/dist/chart.umd.js" in html
    assert "/static/reports/dashboard.js" in html
    assert 'data-url="' + reverse("reports:unit_json", args=[Level.PROVINCE, HANOI]) + "?start=" in html
    assert "//cdn" not in html
