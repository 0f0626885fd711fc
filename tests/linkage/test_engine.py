"""The linkage engine's decisions: linked, review or none on small hand-made registries, the
batch and worker paths, accuracy on the shared sample, and the thresholds from settings."""

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bench import gen_linkage_data
from bench.linkage_accuracy import read_truth, run
from tests.linkage.registry import FILLER, record
from verification.linkage import CitizenIndex, Engine, LinkageConfig
from verification.linkage.engine import DECISIONS
from verification.linkage.probes import ProbeBatch, make_probe
from verification.linkage.results import LINK_PROBABILITY, LINK_THRESHOLD, MIN_MARGIN, REVIEW_THRESHOLD

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "linkage-sample"


def test_it_links_a_record_with_exact_cccd_name_and_birth_date(engine):
    result = engine.match(record(full_name="NGUYEN VAN HUNG", date_of_birth="1990-04-12", sex="M",
                                 id_number="001090123456", ward_code="101"))
    assert result.decision == "linked"
    assert result.citizen_id == 1
    fields = {r["field"]: r["level"] for r in result.candidates[0].reason_dicts()}
    assert fields["cccd"] == "exact" and fields["name"] == "folded"


def test_it_links_through_a_cccd_typo_and_a_misspelt_name(engine):
    result = engine.match(record(full_name="Le Dihn Thang", date_of_birth="30/11/1985", sex="M",
                                 id_number="079085111212", ward_code="7901"))
    assert result.decision == "linked"
    assert result.citizen_id == 3


def test_it_links_a_name_written_with_its_words_run_together(engine):
    result = engine.match(record(full_name="Lê Đìnhthắng", date_of_birth="30/11/1985", sex="M",
                                 id_number="079085111222", ward_code="7901"))
    assert result.decision == "linked" and result.citizen_id == 3
    assert {r["field"]: r["level"] for r in result.candidates[0].reason_dicts()}["name"] == "merged"


def test_it_links_the_old_cmnd_and_a_plus_84_phone(engine):
    result = engine.match(record(full_name="Trần Thị Lan", date_of_birth="1990", sex="F",
                                 id_number="123 456 789", phone="+84 912 000 002"))
    assert result.decision == "linked"
    assert result.citizen_id == 2


def test_it_sends_namesakes_born_the_same_year_to_review_with_both_candidates(engine):
    result = engine.match(record(full_name="Ngô Văn Thành", date_of_birth="1972", sex="M"))
    assert result.decision == "review"
    assert {c.citizen_id for c in result.candidates} == {5, 6}
    assert all(c.reason_dicts() for c in result.candidates)


def test_it_does_not_link_a_name_and_year_match_that_disagrees_on_phone_and_ward(engine):
    result = engine.match(record(full_name="Phạm Thị Mai", date_of_birth="1985", sex="F",
                                 phone="0900000000", ward_code="4444", province_code="44"))
    assert result.decision != "linked"
    assert 4 in [c.citizen_id for c in result.candidates]


def test_it_finds_nobody_for_a_stranger(engine):
    result = engine.match(record(full_name="Châu Gia Bảo", date_of_birth="2004-02-02", sex="M",
                                 id_number="092204999999", phone="0399999999", ward_code="9999"))
    assert result.decision == "none"
    assert result.candidates == []


def test_it_matches_many_records_in_input_order(engine):
    records = [
        record(full_name="Nguyễn Văn Hùng", date_of_birth="1990-04-12", id_number="001090123456"),
        record(full_name="Châu Gia Bảo", date_of_birth="2004-02-02"),
    ]
    results = list(engine.match_many(records))
    assert [r.decision for r in results] == ["linked", "none"]


def test_batch_and_single_matching_agree_and_workers_keep_order(engine):
    records = [
        record(full_name="NGUYEN VAN HUNG", date_of_birth="1990-04-12", id_number="001090123456"),
        record(full_name="Ngô Văn Thành", date_of_birth="1972", sex="M"),
        record(full_name="Le Dihn Thang", date_of_birth="30/11/1985", id_number="079085111212"),
        record(full_name="Châu Gia Bảo", date_of_birth="2004-02-02"),
    ] * 3
    one_by_one = [engine.match(r) for r in records]
    for workers in (1, 2):
        batch = list(engine.match_many(records, workers=workers, chunk_size=3))
        assert [(r.decision, r.citizen_id, r.score) for r in batch] == \
            [(r.decision, r.citizen_id, r.score) for r in one_by_one]
        assert [[c.reason_dicts() for c in r.candidates] for r in batch] == \
            [[c.reason_dicts() for c in r.candidates] for r in one_by_one]


