from datetime import date

from tests.factories import CitizenFactory
from verification.selectors import case_candidates


def test_candidates_come_with_the_reasons_they_match(reported_case):
    same_id = CitizenFactory(full_name="Tran Thi Lan", sex="F", date_of_birth=date(1991, 3, 12),
                             cccd="001191004567", phone="0900000001")
    same_phone = CitizenFactory(full_name="Trần Văn Bình", sex="M", date_of_birth=date(1960, 1, 1),
                                cccd="001060000002", phone="0912345678")
    CitizenFactory(full_name="Lê Văn Cường", cccd="001070000003", phone="0900000003")
    found = case_candidates(reported_case)
    assert [c.citizen for c in found] == [same_id, same_phone]
    assert found[0].reasons and all(isinstance(r, str) for r in found[0].reasons)


def test_no_candidates_for_a_stranger(reported_case):
    CitizenFactory(full_name="Lê Văn Cường", cccd="001070000003", phone="0900000003")
    assert case_candidates(reported_case) == []
