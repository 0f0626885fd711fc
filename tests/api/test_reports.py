"""Daily figures, read-only, from the stored rows: a unit's summary and its days, in scope."""

from __future__ import annotations

from datetime import date

import pytest

from reports.models import DailyFigures, Level
from tests.api.conftest import assert_problem, session_client
from tests.factories import HCM_PROVINCE

pytestmark = pytest.mark.django_db
HANOI = 1


@pytest.fixture
def stored_days(reference_data):
    for day, received in ((date(2026, 11, 19), 3), (date(2026, 11, 20), 4)):
        DailyFigures.objects.create(
            day=day, level=Level.PROVINCE, unit=HANOI, province=HANOI, received_citizen=received
        )
        DailyFigures.objects.create(
            day=day, level=Level.PROVINCE, unit=HCM_PROVINCE, province=HCM_PROVINCE, received_citizen=100
        )


def url(level, code, suffix=""):
    return f"/api/v1/reports/units/{level}/{code}/{suffix}"


PERIOD = {"start": "2026-11-19", "end": "2026-11-20"}


def test_the_province_reads_its_summary_and_days(provincial_user, stored_days):
    api = session_client(provincial_user)
    body = api.get(url(Level.PROVINCE, HANOI), PERIOD).json()
    assert body["unit"]["code"] == HANOI and body["figures"]["received_citizen"] == 7
    days = api.get(url(Level.PROVINCE, HANOI, "days/"), PERIOD).json()["results"]
    assert [(d["day"], d["figures"]["received_citizen"]) for d in days] == [
        ("2026-11-19", 3),
        ("2026-11-20", 4),
    ]


def test_another_province_is_404_for_the_officer_and_open_to_the_ministry(
    provincial_user, ministry_user, stored_days
):
    assert_problem(
        session_client(provincial_user).get(url(Level.PROVINCE, HCM_PROVINCE), PERIOD), 404, "not_found"
    )
    body = session_client(ministry_user).get(url(Level.PROVINCE, HCM_PROVINCE), PERIOD).json()
    assert body["figures"]["received_citizen"] == 200


def test_clinic_staff_may_not_read_figures(clinic_api, stored_days):
    assert_problem(clinic_api.get(url(Level.PROVINCE, HANOI), PERIOD), 403, "not_allowed")


def test_a_bad_period_is_refused(ministry_user, stored_days):
    api = session_client(ministry_user)
    assert_problem(api.get(url(Level.NATION, 0), {"start": "2026-11-20"}), 400, "invalid_input", field="end")
    assert_problem(
        api.get(url(Level.NATION, 0), {"start": "2026-11-20", "end": "2026-11-01"}), 400, "invalid_input"
    )
