"""A range built in lanes (reports.lanes: its chains at once, each on its own connection,
all in one exported snapshot) stores exactly what the same range built on one connection
stores; a failing lane leaves the stored figures as they were and no table behind; the
shared tables a killed build left are dropped by the next one. PostgreSQL only, on
committed data (lanes cannot see a test's open transaction), so each test cleans up by
truncation (transactional_db)."""

import threading

import pytest
from django.db import connection

from reports import lanes, range_build
from reports.models import DailyDoses, DailyFigures
from reports.services import build_days
from tests.reports.fixtures_figures import build_scenario
from tests.reports.test_range_build import FIRST, LAST, _stored, random_days

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("days_never_lock"),
              pytest.mark.skipif("connection.vendor != 'postgresql'", reason="lanes are PostgreSQL's")]


def _leftovers() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'reports\\_lane\\_%%'")
        return [row[0] for row in cursor.fetchall()]


def _data(hanoi_facility) -> None:
    random_days(hanoi_facility, seed=20261206, walks=120)


def test_a_range_built_in_lanes_equals_the_range_built_on_one_connection(hanoi_facility, settings):
    _data(hanoi_facility)
    settings.REPORTS_BUILD_LANES = 1
    assert not lanes.usable()
    build_days(start=FIRST, end=LAST, method="range")
    one_connection = _stored()
    assert len(one_connection[0]) > 80 and len(one_connection[1]) > 100
    DailyFigures.objects.all().delete()
    DailyDoses.objects.all().delete()

    settings.REPORTS_BUILD_LANES = 2
    assert lanes.usable()
    seen, counts = [], []

    def phase(label, n, total):
        seen.append((label, threading.current_thread().name))
        counts.append((n, total))

    built = build_days(start=FIRST, end=LAST, method="range", phase=phase)
    assert len(built) == 12
    # one count over the whole build, whichever lane finished a statement
    assert [n for n, _t in counts] == list(range(1, len(counts) + 1))
    assert {t for _n, t in counts} == {len(counts)}
    assert _stored() == one_connection
    # the chains really ran on the lanes' threads, and the figures were written here
    people = [name for label, name in seen if label == "people"]
    assert len(people) == 1 and people[0] in {"report-lane-0", "report-lane-1"}
    assert {name for label, name in seen if label.startswith("write")} == {threading.current_thread().name}
    assert _leftovers() == []


def test_days_built_in_lanes_equal_days_built_on_one_connection(hanoi_facility, settings, monkeypatch):
    """Carried from the day before and counted afresh, as the nightly build and --full do."""
    _data(hanoi_facility)
    runs, run = [], lanes.run
    monkeypatch.setattr(lanes, "run",
                        lambda chains, *a, **k: runs.append(len(chains)) or run(chains, *a, **k))
    for full in (True, False):
        settings.REPORTS_BUILD_LANES = 1
        days = build_days(start=FIRST, end=LAST, method="daily", full=full)
        one_connection = _stored()
        assert len(one_connection[0]) > 80
        assert all(b.carried for b in days[1:]) is not full
        DailyFigures.objects.all().delete()
        DailyDoses.objects.all().delete()
        settings.REPORTS_BUILD_LANES = 2
        assert [b.rows for b in build_days(start=FIRST, end=LAST, method="daily", full=full)] == \
            [b.rows for b in days]
        assert _stored() == one_connection
        assert _leftovers() == []
    assert runs == [5] * 24  # every day of both passes ran its five chains in lanes


def test_a_failing_lane_keeps_the_stored_figures_and_leaves_no_table(hanoi_facility, settings, monkeypatch):
    _data(hanoi_facility)
    settings.REPORTS_BUILD_LANES = 2
    build_days(start=FIRST, end=LAST, method="range")
    before = _stored()
    chains = range_build.chains()
    broken = dict(chains, records=[*chains["records"][:1], ("people", "SELECT 1 / 0")])
    monkeypatch.setattr(range_build, "chains", lambda: broken)
    with pytest.raises(Exception, match="division by zero"):
        build_days(start=FIRST, end=LAST, method="range")
    assert _stored() == before
    assert _leftovers() == []


def test_the_tables_of_a_killed_build_are_dropped_by_the_next_one(hanoi_facility, settings):
    build_scenario(hanoi_facility)
    settings.REPORTS_BUILD_LANES = 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(pid) + 100000 FROM pg_stat_activity")  # a server process that is gone
        gone = cursor.fetchone()[0]
        cursor.execute(f"CREATE UNLOGGED TABLE reports_lane_{gone}_rb_flow (day DATE)")
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
        cursor.execute(f"CREATE UNLOGGED TABLE reports_lane_{mine}_rb_flow (day DATE)")  # alive: kept
    try:
        build_days(start=FIRST, end=LAST, method="range")
        assert _leftovers() == [f"reports_lane_{mine}_rb_flow"]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS reports_lane_{mine}_rb_flow")
