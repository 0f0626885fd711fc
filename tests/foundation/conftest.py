"""Fixtures shared by the scoping and home page tests."""

import pytest

from tests.factories import InjectionRecordFactory


@pytest.fixture
def two_doses(hanoi_facility, hcm_facility):
    """One dose given in Hà Nội and one in Hồ Chí Minh City, to different citizens."""
    hanoi = InjectionRecordFactory(facility=hanoi_facility)
    hcm = InjectionRecordFactory(facility=hcm_facility, citizen__ward=hcm_facility.ward,
                                 citizen__full_name="Võ Thị Mai", citizen__sex="F",
                                 citizen__cccd="079190000001")
    return hanoi, hcm
