"""The police figures of the daily report are the numbers the police daily verification
report shows, ward by ward and day by day."""

import pytest

from reports.figures import POLICE_FIGURES
from reports.models import DailyFigures, Level
from reports.services import build_days
from tests.reports.fixtures_figures import DAY, build_scenario
from vaxrecon.access import Scope
from verification.police.selectors import daily_police_report

pytestmark = pytest.mark.django_db

# The police report's columns, in POLICE_FIGURES order.
REPORT_COLUMNS = ["received", "verified_by_registry", "confirmed_by_officer", "mismatches", "not_found",
                  "foreign"]


def test_every_ward_shows_the_same_police_figures_in_both_reports(hanoi_facility, settings):
    settings.REPORTS_LOCK_AFTER_DAYS = 36500
    build_scenario(hanoi_facility)
    build_days(start=DAY, end=DAY)
    police = daily_police_report(scope=Scope(kind="nation"), start=DAY, end=DAY)
    from_police = {r.ward_code: [getattr(r, c) for c in REPORT_COLUMNS] for r in police.rows}
    stored = {r["unit"]: [r[f] for f in POLICE_FIGURES]
              for r in DailyFigures.objects.filter(day=DAY, level=Level.WARD).values()
              if any(r[f] for f in POLICE_FIGURES)}
    assert from_police == stored
    assert from_police[hanoi_facility.ward_id] == [5, 1, 1, 1, 1, 1]