def test_the_decisions_as_columns_say_what_the_results_say(engine):
    probes = [make_probe(**record(full_name="NGUYEN VAN HUNG", date_of_birth="1990-04-12",
                                  id_number="001090123456")),
              make_probe(**record(full_name="Ngô Văn Thành", date_of_birth="1972", sex="M")),
              make_probe(**record(full_name="Châu Gia Bảo", date_of_birth="2004-02-02"))]
    sel = engine.select_probes(probes)
    results = engine.match_probes(probes)
    assert [DECISIONS[code] for code in sel.decision.tolist()] == [r.decision for r in results]
    for b, result in enumerate(results):
        listed = [engine.index.ids[k] for k in sel.positions[sel.bounds[b]:sel.bounds[b + 1]].tolist()]
        assert listed == [c.citizen_id for c in result.candidates]


def test_a_review_list_cut_inside_a_tie_prefers_the_nearer_birth_year():
    # Eight namesakes that score the same for a record giving only name, sex and a birth
    # year nobody has: the five listed are those born nearest that year.
    people = [(k, "", "", "Đinh Công Tráng", f"{1950 + 5 * k}-03-01", None, "M", 1, 100 + k, "")
              for k in range(8)] + FILLER
    engine = Engine(CitizenIndex.from_rows(people), LinkageConfig())
    result = engine.match(record(full_name="Dinh Cong Trang", date_of_birth="1971", sex="M"))
    assert result.decision == "review"
    assert len({round(c.score, 6) for c in result.candidates}) == 1
    assert [c.citizen_id for c in result.candidates] == [4, 5, 3, 6, 2]
    assert result.ties == 8  # all eight are as strong; the list names five


def test_a_review_list_not_cut_inside_a_tie_reports_no_tie(engine):
    result = engine.match(record(full_name="Ngô Văn Thành", date_of_birth="1972", sex="M"))
    assert result.decision == "review" and len(result.candidates) == 2
    assert result.ties == 0


def test_it_links_only_when_the_posterior_probability_reaches_the_setting(engine):
    row = record(full_name="Le Dihn Thang", date_of_birth="30/11/1985", sex="M", id_number="079085111212",
                 ward_code="7901")
    at_default = engine.match(row)
    odds = 2.0 ** at_default.score
    others = sum(2.0 ** c.score for c in at_default.candidates[1:])
    posterior = odds / (1 + odds + others)
    assert LINK_PROBABILITY < posterior < 1.0
    below = Engine(engine.index, LinkageConfig(link_probability=posterior - (1 - posterior))).match(row)
    above = Engine(engine.index, LinkageConfig(link_probability=posterior + (1 - posterior) / 2)).match(row)
    assert below.decision == "linked"
    assert above.decision == "review" and above.candidates[0].citizen_id == below.citizen_id


@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"shared linkage sample not found at {SAMPLE}")
def test_it_meets_the_accuracy_targets_on_the_shared_sample():
    stats = run(SAMPLE, verbose=False)
    assert stats["precision"] >= 0.9995  # issue 15's targets
    assert stats["recall"] >= 0.980
    # Target (issue 15): >= 0.995 of the true matches not linked have their citizen among
    # the review candidates or inside a tie the output reports. The one record not listed
    # ("Nguyễn Quân": no birth date, ID or phone, a ward in another province, middle name
    # left out) ties at the same score with ~80 registered "Nguyễn … Quân" men and no field
    # tells them apart: its result says how many tie, and the true citizen is among them.
    assert stats["review_coverage"] >= 0.995, (
        f"{stats['unlinked_true'] - stats['covered']} true matches missing from review candidates"
    )
    assert stats["covered_in_tie"] >= 1
    engine = stats["engine"]
    ix = engine.index
    truth = read_truth(SAMPLE / "truth.csv")
    position = {cid: i for i, cid in enumerate(ix.ids)}
    for report, result in zip(stats["reports"], stats["results"]):
        want = truth.get(report["record_id"])
        if not want:
            continue
        if result.decision == "linked" or any(c.citizen_id == want for c in result.candidates):
            continue
        batch = ProbeBatch(ix, [make_probe(**report)])
        true_score = float(engine.scorer.score(batch, np.array([0]), np.array([position[want]]))[0][0])
        assert result.candidates and true_score <= min(c.score for c in result.candidates) + 1e-9, (
            report["record_id"], true_score, [c.score for c in result.candidates])


