"""The clinic's queue: oldest first, the 48-hour clock, filters, masking, personas."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from records.normalize import parse_birth_date
from verification import workflow
from verification.models import ReconciliationCase

from .conftest import confirmed_report


def test_the_queue_lists_open_cases_oldest_first_with_masked_contacts(client, clinic_user, hanoi_facility):
    newer = confirmed_report(hanoi_facility)
    older = confirmed_report(hanoi_facility, full_name="Nguyễn Văn Đức", sex="M", id_number="",
                             birth=parse_birth_date("1970"),
                             phone="0987000111")
    ReconciliationCase.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - timedelta(hours=50),
                                                          deadline_at=timezone.now() - timedelta(hours=2))
    client.force_login(clinic_user)
    response = client.get(reverse("verification:queue"))
    text = response.text
    assert response.status_code == 200
    assert text.index(older.tracking_code) < text.index(newer.tracking_code)
    assert "Overdue by 2 h" in text and "is-overdue" in text
    assert "0912345678" not in text and "001191004567" not in text and "•••567" in text


def test_search_ignores_accents_and_finds_tracking_codes(client, clinic_user, hanoi_facility):
    lan = confirmed_report(hanoi_facility)
    client.force_login(clinic_user)
    assert lan.tracking_code in client.get(reverse("verification:queue"), {"q": "tran thi lan"}).text
    assert lan.tracking_code not in client.get(reverse("verification:queue"), {"q": "nguyen"}).text
    by_code = client.get(reverse("verification:queue"), {"q": lan.tracking_code.lower()}).text
    assert lan.tracking_code in by_code


def test_filters_by_state_and_date(client, clinic_user, hanoi_facility):
    lan = confirmed_report(hanoi_facility)
    client.force_login(clinic_user)
    assert lan.tracking_code not in client.get(reverse("verification:queue"), {"status": "in_review"}).text
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert lan.tracking_code in client.get(reverse("verification:queue"), {"submitted_from": today}).text
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    from_tomorrow = client.get(reverse("verification:queue"), {"submitted_from": tomorrow}).text
    assert lan.tracking_code not in from_tomorrow


def test_the_queue_pages_through_many_cases(client, clinic_user, hanoi_facility):
    for n in range(30):
        ReconciliationCase.objects.create(origin="clinic_entry", full_name=f"Người {n}", birth_year=1980,
                                          sex="M", ward=hanoi_facility.ward, facility=hanoi_facility)
    client.force_login(clinic_user)
    first = client.get(reverse("verification:queue"))
    assert "Page 1 of 2" in first.text
    assert "Page 2 of 2" in client.get(reverse("verification:queue"), {"page": 2}).text


def test_a_clinic_elsewhere_sees_none_of_our_cases(client, other_clinic_user, reported_case):
    client.force_login(other_clinic_user)
    response = client.get(reverse("verification:queue"))
    assert response.status_code == 200 and reported_case.tracking_code not in response.text


def test_the_police_may_not_open_the_clinic_queue(client, police_user):
    client.force_login(police_user)
    assert client.get(reverse("verification:queue")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get(reverse("verification:queue"))
    assert response.status_code == 302 and "/login/" in response.url


# --- Which cases the default list holds, and the 48-hour clock ----------------------------

S = workflow.CaseStatus


def case_in(facility, status, *, hours_ago=60, overdue_by=None, name="Người thử") -> ReconciliationCase:
    """A clinic-entry case in this state, submitted `hours_ago`; its deadline passed
    `overdue_by` hours ago (by default 48 hours after submission)."""
    now = timezone.now()
    deadline = now - timedelta(hours=overdue_by) if overdue_by is not None else None
    case = ReconciliationCase.objects.create(
        origin="clinic_entry", status=status, full_name=name, birth_year=1980, sex="M", ward=facility.ward,
        facility=facility, submitted_at=now - timedelta(hours=hours_ago), deadline_at=deadline)
    return case


@pytest.mark.parametrize("status", [S.SIGNED, S.CLOSED, S.REJECTED, S.WITHDRAWN])
def test_a_finished_case_leaves_all_open_cases_and_shows_no_clock(client, clinic_user, hanoi_facility,
                                                                   status):
    done = case_in(hanoi_facility, status)
    client.force_login(clinic_user)
    assert done.tracking_code not in client.get(reverse("verification:queue")).text
    listed = client.get(reverse("verification:queue"), {"status": status}).text
    assert done.tracking_code in listed and "No deadline: the case is finished" in listed
    assert "Overdue by" not in listed and "min left" not in listed and "is-overdue" not in listed
    page = client.get(reverse("verification:case_detail", args=[done.pk])).text
    assert "No deadline: the case is finished" in page and "Overdue by" not in page


@pytest.mark.parametrize(("status", "wording"), [
    (S.INFO_REQUESTED, "Clock stopped: waiting for the citizen"),
    (S.AWAITING_POLICE, "Clock stopped: waiting for the commune police"),
    (S.IDENTITY_VERIFIED, "Clock stopped: waiting for the signer"),
    (S.AWAITING_SIGNATURE, "Clock stopped: waiting for the signer"),
])
def test_the_clock_stops_while_someone_else_holds_the_case(client, clinic_user, hanoi_facility, status,
                                                            wording):
    waiting = case_in(hanoi_facility, status)  # its deadline passed 12 hours ago
    client.force_login(clinic_user)
    listed = client.get(reverse("verification:queue")).text
    assert waiting.tracking_code in listed and wording in listed
    assert "Overdue by" not in listed and "is-overdue" not in listed


@pytest.mark.parametrize("status", sorted(workflow.CLOCK_STATES))
def test_the_clock_runs_in_every_state_the_clinic_holds(client, clinic_user, hanoi_facility, status):
    case_in(hanoi_facility, status, hours_ago=50)
    client.force_login(clinic_user)
    listed = client.get(reverse("verification:queue")).text
    assert "Overdue by 2 h" in listed and "is-overdue" in listed and "Clock stopped" not in listed


def test_overdue_cases_can_be_listed_first(client, clinic_user, hanoi_facility):
    with_police = case_in(hanoi_facility, S.AWAITING_POLICE, hours_ago=90, name="Ông Công An")
    fresh = case_in(hanoi_facility, S.IN_REVIEW, hours_ago=30, name="Bà Còn Hạn")
    late = case_in(hanoi_facility, S.IN_REVIEW, hours_ago=10, overdue_by=1, name="Anh Quá Hạn")
    client.force_login(clinic_user)
    oldest = client.get(reverse("verification:queue")).text
    police_at, fresh_at, late_at = (oldest.index(c.tracking_code) for c in (with_police, fresh, late))
    assert police_at < fresh_at < late_at
    overdue = client.get(reverse("verification:queue"), {"sort": "overdue"}).text
    police_at, fresh_at, late_at = (overdue.index(c.tracking_code) for c in (with_police, fresh, late))
    assert late_at < police_at < fresh_at
    assert "3 cases, overdue first, then oldest first." in overdue
    row = overdue[overdue.rindex("<tr", 0, overdue.index(late.tracking_code)):]
    assert row.startswith('<tr class="is-overdue"') and "Overdue by 1 h" in row[:row.index("</tr>")]


def test_the_queue_speaks_vietnamese_by_default(client, clinic_user, hanoi_facility):
    case_in(hanoi_facility, S.IN_REVIEW, hours_ago=50)
    case_in(hanoi_facility, S.AWAITING_POLICE)
    signed = case_in(hanoi_facility, S.SIGNED)
    client.force_login(clinic_user)
    text = client.get(reverse("verification:queue"), {"sort": "overdue"}, HTTP_ACCEPT_LANGUAGE="vi").text
    assert "Tất cả hồ sơ đang mở" in text and "Quá hạn trước" in text
    assert "Quá hạn 2 giờ" in text and "Dừng tính giờ: chờ công an xã" in text
    assert "2 hồ sơ, quá hạn trước, sau đó từ cũ đến mới." in text and signed.tracking_code not in text
    done = client.get(reverse("verification:queue"), {"status": S.SIGNED}, HTTP_ACCEPT_LANGUAGE="vi").text
    assert signed.tracking_code in done and "Hồ sơ đã kết thúc, không còn thời hạn" in done
