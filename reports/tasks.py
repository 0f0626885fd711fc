"""Celery tasks of the reports room: a service call each."""

from celery import shared_task

from reports import services


@shared_task(acks_late=True, max_retries=0)
def build_closing_day() -> int:
    """Build the closing day (beat: REPORTS_BUILD_AT, 23:30 local) and every stale day.

    Not retried: a build is one transaction per day and the next scheduled run does the
    same work, so a failed run is simply superseded (acks_late: a killed worker's run is
    redelivered, and rebuilding a day replaces it exactly)."""
    return len(services.build_closing_day())


@shared_task(acks_late=True, max_retries=0)
def rebuild_stale_days() -> int:
    """Hourly: mark the days late data touched and rebuild them (same reasoning)."""
    return len(services.rebuild_stale())
