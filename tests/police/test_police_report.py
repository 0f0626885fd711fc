"""The daily police verification report: per ward and day, scoped, page and CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from records.models import Ward
from tests.factories import HCM_PROVINCE
from tests.tampering import around_the_guards
from verification.models import CaseEvent
from verification.police.services import police_decide, registry_verify_pending

from .conftest import awaiting_case

pytestmark = pytest.mark.django_db
REPORT = "/verification/police/report/"


@pytest.fixture
def activity(registry, four_cases, police_user, reference_data):
    """Hoàn Kiếm: 4 received today (2 verified by the registry, 1 mismatch answered by an officer,
    1 not found still open) and 1 received three days ago, still open. One case in another
    Hà Nội ward and one in HCM, both still open."""
    registry_verify_pending()
    police_decide(officer=police_user, case_id=four_cases["mismatch"].pk, outcome="mismatch",
                  correct_values={"full_name": "Trần Thị Mai"})
    old = awaiting_case(id_number="001090000077")
    with around_the_guards():  # back-dated: case events are append-only in the database
        CaseEvent.objects.filter(case=old).update(at=timezone.now() - timedelta(days=3))
    other_hanoi = Ward.objects.filter(province_id=1).exclude(code=70).order_by("code").first()
    hcm = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    awaiting_case(ward=other_hanoi, id_number="001090000088")
    awaiting_case(ward=hcm, id_number="079090000099")
    return {"other_hanoi": other_hanoi, "hcm": hcm}


# The English header of the CSV (the client asks for English), by the names the tests use.
KEYS = {"Day": "date", "Ward code": "ward_code", "Ward": "ward", "Received": "received",
        "Verified by the registry": "verified_by_registry", "Confirmed by an officer": "confirmed_by_officer",
        "Mismatches": "mismatches", "Not found": "not_found", "Foreign nationals": "foreign",
        "Still open": "still_open", "Age (days)": "age_days"}


def rows(client, **params):
    response = client.get("/verification/police/report.csv", params)
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    return [{KEYS[k]: v for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def test_the_csv_header_is_in_the_readers_language(activity, police_user, client):
    client.force_login(police_user)
    response = client.get("/verification/police/report.csv", HTTP_ACCEPT_LANGUAGE="vi")
    text = response.content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == [
        "Ngày", "Mã xã/phường", "Xã/phường", "Tiếp nhận", "CSDL dân cư xác minh", "Cán bộ xác nhận",
        "Không khớp", "Không tìm thấy", "Người nước ngoài", "Chưa xử lý xong", "Số ngày tính đến nay"]
    assert list(rows(client)[0]) == list(KEYS.values())


def test_the_officer_sees_their_ward_per_day(activity, police_user, client):
    client.force_login(police_user)
    data = rows(client)
    today = timezone.localdate()
    assert [(r["date"], r["ward_code"]) for r in data] == [
        (today.isoformat(), "70"), ((today - timedelta(days=3)).isoformat(), "70")]
    assert {k: data[0][k] for k in ["received", "verified_by_registry", "confirmed_by_officer", "mismatches",
                                    "not_found", "still_open", "age_days"]} == {
        "received": "4", "verified_by_registry": "2", "confirmed_by_officer": "0", "mismatches": "1",
        "not_found": "0", "still_open": "1", "age_days": "0"}
    assert (data[1]["received"], data[1]["still_open"], data[1]["age_days"]) == ("1", "1", "3")


def test_the_page_shows_the_same_figures_and_open_cases_by_age(activity, police_user, client):
    client.force_login(police_user)
    html = client.get(REPORT).content.decode()
    assert 'data-ward="70"' in html and "Phường Hoàn Kiếm" in html
    # Open now: the not-found case (under a day) and the three-day-old one (2–7 days).
    assert ('<tr data-ward="70"><td>Phường Hoàn Kiếm</td><td>2</td><td>1</td><td>0</td><td>1</td><td>0</td>'
            '</tr>' in html)


def test_the_provincial_officer_sees_every_ward_of_the_province_and_nothing_beyond(
        activity, provincial_user, client):
    client.force_login(provincial_user)
    codes = {r["ward_code"] for r in rows(client)}
    assert codes == {"70", str(activity["other_hanoi"].code)}
    assert str(activity["hcm"].code) not in client.get(REPORT).content.decode().replace('data-ward="70"', "")


def test_police_of_another_ward_see_only_their_own(activity, outsider_police, client):
    client.force_login(outsider_police)
    assert {r["ward_code"] for r in rows(client)} == {str(activity["hcm"].code)}


def test_other_roles_are_refused(clinic_user, client):
    client.force_login(clinic_user)
    assert client.get(REPORT).status_code == 403
    assert client.get("/verification/police/report.csv").status_code == 403


def test_a_period_can_be_chosen_and_a_bad_one_is_refused(activity, police_user, client):
    client.force_login(police_user)
    today = timezone.localdate()
    data = rows(client, start=(today - timedelta(days=5)).isoformat(),
                end=(today - timedelta(days=1)).isoformat())
    assert [r["date"] for r in data] == [(today - timedelta(days=3)).isoformat()]
    response = client.get(REPORT,
                          {"start": today.isoformat(), "end": (today - timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert "at most 92 days" in response.content.decode()
