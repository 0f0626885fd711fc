"""A few citizens calibrated with the registry's counts score as in the whole registry; a CCCD
one digit off never outweighs the very number."""

from collections import Counter

import numpy as np
import pytest

from bench import gen_linkage_data
from tests.linkage.registry import FILLER, PEOPLE, record
from verification.linkage import CitizenIndex, ModelParams, RegistryCounts
from verification.linkage.probes import ProbeBatch, make_probe
from verification.linkage.scoring import BatchScorer, sampling

PROBE = record(full_name="Nguyễn Văn Hùng", date_of_birth="1990-04-12", sex="M", id_number="001090123456",
               phone="0912000001", province_code="1", ward_code="101")


def score(index, citizen_id, probe=PROBE) -> float:
    total, _levels, _weights = BatchScorer(index, ModelParams()).score(
        ProbeBatch(index, [make_probe(**probe)]), np.array([0]), np.array([index.ids.index(citizen_id)]))
    return float(total[0])


def counts_of(whole: CitizenIndex) -> RegistryCounts:
    """What the database would answer, read off a whole-registry index."""
    def tally(values):
        return dict(Counter(int(v) for v in values if v))
    held = [whole.names[int(n)] for n in whole.name if n >= 0]
    names, ends = Counter(held), Counter(f"{n.split()[0]} {n.split()[-1]}" for n in held)
    return RegistryCounts(population=whole.size, names=dict(names), ends=dict(ends), years=tally(whole.year),
                          wards=tally(whole.ward), provinces=tally(whole.province), dobs=tally(whole.dob),
                          phones=tally(whole.phone))


def test_a_calibrated_block_scores_every_pair_as_the_whole_registry_does():
    whole = CitizenIndex.from_rows(PEOPLE + FILLER, estimate_u=False)
    block = CitizenIndex.from_rows(PEOPLE[:2] + FILLER[:3], estimate_u=False)
    before = score(block, 1)
    block.calibrate(counts_of(whole))

    for citizen_id in (1, 2, 100, 101, 102):
        assert score(block, citizen_id) == pytest.approx(score(whole, citizen_id))
    assert score(block, 1) > before + 5  # one in 206, not one in 5


def test_a_cccd_one_digit_off_weighs_less_than_the_very_number():
    index = CitizenIndex.from_rows(PEOPLE + FILLER)
    typo = dict(PROBE, id_number="001090123457")
    assert score(index, 1, typo) < score(index, 1)


def test_the_u_of_a_name_typo_does_not_hang_on_the_sampling_seed(tmp_path):
    # The typo level's u comes from a few hundred sampled pairs, most from the commonest names:
    # with too few query names it moved by 0.7 bit from one seed to the next (2.4e-4 to 4.0e-4 on
    # one registry of 1,000,000), and every typo pair's weight with it. Deterministic (seeded
    # data and sampling): 250 query names spread 1.65x over these five seeds, 1,000 spread 1.47x.
    gen_linkage_data.main([str(tmp_path), "--citizens", "20000", "--reports", "10", "--seed", "3"])
    index = CitizenIndex.from_registry_csv(tmp_path / "registry.csv", estimate_u=False)
    u = [sampling.estimate_u(index, ModelParams(), seed=seed).u_name_typo for seed in (7, 8, 9, 10, 11)]
    assert max(u) / min(u) < 1.5, u
