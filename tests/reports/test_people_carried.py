"""People holding a dose, carried from the day before, when a correction moves a dose to
another kind or to another person: the carried days equal a full count, day by day.

The carried build reads only the records of the people and dose kinds whose versions were
entered or replaced that day (reports.stocks); these corrections are the cases where the
replaced version's person or kind is not the new version's."""

from datetime import date, timedelta

import pytest

from records.models import InjectionRecord, VaccineProduct
from reports.models import DailyFigures, Level
from reports.services import build_days
from tests.factories import CitizenFactory, FacilityFactory
from tests.reports.fixtures_figures import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("days_never_lock")]

D = date(2026, 11, 20)
PEOPLE = ("people_dose1", "people_dose2", "people_booster", "doses_dose1", "doses_dose2", "doses_booster")


def _dose(person, number, created, facility, *, previous=None, status="recorded"):
    return InjectionRecord.objects.create(
        citizen=person, vaccine=VaccineProduct.objects.get(code="pfizer"), dose_number=number,
        injection_date=date(2022, 3, number), facility=facility, created_at=created, status=status,
        previous=previous, version=previous.version + 1 if previous else 1)


def _corrected(old, created, **changes):
    InjectionRecord.objects.filter(pk=old.pk).update(status="superseded")
    fields = {"person": old.citizen, "number": old.dose_number, **changes}
    return _dose(fields["person"], fields["number"], created, old.facility, previous=old)


def _stored():
    return [{k: v for k, v in r.items() if k != "id"}
            for r in DailyFigures.objects.order_by("day", "level", "unit").values()]


@pytest.fixture
def corrections(hanoi_facility):
    ward = hanoi_facility.ward
    other = FacilityFactory(ward=ward)
    an = CitizenFactory(full_name="Nguyễn Văn An", ward=ward, cccd="001090000011")
    binh = CitizenFactory(full_name="Trần Văn Bình", ward=ward, cccd="001090000012")
    for person in (an, binh):
        type(person).objects.filter(pk=person.pk).update(created_at=at(D - timedelta(days=30), "09:00"))
    early = at(D - timedelta(days=3), "10:00")
    an1 = _dose(an, 1, early, hanoi_facility)
    an2 = _dose(an, 2, early, hanoi_facility)
    binh3 = _dose(binh, 3, early, other)
    # D - 1: An's dose 2 was really a booster (kind 2 -> 3); An keeps no dose 2.
    _corrected(an2, at(D - timedelta(days=1), "11:00"), number=3)
    # D: Bình's booster was An's (person B -> A); Bình holds nothing any more.
    _corrected(binh3, at(D, "14:00"), person=an)
    # D + 1: An's dose 1 moves to Bình as his dose 2 (person and kind at once).
    _corrected(an1, at(D + timedelta(days=1), "09:30"), person=binh, number=2)
    return {"an": an, "binh": binh}


def test_people_carried_through_corrections_of_person_and_kind_equal_a_full_count(corrections):
    start, end = D - timedelta(days=4), D + timedelta(days=2)
    built = build_days(start=start, end=end, method="daily")
    assert [b.carried for b in built] == [False] + [True] * 6
    carried = _stored()
    assert not any(b.carried for b in build_days(start=start, end=end, full=True, method="daily"))
    assert _stored() == carried

    def nation(day):
        row = DailyFigures.objects.get(day=day, level=Level.NATION, unit=0)
        return {name: getattr(row, name) for name in PEOPLE}

    # counted by hand: people (An, Bình) and doses on record at each midnight
    assert nation(D - timedelta(days=2)) == {"people_dose1": 1, "people_dose2": 1, "people_booster": 1,
                                             "doses_dose1": 1, "doses_dose2": 1, "doses_booster": 1}
    assert nation(D - timedelta(days=1)) == {"people_dose1": 1, "people_dose2": 0, "people_booster": 2,
                                             "doses_dose1": 1, "doses_dose2": 0, "doses_booster": 2}
    assert nation(D) == {"people_dose1": 1, "people_dose2": 0, "people_booster": 1,
                         "doses_dose1": 1, "doses_dose2": 0, "doses_booster": 2}
    assert nation(D + timedelta(days=1)) == {"people_dose1": 0, "people_dose2": 1, "people_booster": 1,
                                             "doses_dose1": 0, "doses_dose2": 1, "doses_booster": 2}
