"""A provincial officer opens the dashboard in Chromium, waits for the charts, and drills
down province → commune → facility; the figure shown is the stored one."""

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from records.models import Ward
from reports.models import DailyFigures, Level
from reports.services import build_days
from tests.conftest import browser_login
from tests.factories import FacilityFactory
from tests.reports.conftest import HANOI, a_case
from tests.reports.fixtures_figures import event
from verification.workflow import CaseStatus as S

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def a_week_of_cases(facilities, today):
    """Clinic entries over the last week in three Hà Nội facilities: some still waiting
    (overdue after 48 h), some in review, some through the registry or back with a mismatch."""
    for ago in range(1, 8):
        day = today - timedelta(days=ago)
        for f, facility in enumerate(facilities):
            for i in range((ago + f) % 3 + 1):
                case = a_case(ward=facility.ward, facility=facility, submitted_at=at(day, 8 + i),
                              id_number=f"00109{ago}{f}{i:05d}")
                if i == 1:
                    event(case, at(day, 12), "start_review", S.SUBMITTED, S.IN_REVIEW)
                if i == 2:
                    event(case, at(day, 12), "start_review", S.SUBMITTED, S.IN_REVIEW)
                    event(case, at(day, 14), "send_to_police", S.IN_REVIEW, S.AWAITING_POLICE)
                    outcome = ("verify_identity", S.IDENTITY_VERIFIED) if ago % 2 else \
                        ("report_mismatch", S.IDENTITY_MISMATCH)
                    event(case, at(day, 16), outcome[0], S.AWAITING_POLICE, outcome[1])


def test_an_officer_drills_down_to_a_facility_and_sees_its_stored_figure(
        page, provincial_user, hanoi_facility, second_hanoi_facility, reference_data):
    today = timezone.localdate()
    third_ward = (Ward.objects.filter(province_id=HANOI)
                  .exclude(code__in=[hanoi_facility.ward_id,
                                     second_hanoi_facility.ward_id]).order_by("code")[0])
    third = FacilityFactory(code="HN-TEST-3", name="Trạm Y tế Phường Ba", ward=third_ward)
    a_week_of_cases([hanoi_facility, second_hanoi_facility, third], today)
    build_days(start=today - timedelta(days=13), end=today)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    browser_login(page, "province-hn")
    page.goto(page.base_url + "/reports/")
    page.wait_for_selector("#dashboard-charts[data-charts=drawn]")
    assert page.evaluate("['chart-backlog', 'chart-police', 'chart-signed', 'chart-overdue']"
                         ".every(id => Chart.getChart(id) !== undefined)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    # The print view fits A4 landscape: 297 mm less 2 × 10 mm margins is about 1047 CSS px.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1047, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth <= 1047")
    assert page.evaluate("document.querySelector('table.drill').scrollWidth <= 1047")
    assert not page.locator(".topbar").is_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-print.png"), full_page=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})

    ward = hanoi_facility.ward_id
    page.click(f'tr[data-unit="{ward}"] th a[href*="/units/{Level.WARD}/{ward}/"]')
    page.wait_for_url(f"**/reports/units/{Level.WARD}/{ward}/*")
    page.wait_for_selector("#dashboard-charts[data-charts=drawn]")
    stored = DailyFigures.objects.get(level=Level.FACILITY, unit=hanoi_facility.pk, day=today)
    assert stored.overdue > 0
    row = page.locator(f'tr[data-unit="{hanoi_facility.pk}"]')
    assert row.locator("[data-figure=overdue]").inner_text() == str(stored.overdue)

    row.locator("th a").first.click()
    page.wait_for_url(f"**/reports/units/{Level.FACILITY}/{hanoi_facility.pk}/*")
    page.wait_for_selector("#dashboard-charts[data-charts=drawn]")
    assert page.locator(".headline [data-figure=overdue]").inner_text() == str(stored.overdue)
    sent = sum(DailyFigures.objects.filter(level=Level.PROVINCE, unit=HANOI)
               .values_list("sent_to_police", flat=True))
    assert sent > 0  # the week's police rounds reached the province's rows
    page.click("[data-testid=cases-link]")
    page.wait_for_url(f"**/reports/units/{Level.FACILITY}/{hanoi_facility.pk}/cases/")
    assert page.locator("table[data-testid=cases] tbody tr").count() > 0
    assert errors == []
