"""records/bulk.py: synthetic citizens and doses for demos and benchmarks."""

import pytest

from records import bulk
from records.models import Citizen, InjectionRecord
from tests.factories import FacilityFactory


def _rows():
    citizens = list(Citizen.objects.order_by("cccd", "cmnd", "full_name").values_list(
        "cccd", "cmnd", "full_name", "date_of_birth", "sex", "ward_id", "phone"))
    doses = list(InjectionRecord.objects.order_by("citizen__cccd", "citizen__full_name", "dose_number")
                 .values_list("citizen__cccd", "vaccine__code", "dose_number", "injection_date", "lot_number",
                              "facility_id"))
    return citizens, doses


@pytest.fixture
def sites(reference_data, hanoi_facility, hcm_facility):
    return [hanoi_facility, hcm_facility, FacilityFactory()]


def test_the_rows_are_the_same_in_one_batch_or_many(sites, monkeypatch):
    progress = []
    added = bulk.generate(citizens=120, seed=11, progress=lambda done, total: progress.append((done, total)))
    one_batch = _rows()
    assert added == (120, len(one_batch[1])) and progress == [(120, 120)]
    InjectionRecord.objects.all().delete()
    Citizen.objects.all().delete()
    monkeypatch.setattr(bulk, "BATCH", 50)
    progress.clear()
    again = bulk.generate(citizens=120, seed=11, progress=lambda done, total: progress.append((done, total)))
    assert again == added
    assert _rows() == one_batch
    assert progress == [(50, 120), (100, 120), (120, 120)]


def test_a_second_run_adds_nothing_and_citizens_can_come_without_doses(sites):
    assert bulk.generate(citizens=30, seed=3, with_doses=False) == (30, 0)
    assert not InjectionRecord.objects.exists()
    assert bulk.generate(citizens=30, seed=3) == (0, 0)
