"""Late data marks the right day stale and the next scheduled run rebuilds it; old days
lock, and only a ministry analyst re-opens one (audited)."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from records.models import AuditEvent, InjectionRecord
from reports.models import DailyFigures, Level, ReportDay
from reports.services import build_closing_day, build_days, mark_stale, rebuild_stale, report_reopen
from tests.reports.fixtures_figures import DAY, VN, at, build_scenario
from vaxrecon.errors import InvalidTransition, NotAllowed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]



def nation(day):
    return DailyFigures.objects.get(day=day, level=Level.NATION, unit=0)


@pytest.fixture
def built(hanoi_facility, settings):
    settings.REPORTS_LOCK_AFTER_DAYS = 36500
    data = build_scenario(hanoi_facility)
    build_days(start=DAY, end=DAY)
    return data


def test_a_paper_log_entered_weeks_later_marks_its_injection_date_and_is_rebuilt(built):
    assert nation(DAY).doses_given == 1
    lan = built["records"][1]
    # Typed in today from a paper log: a dose given on DAY.
    InjectionRecord.objects.create(citizen=lan.citizen, vaccine=lan.vaccine, dose_number=3,
                                   injection_date=DAY, facility=lan.facility)
    other_day = DAY - timedelta(days=3)
    build_days(start=other_day, end=other_day)
    assert mark_stale() == 1
    stale = ReportDay.objects.get(day=DAY)
    assert stale.stale_since and "late" in stale.stale_reason
    assert ReportDay.objects.get(day=other_day).stale_since is None  # built after the entry, nothing late
    rebuilt = rebuild_stale()
    assert [b.day for b in rebuilt] == [DAY]
    assert nation(DAY).doses_given == 2
    assert ReportDay.objects.get(day=DAY).stale_since is None


def test_a_day_built_before_it_ended_is_rebuilt_by_the_next_run(built):
    closing = DAY + timedelta(days=1)
    at_2330 = at(closing, "23:30")
    build_closing_day(now=at_2330)
    assert ReportDay.objects.get(day=closing).built_at == at_2330
    assert mark_stale(now=at_2330 + timedelta(minutes=10)) == 0  # the day is not over yet
    next_run = at(closing + timedelta(days=1), "01:15")
    rebuilt = rebuild_stale(now=next_run)
    assert closing in [b.day for b in rebuilt]
    assert ReportDay.objects.get(day=closing).built_at == next_run


def test_an_old_built_day_is_locked_and_the_command_says_so(built, settings):
    settings.REPORTS_LOCK_AFTER_DAYS = 7
    with pytest.raises(InvalidTransition, match="locked"):
        build_days(start=DAY, end=DAY)
    with pytest.raises(CommandError, match="locked"):
        call_command("build_daily_report", "--date", DAY.isoformat())
    before = list(DailyFigures.objects.filter(day=DAY).values_list("id", flat=True))
    assert build_days(start=DAY, end=DAY, skip_locked=True) == []
    assert list(DailyFigures.objects.filter(day=DAY).values_list("id", flat=True)) == before


def test_only_a_ministry_analyst_reopens_a_locked_day_and_it_is_audited(built, settings, provincial_user,
                                                                       ministry_user):
    settings.REPORTS_LOCK_AFTER_DAYS = 7
    with pytest.raises(NotAllowed):
        report_reopen(day=DAY, actor=provincial_user)
    report_reopen(day=DAY, actor=ministry_user)
    assert AuditEvent.objects.filter(action="report.reopen", actor=ministry_user).count() == 1
    assert [b.day for b in build_days(start=DAY, end=DAY)] == [DAY]


def test_the_command_backfills_a_range_and_rejects_bad_dates(built, capsys):
    call_command("build_daily_report", "--from", (DAY - timedelta(days=2)).isoformat(), "--to",
                 DAY.isoformat())
    out = capsys.readouterr()
    assert "3 day(s) built" in out.out and "3/3" in out.err
    assert ReportDay.objects.filter(day__gte=DAY - timedelta(days=2), day__lte=DAY).count() == 3
    with pytest.raises(CommandError, match="not a date"):
        call_command("build_daily_report", "--date", "20/11/2026")
    with pytest.raises(CommandError, match="future"):
        call_command("build_daily_report", "--date",
                     (datetime.now(VN).date() + timedelta(days=2)).isoformat())
