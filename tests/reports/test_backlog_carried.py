"""The backlog carried from the day before equals the backlog counted over every case.

Many cases walk random legal paths of the workflow (verification.workflow.TRANSITIONS) at
random times over ten days, some within seconds of midnight or of the 24 and 48 hour band
edges, some with deadlines that pass mid-day; every day is built carried (the nightly way)
and then counted afresh, and the stored rows must be the same."""

import random
from datetime import datetime, time, timedelta

import pytest

from records.models import Ward
from reports.build import day_bounds
from reports.figures import FIGURES
from reports.models import DailyFigures
from reports.services import build_days
from tests.factories import HCM_PROVINCE, FacilityFactory
from tests.reports.fixtures_figures import DAY, case
from verification.models import CaseEvent
from verification.workflow import TRANSITIONS
from verification.workflow import CaseStatus as S

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("days_never_lock")]

BACKLOG = [f.name for f in FIGURES if f.group == "backlog"]
FIRST = DAY - timedelta(days=9)


def _instant(rng: random.Random) -> datetime:
    """A time in the ten days, often close to a midnight (where bands and days turn)."""
    day = FIRST + timedelta(days=rng.randrange(10))
    start = day_bounds(day)[0]
    if rng.random() < 0.3:
        return start + timedelta(seconds=rng.choice([-2, -1, 0, 1, 2, 3600]))
    return start + timedelta(seconds=rng.randrange(86400))


def _walk(rng: random.Random, *, ward, facility) -> None:
    """One case on a random legal path, its events at increasing random times."""
    submitted = _instant(rng)
    deadline = submitted + timedelta(hours=rng.choice([48, 48, 30, 70]))
    state, at, events = S.SUBMITTED, submitted, []
    for _ in range(rng.randrange(7)):
        moves = [t for t in TRANSITIONS.values() if state in t.sources]
        if not moves:
            break
        move = rng.choice(moves)
        # Steps of seconds, hours or days: ages cross 24 h and 48 h on either side of a midnight.
        at = at + timedelta(seconds=rng.choice([1, 59, 3600 * 5, 3600 * 23, 3600 * 24, 3600 * 47, 86400 * 2]))
        events.append((at, move.name, state, move.target))
        state = move.target
    c = case(origin=rng.choice(["clinic_entry", "bulk_import", "citizen_report"]),
             confirmed=rng.random() < 0.7, submitted_at=submitted, deadline_at=deadline, ward=ward,
             facility=facility if rng.random() < 0.8 else None, status=state,
             closed_at=next((e[0] for e in events if e[3] in (S.CLOSED, S.REJECTED, S.WITHDRAWN)), None))
    for when, name, src, dst in events:
        CaseEvent.objects.create(case=c, at=when, actor_label="system", transition=name, from_status=src,
                                 to_status=dst, data={})


def _stored_backlog() -> list:
    return [(r["day"], r["level"], r["unit"], *(r[n] for n in BACKLOG))
            for r in DailyFigures.objects.order_by("day", "level", "unit").values("day", "level", "unit",
                                                                                   *BACKLOG)]


def test_a_carried_backlog_equals_a_full_count_over_random_paths(hanoi_facility):
    rng = random.Random(20261202)
    other_ward = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    units = [(hanoi_facility.ward, hanoi_facility),
             (other_ward, FacilityFactory(code="HCM-CARRY", name="Trạm Y tế Bến Nghé", ward=other_ward))]
    for n in range(240):
        ward, facility = units[n % 2]
        _walk(rng, ward=ward, facility=facility)
    built = build_days(start=FIRST, end=DAY + timedelta(days=1), method="daily")
    assert [b.carried for b in built] == [False] + [True] * 10
    carried = _stored_backlog()
    assert sum(sum(r[3:]) for r in carried) > 500  # the paths leave a real backlog to carry
    counted = build_days(start=FIRST, end=DAY + timedelta(days=1), full=True, method="daily")
    assert [b.carried for b in counted] == [False] * 11
    assert _stored_backlog() == carried


def test_a_case_whose_deadline_passes_mid_day_becomes_overdue_when_carried(hanoi_facility, settings):
    start = datetime.combine(DAY - timedelta(days=3), time(9), tzinfo=day_bounds(DAY)[0].tzinfo)
    case(origin="clinic_entry", submitted_at=start, deadline_at=start + timedelta(hours=60),
         ward=hanoi_facility.ward, facility=hanoi_facility, status=S.SUBMITTED)
    built = build_days(start=DAY - timedelta(days=2), end=DAY, method="daily")
    assert [b.carried for b in built] == [False, True, True]
    overdue = dict(DailyFigures.objects.filter(level=0).values_list("day", "overdue"))
    # Due at 21:00 on D-1: not overdue at the end of D-2, overdue from the end of D-1 on.
    assert overdue == {DAY - timedelta(days=2): 0, DAY - timedelta(days=1): 1, DAY: 1}
    # The range build (PostgreSQL; day by day elsewhere) says the same.
    settings.REPORTS_RANGE_MIN_DAYS = 2
    build_days(start=DAY - timedelta(days=2), end=DAY)
    assert dict(DailyFigures.objects.filter(level=0).values_list("day", "overdue")) == overdue
