"""Personas and stored figures for the dashboard tests.

Dashboards read stored figures only, so most tests write `DailyFigures` and `ReportDay`
rows directly (`stored`, `built`) instead of building days from cases."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone, translation

from accounts.models import Role
from records.models import Facility, Province, Ward
from reports.models import DailyFigures, Level, ReportDay
from tests.factories import HCM_PROVINCE, FacilityFactory, make_user
from verification.models import ReconciliationCase

HANOI = 1


def stored(day, level: int, unit: int, **values) -> DailyFigures:
    """One stored row of figures for a unit (province and ward filled in as the build does)."""
    province = ward = None
    if level == Level.PROVINCE:
        province = unit
    elif level == Level.WARD:
        province, ward = Ward.objects.get(code=unit).province_id, unit
    elif level == Level.FACILITY:
        facility = Facility.objects.select_related("ward").get(pk=unit)
        province, ward = facility.ward.province_id, facility.ward_id
    return DailyFigures.objects.create(day=day, level=level, unit=unit, province=province, ward=ward,
                                       **values)


def built(day, *, stale: bool = False) -> ReportDay:
    now = timezone.now()
    return ReportDay.objects.create(day=day, built_at=now, stale_since=now if stale else None,
                                    stale_reason="late import" if stale else "")


def a_case(*, ward, facility=None, **fields) -> ReconciliationCase:
    fields.setdefault("full_name", "Nguyễn Văn An")
    fields.setdefault("birth_year", 1990)
    fields.setdefault("sex", "M")
    fields.setdefault("origin", ReconciliationCase.Origin.CLINIC_ENTRY)
    return ReconciliationCase.objects.create(ward=ward, facility=facility, **fields)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def days(today):
    """The default period of a dashboard: the last 14 local days, oldest first."""
    return [today - timedelta(days=n) for n in range(13, -1, -1)]


@pytest.fixture
def hanoi_ward(reference_data):
    return Ward.objects.get(code=70)


@pytest.fixture
def other_hanoi_ward(reference_data):
    return Ward.objects.filter(province_id=HANOI).exclude(code=70).order_by("code").first()


@pytest.fixture
def second_hanoi_facility(other_hanoi_ward):
    return FacilityFactory(code="HN-TEST-2", name="Trạm Y tế Phường Hai", ward=other_hanoi_ward)


@pytest.fixture
def other_provincial_user(reference_data):
    """Persona: the same role in another province (Hồ Chí Minh City)."""
    return make_user(Role.PROVINCIAL_OFFICER, username="province-hcm",
                     province=Province.objects.get(code=HCM_PROVINCE))


@pytest.fixture
def signer_user(hanoi_facility):
    return make_user(Role.SIGNER, username="signer-hn", ward=hanoi_facility.ward)


@pytest.fixture
def other_role_users(clinic_user, police_user, signer_user):
    """Personas: roles that have no dashboard (clinic staff, police, signer)."""
    return [clinic_user, police_user, signer_user]


class _Cells(HTMLParser):
    """Collects the text of every element carrying `data-figure`, keyed by the `data-unit`
    of the table row around it (None outside the drill-down table)."""

    def __init__(self):
        super().__init__()
        self.cells: dict = {}
        self.order: list[int] = []
        self._unit = None
        self._figure = None
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-unit" in attrs:
            self._unit = int(attrs["data-unit"])
            self.order.append(self._unit)
        if self._figure is not None:
            self._depth += 1
        elif "data-figure" in attrs:
            self._figure, self._depth, self._text = attrs["data-figure"], 1, []

    def handle_endtag(self, tag):
        if tag == "tr":
            self._unit = None
        if self._figure is None:
            return
        self._depth -= 1
        if self._depth == 0:
            self.cells.setdefault(self._unit, {})[self._figure] = " ".join("".join(self._text).split())
            self._figure = None

    def handle_data(self, data):
        if self._figure is not None:
            self._text.append(data)


def figures_on_page(html: str) -> tuple[dict, list[int]]:
    """({unit or None: {figure: text}}, units in table order) of a dashboard page; the
    headline figures are under None."""
    parser = _Cells()
    parser.feed(html)
    return parser.cells, parser.order


@pytest.fixture
def days_never_lock(settings):
    """Hand-counted days are fixed dates: keep them from locking as they age (locking is
    tested on its own, with its own setting)."""
    settings.REPORTS_LOCK_AFTER_DAYS = 36500


@pytest.fixture
def english_messages(settings):
    """For tests that read a service's error message: the catalogue gives it in Vietnamese."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
