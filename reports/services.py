"""Writing in the reports room: building days (with locks and late data), re-opening a
locked day, and a province's submission of a day to the Ministry."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta

import rfc8785
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from records.audit import record_event
from records.models import InjectionRecord, Province
from reports import range_build, selectors
from reports.build import DayBuild, build_day, day_bounds
from reports.models import ReportDay, ReportSubmission
from signing.cms import export_detached_cms, sign_payload
from signing.errors import SigningError
from signing.services import check_certificate, open_signer
from vaxrecon.access import scope_for
from vaxrecon.errors import InvalidInput, InvalidTransition, NotAllowed


def lock_after_days() -> int:
    return getattr(settings, "REPORTS_LOCK_AFTER_DAYS", 14)


def reopen_hours() -> int:
    return getattr(settings, "REPORTS_REOPEN_HOURS", 48)


def is_locked(day: date, *, now: datetime | None = None, report_day: ReportDay | None = None) -> bool:
    """A built day older than REPORTS_LOCK_AFTER_DAYS is locked (its figures stay as
    built and submitted), unless a ministry analyst re-opened it in the last
    REPORTS_REOPEN_HOURS. A day never built is not locked: a backfill may build it."""
    now = now or timezone.now()
    if (timezone.localdate(now) - day).days <= lock_after_days():
        return False
    if report_day is None:
        report_day = ReportDay.objects.filter(day=day).first()
    if report_day is None:
        return False
    reopened = report_day.reopened_at
    return not (reopened and now - reopened < timedelta(hours=reopen_hours()))


def build_days(*, start: date, end: date, now: datetime | None = None, skip_locked: bool = False,
               full: bool = False, progress: Callable[[DayBuild], None] | None = None,
               method: str = "auto", phase: Callable[[str, int, int], None] | None = None) -> list[DayBuild]:
    """Build every day from `start` to `end` inclusive, in date order.

    `method`: "daily" builds each day in its own transaction (so each day's stocks carry
    from the one before; `full` counts them afresh); "range" builds each run of days that
    may be built in one pass and one transaction (reports.range_build: PostgreSQL only, its
    figures those of a full count); "auto" takes the range build where the database has it
    for a run of at least REPORTS_RANGE_MIN_DAYS days (it reads every table once, whatever
    the range's length, so a few days are cheaper carried one by one). A locked day raises
    InvalidTransition before anything is built (or is skipped with `skip_locked`, as the
    scheduled runs do). Returns what was built, in
    date order; `phase` hears the range build's statements as they finish."""
    if start > end:
        raise InvalidInput(_("The first day must not be after the last day."))
    now = now or timezone.now()
    if end > timezone.localdate(now):
        raise InvalidInput(_("A day in the future cannot be built."))
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    known = {d.day: d for d in ReportDay.objects.filter(day__gte=start, day__lte=end)}
    locked = [d for d in days if is_locked(d, now=now, report_day=known.get(d))]
    if locked and not skip_locked:
        raise InvalidTransition(
            _("%(day)s is locked (older than %(n)d days); a ministry analyst must re-open it first.")
            % {"day": locked[0].strftime("%d/%m/%Y"), "n": lock_after_days()})
    if method not in ("auto", "daily", "range"):
        raise InvalidInput(_("Unknown build method: %(m)s.") % {"m": method})
    if method == "range" and not range_build.supported():
        raise InvalidInput(_("A range build needs PostgreSQL; build the days one by one."))
    shortest = 1 if method == "range" else _range_min_days() if method == "auto" else None
    return _build_runs([d for d in days if d not in locked], now=now, progress=progress, phase=phase,
                       shortest=shortest, full=full)


def _range_min_days() -> int | None:
    """The shortest run of days `auto` range-builds (None: never, on SQLite)."""
    return max(getattr(settings, "REPORTS_RANGE_MIN_DAYS", 10), 1) if range_build.supported() else None


def _build_runs(days: list[date], *, now: datetime, progress, phase, shortest: int | None,
                full: bool = False) -> list[DayBuild]:
    """Range-build each run of consecutive days (locked days split a range) of at least
    `shortest` days; shorter runs (or all, when `shortest` is None) day by day in date order,
    each carried from the day before (`full`: counted afresh)."""
    runs: list[list[date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    built = []
    for run in runs:
        ranged = shortest is not None and len(run) >= shortest
        results = (range_build.build_range(run[0], run[-1], now=now, progress=phase) if ranged
                   else (build_day(day, now=now, full=full) for day in run))
        for result in results:
            built.append(result)
            if progress:
                progress(result)
    return built


def mark_stale(*, now: datetime | None = None) -> int:
    """Mark built days whose figures late data changed; returns how many were marked.

    Two ways a built day goes stale: it was built before it ended (the 23:30 run; a case
    can still move before midnight), or records entered after its build carry its date
    as injection date (a paper log typed in weeks later), or replace a record that did.
    Everything else a day counts is stamped with the time it happened, so it cannot
    change a day already over."""
    now = now or timezone.now()
    marked = 0
    for report_day in ReportDay.objects.filter(stale_since__isnull=True, built_at__lt=now):
        _lo, hi = day_bounds(report_day.day)
        if report_day.built_at < hi and now >= hi:
            marked += ReportDay.objects.filter(pk=report_day.pk, stale_since__isnull=True).update(
                stale_since=now, stale_reason="built before the day ended")
    since = ReportDay.objects.filter(stale_since__isnull=True).order_by("built_at").values_list(
        "built_at", flat=True).first()
    if since is None:
        return marked
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT DISTINCT d FROM (
                SELECT r.injection_date AS d FROM records_injectionrecord r WHERE r.created_at >= %s
                UNION
                SELECT p.injection_date FROM records_injectionrecord r
                    JOIN records_injectionrecord p ON p.id = r.previous_id WHERE r.created_at >= %s) x""",
                       [connection.ops.adapt_datetimefield_value(since)] * 2)
        touched = [row[0] for row in cursor.fetchall()]
    if touched:
        touched = [d if isinstance(d, date) else date.fromisoformat(str(d)[:10]) for d in touched]
        for report_day in ReportDay.objects.filter(day__in=touched, stale_since__isnull=True):
            if _records_entered_after(report_day.day, report_day.built_at):
                marked += ReportDay.objects.filter(pk=report_day.pk, stale_since__isnull=True).update(
                    stale_since=now, stale_reason="records entered late for this injection date")
    return marked


def _records_entered_after(day: date, built_at: datetime) -> bool:
    return (InjectionRecord.objects.filter(injection_date=day, created_at__gte=built_at).exists()
            or InjectionRecord.objects.filter(previous__injection_date=day,
                                              created_at__gte=built_at).exists())


def rebuild_stale(*, now: datetime | None = None,
                  phase: Callable[[str, int, int], None] | None = None) -> list[DayBuild]:
    """Mark late-touched days and rebuild every stale day that is not locked (consecutive
    ones in one range build where the database has it; `phase` hears its statements)."""
    now = now or timezone.now()
    mark_stale(now=now)
    stale = ReportDay.objects.filter(stale_since__isnull=False).order_by("day")
    days = [report_day.day for report_day in stale
            if not is_locked(report_day.day, now=now, report_day=report_day)]
    # consecutive stale days (a paper log's weeks) in one pass where that is cheaper
    return _build_runs(days, now=now, progress=None, phase=phase, shortest=_range_min_days())


def build_closing_day(*, now: datetime | None = None) -> list[DayBuild]:
    """The scheduled run: build today (the closing day), then every stale day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    built = build_days(start=today, end=today, now=now, skip_locked=True)
    return built + [b for b in rebuild_stale(now=now) if b.day != today]


def report_reopen(*, day: date, actor) -> ReportDay:
    """A ministry analyst re-opens a locked day for REPORTS_REOPEN_HOURS (audited)."""
    if scope_for(actor).role != Role.MINISTRY_ANALYST:
        raise NotAllowed(_("Only a ministry analyst can re-open a locked day."))
    with transaction.atomic():
        report_day = ReportDay.objects.select_for_update().filter(day=day).first()
        if report_day is None:
            raise InvalidInput(_("This day has not been built yet."), field="day")
        before = {"reopened_at": report_day.reopened_at}
        report_day.reopened_at, report_day.reopened_by = timezone.now(), actor
        report_day.save(update_fields=["reopened_at", "reopened_by"])
        record_event(actor=actor, action="report.reopen", obj=report_day, before=before,
                     after={"reopened_at": report_day.reopened_at, "day": day})
    return report_day


def canonical(content: dict) -> bytes:
    """The bytes a submission's hash and signature cover (RFC 8785 JSON)."""
    return rfc8785.dumps(content)


def submission_deadline(day: date) -> datetime:
    """When a day's submission is due: REPORTS_SUBMISSION_DEADLINE_HOURS after it ends."""
    return day_bounds(day)[1] + timedelta(hours=getattr(settings, "REPORTS_SUBMISSION_DEADLINE_HOURS", 12))


def submission_create(*, day: date, province: Province, actor, note: str = "", certificate=None,
                      secret: str = "") -> ReportSubmission:
    """A provincial officer submits the province's figures for a day to the Ministry.

    Stores an immutable new version (the figures, their SHA-256) and, when a certificate
    of the submitter is given with its passphrase or PIN, a detached CMS signature over
    the same bytes. Refuses a day not built, stale, or unchanged since the last version."""
    scope = scope_for(actor)
    if scope.role != Role.PROVINCIAL_OFFICER or scope.province_id != province.code:
        raise NotAllowed(_("Only the province's health officers can submit its figures."))
    report_day = ReportDay.objects.filter(day=day).first()
    if report_day is None:
        raise InvalidInput(_("The figures of this day have not been built yet."), field="day")
    if report_day.stale_since:
        raise InvalidInput(_("Late data changed this day: it is rebuilt at the next scheduled run."),
                           field="day")
    if is_locked(day, report_day=report_day):
        raise InvalidTransition(_("This day is locked; a ministry analyst must re-open it first."))
    content = selectors.submission_content(day=day, province_id=province.code)
    payload = canonical(content)
    digest = hashlib.sha256(payload).hexdigest()
    signature = _sign_submission(payload, certificate=certificate, secret=secret, actor=actor)
    with transaction.atomic():
        last = (ReportSubmission.objects.select_for_update().filter(day=day, province=province)
                .order_by("-version").first())
        if last is not None and last.content_hash == digest:
            raise InvalidInput(_("These figures were already submitted as version %(n)d.")
                               % {"n": last.version})
        submission = ReportSubmission.objects.create(
            day=day, province=province, version=(last.version + 1) if last else 1, submitted_by=actor,
            late=timezone.now() > submission_deadline(day), figures=content, content_hash=digest, note=note,
            signature=signature, certificate=certificate if signature else None)
        record_event(actor=actor, action="report.submit", obj=submission, after={
            "day": day, "province": province.code, "version": submission.version, "content_hash": digest,
            "signed": signature is not None})
    return submission


def _sign_submission(payload: bytes, *, certificate, secret: str, actor) -> bytes | None:
    if certificate is None:
        return None
    if certificate.user_id != actor.pk or not certificate.active:
        raise NotAllowed(_("This certificate is not yours to sign with."))
    now = timezone.now()
    try:
        chain = check_certificate(certificate, at=now).chain
        with open_signer(certificate=certificate, secret=secret) as signer:
            signed = sign_payload(signer, payload, signing_time=now)
    except SigningError as exc:  # wrong passphrase or PIN, expired or revoked: say which
        raise InvalidInput(str(exc), field="secret") from exc
    # The issuing chain travels with the signature, so a verifier needs only the root.
    return export_detached_cms(certificate=signed.certificate, algorithm=signed.algorithm,
                               payload_hash=signed.payload_hash, signing_time=signed.signing_time,
                               signature=signed.signature, chain=list(chain[1:]))
