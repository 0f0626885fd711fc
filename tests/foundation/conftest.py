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


@pytest.fixture
def doses_everywhere(two_doses, hanoi_neighbour_facility, hanoi_other_ward_facility, hcm_other_ward_facility):
    """A dose at each of five facilities, to a citizen of that facility's ward: "own" (the Hà Nội
    facility), "same_ward" (another facility of its ward), "same_province" (another ward of Hà
    Nội), "hcm" and "hcm_other_ward" (Hồ Chí Minh City)."""
    hanoi, hcm = two_doses
    more = {}
    for n, (name, facility) in enumerate((("same_ward", hanoi_neighbour_facility),
                                          ("same_province", hanoi_other_ward_facility),
                                          ("hcm_other_ward", hcm_other_ward_facility))):
        more[name] = InjectionRecordFactory(facility=facility, citizen__ward=facility.ward,
                                            citizen__cccd=f"00119000010{n}")
    return {"own": hanoi, "hcm": hcm, **more}
