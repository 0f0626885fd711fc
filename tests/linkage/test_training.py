"""Estimating the model from the file being matched: the match rate (the prior's share of
records whose person is in the registry) by EM, on the shared sample and on strangers."""

from pathlib import Path

import pytest

from bench.linkage_accuracy import read_reports, read_truth
from tests.linkage.registry import FILLER, PEOPLE, record
from verification.linkage import CitizenIndex
from verification.linkage.training import MATCH_RATE_LOW, estimate_match_rate, fit_m

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "linkage-sample"


@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"shared linkage sample not found at {SAMPLE}")
def test_the_match_rate_learnt_from_the_sample_is_close_to_its_true_share():
    index = CitizenIndex.from_registry_csv(SAMPLE / "registry.csv")
    reports = list(read_reports(SAMPLE / "reports.csv"))
    truth = read_truth(SAMPLE / "truth.csv")
    true_share = sum(1 for r in reports if truth.get(r["record_id"])) / len(reports)
    config = fit_m(index, reports)
    assert config.params.match_rate != index.params.match_rate  # learnt, not the default
    assert abs(config.params.match_rate - true_share) < 0.02


def test_a_file_of_strangers_drives_the_match_rate_to_its_floor_not_below():
    index = CitizenIndex.from_rows(PEOPLE + FILLER)
    strangers = [record(full_name=f"Châu Gia Bảo {k}", date_of_birth=f"{1950 + k}-02-02", sex="M",
                        id_number=f"0922049{k:05d}", phone=f"0399{k:06d}", ward_code="9999")
                 for k in range(400)]
    params = estimate_match_rate(index, strangers, index.params)
    assert params.match_rate == MATCH_RATE_LOW


def test_a_file_of_one_row_barely_moves_the_match_rate():
    index = CitizenIndex.from_rows(PEOPLE + FILLER)
    one = [record(full_name="NGUYEN VAN HUNG", date_of_birth="1990-04-12", sex="M", id_number="001090123456",
                  ward_code="101")]
    params = estimate_match_rate(index, one, index.params)
    assert params.match_rate > index.params.match_rate
    assert params.match_rate - index.params.match_rate < 0.01
