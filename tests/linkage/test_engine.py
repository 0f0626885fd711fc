"""The linkage engine: decisions on small hand-made registries, accuracy on the sample."""

from pathlib import Path

import pytest

from verification.linkage import CitizenIndex, Engine, LinkageConfig
from verification.linkage.scoring import make_probe, name_level

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "linkage-sample"

# (citizen_id, cccd, cmnd, full_name, date_of_birth, birth_year, sex, province, ward, phone)
PEOPLE = [
    (1, "001090123456", "", "Nguyễn Văn Hùng", "1990-04-12", None, "M", 1, 101, "0912000001"),
    (2, "001190654321", "123456789", "Trần Thị Lan", "1990-07-01", None, "F", 1, 102, "0912000002"),
    (3, "079085111222", "", "Lê Đình Thắng", "1985-11-30", None, "M", 79, 7901, ""),
    (4, "079185333444", "", "Phạm Thị Mai", None, 1985, "F", 79, 7902, "0987000004"),
    # Namesakes: same name and birth year, different people.
    (5, "038072100001", "", "Ngô Văn Thành", "1972-01-19", None, "M", 38, 3801, "0911111111"),
    (6, "038072100002", "", "Ngô Văn Thành", "1972-08-03", None, "M", 38, 3802, "0922222222"),
]
# Enough unrelated people for the frequencies to mean something.
FILLER = [
    (100 + k, f"0{k % 90 + 1:02d}0{k % 80 + 20:02d}{k:06d}", "", f"{fam} {mid} {given}",
     f"19{k % 80 + 20:02d}-{k % 12 + 1:02d}-{k % 28 + 1:02d}", None, "MF"[k % 2], 1 + k % 30,
     1000 + k % 500, f"09{k:08d}")
    for k, (fam, mid, given) in enumerate(
        (f, m, g)
        for f in ("Bùi", "Đỗ", "Hồ", "Võ", "Đặng")
        for m in ("Quốc", "Ngọc", "Thanh", "Minh")
        for g in ("Khoa", "Vy", "Sơn", "Nhi", "Tài", "Yến", "Phúc", "Trâm", "Long", "Hạnh")
    )
]


@pytest.fixture(scope="module")
def engine():
    index = CitizenIndex.from_rows(PEOPLE + FILLER)
    return Engine(index, LinkageConfig())


def record(**fields):
    base = {"full_name": "", "date_of_birth": "", "sex": "", "id_number": "", "phone": "",
            "province_code": "", "ward_code": ""}
    base.update(fields)
    return base


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


def test_it_grades_swapped_misspelt_and_shortened_names():
    probe = make_probe(full_name="Hùng Nguyễn Văn")
    assert name_level(probe, "nguyễn văn hùng", "nguyen van hung") == "reordered"
    probe = make_probe(full_name="Bui Binh")
    assert name_level(probe, "bùi hữu bình", "bui huu binh") == "partial"
    probe = make_probe(full_name="Nguyen Tuan Kine")
    assert name_level(probe, "nguyễn tuấn kiên", "nguyen tuan kien") == "typo"
    probe = make_probe(full_name="Nguyen Van Khang")
    assert name_level(probe, "nguyễn văn nhân", "nguyen van nhan") == "disagree"


@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"shared linkage sample not found at {SAMPLE}")
def test_it_meets_the_accuracy_targets_on_the_shared_sample():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from linkage_accuracy import run

    stats = run(SAMPLE, verbose=False)
    assert stats["precision"] >= 0.999
    assert stats["recall"] >= 0.97
    assert stats["review_coverage"] >= 0.995, (
        f"{stats['unlinked_true'] - stats['covered']} true matches missing from review candidates"
    )
