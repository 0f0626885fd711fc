"""A range built in one pass stores exactly what building its days one by one stores.

The hand-counted day (fixtures_figures) plus random data over twelve days: cases on random
legal paths of the workflow (times near midnight and the 24/48 h band edges, deadlines
passing mid-day, reports never confirmed), citizens registered over the days, records
entered at random times with and without a facility, corrections that replace them
(also of a record whose person has another version of the same dose), signatures and
their supersession, imports finished. Every day is built one by one counting every
record (`method="daily", full=True`), then the whole range in one pass; every stored row
of DailyFigures and DailyDoses must be the same. PostgreSQL only (the range build's
database); on SQLite build_days builds day by day, which the other tests cover."""

import random
from datetime import date, timedelta

import pytest
from django.db import connection

from records.models import InjectionRecord, VaccineProduct, Ward
from reports.build import day_bounds
from reports.figures import NAMES
from reports.models import DailyDoses, DailyFigures, ReportDay
from reports.services import build_days, rebuild_stale
from signing.models import Signature
from tests.factories import HCM_PROVINCE, CitizenFactory, FacilityFactory
from tests.reports.fixtures_figures import DAY, build_scenario
from tests.reports.test_backlog_carried import _walk
from verification.models import ImportJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("days_never_lock"),
              pytest.mark.skipif("connection.vendor != 'postgresql'",
                                 reason="the range build is PostgreSQL's")]

FIRST, LAST = DAY - timedelta(days=9), DAY + timedelta(days=2)


def _instant(rng: random.Random, *, before: int = 0):
    """A time in the range (or up to `before` days ahead of it), often close to a midnight."""
    day = FIRST - timedelta(days=before) + timedelta(days=rng.randrange(12 + before))
    start = day_bounds(day)[0]
    if rng.random() < 0.3:
        return start + timedelta(seconds=rng.choice([-1, 0, 1, 7200]))
    return start + timedelta(seconds=rng.randrange(86400))


def _records(rng: random.Random, *, units, scenario) -> None:
    pfizer, other = VaccineProduct.objects.order_by("id")[:2]
    signer_cert = Signature.objects.first().certificate
    common = {"police_reference": "X", "payload_hash": "0" * 64, "signature": b"s",
              "algorithm": signer_cert.algorithm, "certificate": signer_cert, "signed_by": signer_cert.user}
    for n in range(60):
        ward, facility = units[n % 2]
        person = CitizenFactory(ward=ward if n % 7 else None, sex=rng.choice("MF"),
                                date_of_birth=date(rng.choice([1950, 1985, 2008]), 3, 1))
        type(person).objects.filter(pk=person.pk).update(created_at=_instant(rng, before=5))
        for dose in range(1, rng.randrange(2, 6)):
            record = InjectionRecord.objects.create(
                citizen=person, vaccine=rng.choice([pfizer, other]), dose_number=rng.choice([dose, dose, 1]),
                injection_date=rng.choice([DAY, DAY - timedelta(days=3), date(2021, 9, 1), date(2022, 2, 1)]),
                facility=facility if rng.random() < 0.85 else None, created_at=_instant(rng, before=4))
            if rng.random() < 0.3:
                signed = Signature.objects.create(record=record, signing_time=record.created_at
                                                  + timedelta(hours=rng.randrange(1, 60)), **common)
            else:
                signed = None
            if rng.random() < 0.25:  # corrected later: the new version replaces this one
                replaced = record.created_at + timedelta(seconds=rng.choice([1, 3600, 86400, 86400 * 3]))
                InjectionRecord.objects.filter(pk=record.pk).update(status="superseded")
                InjectionRecord.objects.create(citizen=person, vaccine=record.vaccine,
                                               dose_number=rng.choice([record.dose_number, 2, 3]),
                                               injection_date=record.injection_date, facility=record.facility,
                                               created_at=replaced, previous=record, version=2)
                if signed:
                    Signature.objects.filter(pk=signed.pk).update(status="superseded", superseded_at=replaced)
    for n in range(6):
        ImportJob.objects.create(facility=units[n % 2][1] if n % 3 else None, original_name=f"log{n}.csv",
                                 status="done", total_rows=rng.randrange(1, 50),
                                 invalid_rows=rng.randrange(3), finished_at=_instant(rng))


def _stored() -> tuple[list, list]:
    figures = list(DailyFigures.objects.order_by("day", "level", "unit").values_list(
        "day", "level", "unit", "province", "ward", *NAMES))
    doses = list(DailyDoses.objects.order_by("day", "level", "unit", "vaccine", "dose_number", "sex",
                                             "age_band").values_list(
        "day", "level", "unit", "vaccine", "dose_number", "sex", "age_band", "doses"))
    return figures, doses