def test_it_meets_the_accuracy_targets_on_the_teams_generated_registry(tmp_path):
    # 20,000 citizens x 4,000 reports of bench/gen_linkage_data.py: before the blocking for
    # names misspelt past the exact keys, one true citizen in 43 not linked ("Nguyễn hTanh
    # Thịnh", a year of birth only, a ward elsewhere) was never scored (coverage 0.977).
    gen_linkage_data.main([str(tmp_path), "--citizens", "20000", "--reports", "4000", "--seed", "1"])
    stats = run(tmp_path, verbose=False)
    assert stats["precision"] >= 0.9995
    assert stats["recall"] >= 0.980
    assert stats["review_coverage"] >= 0.995, (
        f"{stats['unlinked_true'] - stats['covered'] - stats['covered_in_tie']} of "
        f"{stats['unlinked_true']} true matches not linked are missing from the review candidates"
    )


def test_unset_threshold_settings_fall_back_to_the_engine_defaults():
    config = LinkageConfig.from_settings(SimpleNamespace(LINKAGE_LINK_THRESHOLD=None,
                                                         LINKAGE_REVIEW_THRESHOLD=None,
                                                         LINKAGE_MIN_MARGIN=None))
    assert (config.link_threshold, config.review_threshold, config.min_margin) == (
        LINK_THRESHOLD, REVIEW_THRESHOLD, MIN_MARGIN)
    assert config.link_probability == LINK_PROBABILITY
    tuned = LinkageConfig.from_settings(SimpleNamespace(LINKAGE_LINK_THRESHOLD="14.5",
                                                        LINKAGE_LINK_PROBABILITY="0.9999"))
    assert tuned.link_threshold == 14.5 and tuned.min_margin == MIN_MARGIN
    assert tuned.link_probability == 0.9999


ROOT = Path(__file__).resolve().parents[2]
_SIGTERM_IN_A_CHILD = """
import signal
from verification.linkage.engine import fork_pool

def child(_):
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL

signal.signal(signal.SIGTERM, lambda *_: None)  # as a Celery worker's handler does outside its main process
with fork_pool(1) as pool:
    print(pool.map(child, [0]))
"""


def test_forked_matchers_take_the_default_sigterm_back_from_a_celery_worker():
    """A Celery worker's SIGTERM handler does nothing outside its main process; inherited by the
    matchers, it let `Pool.terminate()` wait for ever on a child that ignored the signal. Run in
    a fresh interpreter: a fork from this test process would inherit its Redis connections."""
    result = subprocess.run([sys.executable, "-c", _SIGTERM_IN_A_CHILD], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[True]"


def _near_tie_registry():
    # Eight namesakes whose birth dates are all a few days from the record's: five born in
    # January 1971 and three in December 1970; 40 other people born in 1971 and 50 in 1970, so
    # a "close" date weighs log2(53 / 45) = 0.24 bit less for the December three (the year's
    # frequency): as strong as the five for any purpose, but not exactly equal.
    people = [(k, "", "", "Đinh Công Tráng", f"1971-01-{3 + k:02d}", None, "M", 1, 100 + k, "")
              for k in range(5)]
    people += [(5 + k, "", "", "Đinh Công Tráng", f"1970-12-{25 + k:02d}", None, "M", 1, 110 + k, "")
               for k in range(3)]
    people += [(20 + k, "", "", f"Hà Thị {given}", f"{1971 if k < 40 else 1970}-06-{1 + k % 28:02d}", None,
                "F", 2, 200 + k, "") for k, given in enumerate(["Mơ", "Mận", "Đào", "Lê", "Na"] * 18)]
    return CitizenIndex.from_rows(people + FILLER)


def test_a_review_list_cut_within_the_tie_tolerance_reports_the_near_tie():
    engine = Engine(_near_tie_registry(), LinkageConfig())
    result = engine.match(record(full_name="Dinh Cong Trang", date_of_birth="1971-01-01", sex="M"))
    assert result.decision == "review"
    assert [c.citizen_id for c in result.candidates] == [0, 1, 2, 3, 4]
    every = Engine(engine.index, LinkageConfig(max_candidates=8)).match(record(
        full_name="Dinh Cong Trang", date_of_birth="1971-01-01", sex="M")).candidates
    assert [c.citizen_id for c in every[5:]] == [5, 6, 7]
    assert 0.2 < every[4].score - every[5].score < 0.3
    assert result.ties == 8  # the December three are within half a bit of the fifth slot


def test_a_tie_tolerance_of_zero_counts_only_equal_scores_as_a_tie():
    engine = Engine(_near_tie_registry(), LinkageConfig(tie_tolerance=0.0))
    result = engine.match(record(full_name="Dinh Cong Trang", date_of_birth="1971-01-01", sex="M"))
    assert [c.citizen_id for c in result.candidates] == [0, 1, 2, 3, 4]
    assert result.ties == 0
