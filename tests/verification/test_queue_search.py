"""The clinic queue's search by CCCD/CMND and phone: exact on the normalised number, scoped,
and the list still masks both."""

import pytest
from django.urls import reverse

from .conftest import confirmed_report

QUEUE = "verification:queue"


def table(response) -> str:
    """The list itself (the search box echoes what was typed, the list must not)."""
    text = response.text
    return text[text.index("<table"):text.index("</table>")]


@pytest.fixture
def lan(hanoi_facility):
    """Trần Thị Lan, CCCD 001191004567, phone 0912345678, at the Hà Nội facility."""
    return confirmed_report(hanoi_facility)


@pytest.fixture
def duc(hanoi_facility):
    return confirmed_report(hanoi_facility, full_name="Nguyễn Văn Đức", sex="M", id_number="012345678",
                            phone="0987000111")


@pytest.mark.parametrize("typed", ["001191004567", "001 191 004 567", "001.191.004.567"])
def test_it_finds_a_case_by_its_cccd_however_it_is_typed(client, clinic_user, lan, duc, typed):
    client.force_login(clinic_user)
    response = client.get(reverse(QUEUE), {"q": typed})
    listed = table(response)
    assert lan.tracking_code in listed and duc.tracking_code not in listed
    assert "•••••••••567" in listed and "001191004567" not in listed and "0912345678" not in listed


@pytest.mark.parametrize("typed", ["0912345678", "+84 912 345 678", "0912.345.678", "84912345678"])
def test_it_finds_a_case_by_its_phone_however_it_is_typed(client, clinic_user, lan, duc, typed):
    client.force_login(clinic_user)
    listed = table(client.get(reverse(QUEUE), {"q": typed}))
    assert lan.tracking_code in listed and duc.tracking_code not in listed
    assert "091••••678" in listed and "0912345678" not in listed


def test_it_finds_a_case_by_its_old_9_digit_cmnd(client, clinic_user, lan, duc):
    client.force_login(clinic_user)
    listed = table(client.get(reverse(QUEUE), {"q": "012 345 678"}))
    assert duc.tracking_code in listed and lan.tracking_code not in listed
    assert "••••••678" in listed


@pytest.mark.parametrize("typed", ["004567", "0912345", "00119100456", "001191004568"])
def test_part_of_a_number_or_another_number_finds_nothing(client, clinic_user, lan, typed):
    client.force_login(clinic_user)
    response = client.get(reverse(QUEUE), {"q": typed})
    assert lan.tracking_code not in response.text and "No open cases match." in response.text


def test_a_clinic_elsewhere_cannot_find_our_case_by_its_cccd_or_phone(client, other_clinic_user, lan):
    client.force_login(other_clinic_user)
    for typed in ("001191004567", "0912345678"):
        response = client.get(reverse(QUEUE), {"q": typed})
        assert response.status_code == 200
        assert lan.tracking_code not in response.text and "Trần Thị Lan" not in response.text


@pytest.mark.parametrize("persona", ["police_user", "provincial_user", "ministry_user"])
def test_other_roles_may_not_search_the_clinic_queue(client, request, lan, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(QUEUE), {"q": "001191004567"}).status_code == 403


def test_the_search_box_says_what_it_searches_in_both_languages(client, clinic_user, lan):
    client.force_login(clinic_user)
    english = client.get(reverse(QUEUE)).text
    assert "Name, tracking code, CCCD/CMND or phone" in english
    vietnamese = client.get(reverse(QUEUE), {"q": "0912345678"}, HTTP_ACCEPT_LANGUAGE="vi").text
    assert "Họ tên, mã tra cứu, CCCD/CMND hoặc số điện thoại" in vietnamese
    assert lan.tracking_code in vietnamese
