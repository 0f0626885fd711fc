"""The nightly build through a real Celery worker process (Redis + PostgreSQL in CI), and
the beat entries that schedule it."""

import time

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from records.models import InjectionRecord
from reports.models import DailyFigures, Level, ReportDay
from reports.tasks import build_closing_day
from tests.factories import InjectionRecordFactory

pytestmark = pytest.mark.services


def test_the_worker_builds_today_with_the_records_entered_today(transactional_db, reference_data,
                                                                celery_worker_process):
    InjectionRecordFactory.create_batch(3)
    build_closing_day.delay()
    today = timezone.localdate()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ReportDay.objects.filter(day=today).exists():
        time.sleep(0.2)
    nation = DailyFigures.objects.get(day=today, level=Level.NATION, unit=0)
    assert nation.records_created == InjectionRecord.objects.count() == 3
    assert nation.people_dose1 == 3


def test_beat_builds_the_closing_day_at_23_30_and_checks_for_late_data_hourly():
    schedule = settings.CELERY_BEAT_SCHEDULE
    closing = schedule["reports-build-closing-day"]
    assert closing["task"] == "reports.tasks.build_closing_day"
    assert closing["schedule"] == crontab(hour=23, minute=30)
    assert schedule["reports-rebuild-stale-days"]["task"] == "reports.tasks.rebuild_stale_days"
    assert settings.CELERY_TIMEZONE == "Asia/Ho_Chi_Minh"