def random_days(hanoi_facility, *, seed: int, walks: int) -> None:
    """The hand-counted day plus random cases (`walks` of them), records, signatures and
    imports over the twelve days, in two wards of two provinces."""
    scenario = build_scenario(hanoi_facility)
    rng = random.Random(seed)
    other_ward = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").last()
    units = [(hanoi_facility.ward, hanoi_facility),
             (other_ward, FacilityFactory(code="HCM-RANGE", name="Trạm Y tế Phú Mỹ", ward=other_ward))]
    for n in range(walks):
        ward, facility = units[n % 2]
        _walk(rng, ward=ward, facility=facility)
    _records(rng, units=units, scenario=scenario)


def test_a_range_built_in_one_pass_equals_its_days_built_one_by_one(hanoi_facility):
    random_days(hanoi_facility, seed=20261202, walks=200)

    daily = build_days(start=FIRST, end=LAST, method="daily", full=True)
    assert len(daily) == 12
    by_day = _stored()
    assert len(by_day[0]) > 80 and len(by_day[1]) > 100  # real figures on every level
    DailyFigures.objects.all().delete()
    DailyDoses.objects.all().delete()

    ranged = build_days(start=FIRST, end=LAST, method="range")
    assert [b.day for b in ranged] == [b.day for b in daily]
    assert [b.rows for b in ranged] == [b.rows for b in daily]
    in_one_pass = _stored()
    assert in_one_pass[0] == by_day[0]
    assert in_one_pass[1] == by_day[1]
    assert ReportDay.objects.filter(day__gte=FIRST, day__lte=LAST, stale_since__isnull=True).count() == 12


def test_auto_takes_the_range_build_for_several_days_and_replaces_them_exactly(hanoi_facility, settings):
    build_scenario(hanoi_facility)
    settings.REPORTS_RANGE_MIN_DAYS = 3
    first = build_days(start=DAY - timedelta(days=1), end=DAY + timedelta(days=1))
    assert [b.carried for b in first] == [False] * 3  # one pass, counted afresh
    stored = _stored()
    again = build_days(start=DAY - timedelta(days=1), end=DAY + timedelta(days=1))
    assert [b.rows for b in again] == [b.rows for b in first]
    assert _stored() == stored
    assert any(r[1] == 0 and r[0] == DAY for r in stored[0])


def test_a_locked_day_splits_the_range_and_keeps_its_figures(hanoi_facility, settings):
    build_scenario(hanoi_facility)
    settings.REPORTS_LOCK_AFTER_DAYS = 0
    build_days(start=DAY, end=DAY, method="daily")
    kept = list(DailyFigures.objects.filter(day=DAY).values_list("level", "unit", "records_signed"))
    # DAY is now locked (older than 0 days, built); the days on either side build in two runs.
    built = build_days(start=DAY - timedelta(days=1), end=DAY + timedelta(days=1), skip_locked=True,
                       method="range")
    assert [b.day for b in built] == [DAY - timedelta(days=1), DAY + timedelta(days=1)]
    assert list(DailyFigures.objects.filter(day=DAY).values_list("level", "unit", "records_signed")) == kept
    assert connection.vendor == "postgresql"


def test_consecutive_stale_days_are_rebuilt_in_one_pass_as_a_full_count(hanoi_facility, settings):
    scenario = build_scenario(hanoi_facility)
    settings.REPORTS_LOCK_AFTER_DAYS, settings.REPORTS_RANGE_MIN_DAYS = 36500, 2
    build_days(start=DAY - timedelta(days=3), end=DAY, method="daily")
    lan = scenario["records"][1]
    for late in (DAY - timedelta(days=2), DAY - timedelta(days=1)):  # a paper log typed in now
        InjectionRecord.objects.create(citizen=lan.citizen, vaccine=lan.vaccine, dose_number=3,
                                       injection_date=late, facility=lan.facility)
    passes = []
    rebuilt = rebuild_stale(phase=lambda label, n, total: passes.append(n == total))
    assert [b.day for b in rebuilt] == [DAY - timedelta(days=2), DAY - timedelta(days=1)]
    assert passes.count(True) == 1  # one range build for the two days, not two day builds
    assert not ReportDay.objects.filter(stale_since__isnull=False).exists()
    in_one_pass = _stored()
    build_days(start=DAY - timedelta(days=3), end=DAY, method="daily", full=True)
    assert _stored() == in_one_pass


def test_auto_builds_a_run_shorter_than_the_setting_day_by_day(hanoi_facility, settings):
    build_scenario(hanoi_facility)
    settings.REPORTS_RANGE_MIN_DAYS = 4
    short = build_days(start=DAY - timedelta(days=2), end=DAY)
    assert [b.carried for b in short] == [False, True, True]  # carried, not a range pass
    stored = _stored()
    assert [b.carried for b in build_days(start=DAY - timedelta(days=3), end=DAY)] == [False] * 4
    assert [r for r in _stored()[0] if r[0] >= DAY - timedelta(days=2)] == stored[0]
