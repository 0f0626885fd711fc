import pytest

from tests.linkage.registry import FILLER, PEOPLE, SLIPS, TWICE
from verification.linkage import CitizenIndex, Engine, LinkageConfig


@pytest.fixture(scope="module")
def engine():
    index = CitizenIndex.from_rows(PEOPLE + FILLER)
    return Engine(index, LinkageConfig())


@pytest.fixture(scope="module")
def slip_engine():
    return Engine(CitizenIndex.from_rows(PEOPLE + FILLER + SLIPS), LinkageConfig())


@pytest.fixture(scope="module")
def twice_engine():
    return Engine(CitizenIndex.from_rows(PEOPLE + FILLER + SLIPS + TWICE), LinkageConfig())
