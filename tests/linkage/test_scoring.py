"""Scoring: each field's levels and weights, and their sum, for (record, citizen) pairs."""

import numpy as np
import pytest

from tests.linkage.registry import FILLER, PEOPLE, record
from verification.linkage import LINK_THRESHOLD, MIN_MARGIN, CitizenIndex
from verification.linkage.probes import ProbeBatch, make_probe
from verification.linkage.scoring import (
    FIELDS,
    BatchScorer,
    ModelParams,
    name_level,
    pair_reasons,
    reason_dicts,
)


@pytest.fixture(scope="module")
def index():
    return CitizenIndex.from_rows(PEOPLE + FILLER)


def scored(index, citizen_id, **fields):
    """{field: (level, weight)} and the total of one record against one citizen."""
    probe = make_probe(**record(**fields))
    total, levels, weights = BatchScorer(index, index.params).score(
        ProbeBatch(index, [probe]), np.array([0]), np.array([index.ids.index(citizen_id)]))
    reasons = pair_reasons(probe, levels[:, 0], weights[:, 0])
    return {f: (lvl, w) for f, lvl, w in reasons}, float(total[0]), weights[:, 0]


def test_it_grades_swapped_misspelt_and_shortened_names():
    probe = make_probe(full_name="Hùng Nguyễn Văn")
    assert name_level(probe, "nguyễn văn hùng", "nguyen van hung") == "reordered"
    probe = make_probe(full_name="Bui Binh")
    assert name_level(probe, "bùi hữu bình", "bui huu binh") == "partial"
    probe = make_probe(full_name="Nguyen Tuan Kine")
    assert name_level(probe, "nguyễn tuấn kiên", "nguyen tuan kien") == "typo"
    probe = make_probe(full_name="Nguyen Van Khang")
    assert name_level(probe, "nguyễn văn nhân", "nguyen van nhan") == "disagree"


def test_a_name_with_its_words_run_together_or_split_elsewhere_is_merged_not_different():
    assert name_level(make_probe(full_name="Nguyễn Thanhhương"), "nguyễn thanh hương",
                      "nguyen thanh huong") == "merged"
    assert name_level(make_probe(full_name="Ng Uyen Thanh Huong"), "nguyễn thanh hương",
                      "nguyen thanh huong") == "merged"
    assert name_level(make_probe(full_name="Nguyen Thanhhuon"), "nguyễn thanh hương",
                      "nguyen thanh huong") == "disagree"


def test_a_name_with_its_accents_is_exact_and_without_them_folded_a_close_one_fuzzy():
    assert name_level(make_probe(full_name="Trần Thị Lan"), "trần thị lan", "tran thi lan") == "exact"
    assert name_level(make_probe(full_name="TRAN THI LAN"), "trần thị lan", "tran thi lan") == "folded"
    assert name_level(make_probe(full_name="Tran Thu Lam"), "trần thị lan", "tran thi lan") == "fuzzy"


def test_every_field_agreeing_scores_far_above_the_link_threshold(index):
    levels, total, weights = scored(index, 1, full_name="Nguyễn Văn Hùng", date_of_birth="1990-04-12",
                                    sex="M", id_number="001090123456", phone="0912000001", ward_code="101")
    assert {f: lvl for f, (lvl, _w) in levels.items()} == {
        "name": "exact", "date_of_birth": "exact", "sex": "agree", "cccd": "exact", "phone": "exact",
        "ward": "ward"}
    assert all(w > 0 for _lvl, w in levels.values())
    assert total == pytest.approx(BatchScorer(index, index.params).prior + weights.sum())
    assert total > LINK_THRESHOLD + MIN_MARGIN


def test_a_value_missing_on_either_side_is_no_evidence(index):
    levels, _total, weights = scored(index, 3, full_name="Lê Đình Thắng", phone="0912000001")
    assert set(levels) == {"name"}  # no date, sex, ID, ward in the record; no phone for citizen 3
    assert weights.tolist()[1:] == [0.0] * (len(FIELDS) - 1)


def test_typos_and_slips_are_their_own_levels_and_weigh_against_a_disagreement(index):
    levels, _total, _w = scored(index, 2, full_name="Tran Thi Lan", date_of_birth="1990-01-07", sex="M",
                                id_number="123456798", phone="0912000020", province_code="1", ward_code="103")
    assert {f: lvl for f, (lvl, _w) in levels.items()} == {
        "name": "folded", "date_of_birth": "swap", "sex": "disagree", "cmnd": "typo", "phone": "typo",
        "ward": "province"}
    assert levels["sex"][1] < 0 < levels["cmnd"][1]


def test_a_year_only_record_is_compared_on_the_year_alone(index):
    levels, _total, _w = scored(index, 1, full_name="Nguyễn Văn Hùng", date_of_birth="1991")
    assert levels["birth_year"][0] == "disagree"
    levels, _total, _w = scored(index, 1, full_name="Nguyễn Văn Hùng", date_of_birth="1990")
    assert levels["birth_year"][0] == "year" and levels["birth_year"][1] > 0


def test_reasons_read_as_dicts_with_rounded_weights():
    assert reason_dicts([("name", "fuzzy", 4.1234), ("cmnd", "typo", -1.005)]) == [
        {"field": "name", "level": "fuzzy", "weight": 4.12},
        {"field": "cmnd", "level": "typo", "weight": -1.0},
    ]
    assert pair_reasons(True, [0, 0, 0, 1, 0, 0], [0.0, 0.0, 0.0, 9.5, 0.0, 0.0]) == [("cccd", "exact", 9.5)]


def test_sampled_u_replaces_the_name_and_typo_priors_but_keeps_m():
    index = CitizenIndex.from_rows(PEOPLE + FILLER)
    prior = ModelParams()
    assert index.params.m == prior.m
    assert index.params.u_name_typo != prior.u_name_typo
    assert index.params.id_typo_neighbours >= 0.05
    assert CitizenIndex.from_rows(PEOPLE + FILLER, estimate_u=False).params == prior
