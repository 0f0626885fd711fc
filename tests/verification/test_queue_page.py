"""The clinic's queue: oldest first, the 48-hour clock, filters, masking, personas."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from records.normalize import parse_birth_date
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
    assert lan.tracking_code in client.get(reverse("verification:queue"), {"q": lan.tracking_code.lower()}).text


def test_filters_by_state_and_date(client, clinic_user, hanoi_facility):
    lan = confirmed_report(hanoi_facility)
    client.force_login(clinic_user)
    assert lan.tracking_code not in client.get(reverse("verification:queue"), {"status": "in_review"}).text
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert lan.tracking_code in client.get(reverse("verification:queue"), {"submitted_from": today}).text
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    assert lan.tracking_code not in client.get(reverse("verification:queue"), {"submitted_from": tomorrow}).text


def test_the_queue_pages_through_many_cases(client, clinic_user, hanoi_facility):
    for n in range(30):
        ReconciliationCase.objects.create(origin="clinic_entry", full_name=f"Người {n}", birth_year=1980, sex="M",
                                          ward=hanoi_facility.ward, facility=hanoi_facility)
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
