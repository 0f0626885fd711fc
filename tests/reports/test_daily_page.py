"""The daily report page, its print view and its forms: what each persona sees, and bad
input refused with a message and nothing stored."""

import pytest
from django.urls import reverse

from accounts.models import Role
from records.models import AuditEvent, Province
from reports.models import ReportSubmission
from reports.services import build_days
from tests.factories import make_user
from tests.reports.fixtures_figures import DAY, build_scenario

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("days_never_lock")]


@pytest.fixture
def built(hanoi_facility):
    data = build_scenario(hanoi_facility)
    build_days(start=DAY, end=DAY)
    return data


def figure(page: str, name: str) -> str:
    cell = page.split(f'data-figure="{name}"')[1]
    return cell.split('class="num">')[1].split("<")[0]


def test_the_officer_sees_the_province_figures_of_the_day_in_vietnamese(built, provincial_user, client):
    client.force_login(provincial_user)
    page = client.get(reverse("reports:daily"), {"day": DAY.isoformat()}).content.decode()
    assert "Báo cáo ngày 20/11/2026 của Thành phố Hà Nội" in page
    assert figure(page, "sent_to_police") == "5" and figure(page, "received_clinic") == "2"
    assert figure(page, "update_median_s").startswith("28.200 (7 giờ 50 phút)")


def test_the_page_reads_in_english_when_asked(built, provincial_user, client):
    client.force_login(provincial_user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("reports:daily"), {"day": DAY.isoformat()}).content.decode()
    assert "Daily report of Thành phố Hà Nội, 20/11/2026" in page and "Submit to the Ministry" in page


def test_the_print_view_has_the_same_figures(built, provincial_user, client):
    client.force_login(provincial_user)
    page = client.get(reverse("reports:daily_print", args=[DAY.isoformat()])).content.decode()
    assert 'class="print-a4"' in page and figure(page, "sent_to_police") == "5"


@pytest.mark.parametrize("role", [Role.CLINIC_STAFF, Role.COMMUNE_POLICE, Role.SIGNER])
def test_other_roles_get_403(built, hanoi_facility, client, role):
    scope = {"facility": hanoi_facility} if role != Role.COMMUNE_POLICE else {"ward": hanoi_facility.ward}
    client.force_login(make_user(role, username=f"{role}-x", **scope))
    assert client.get(reverse("reports:daily")).status_code == 403
    assert client.get(reverse("reports:daily_print", args=[DAY.isoformat()])).status_code == 403
    assert client.post(reverse("reports:submit", args=[DAY.isoformat()])).status_code == 403
    assert ReportSubmission.objects.count() == 0


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("reports:daily"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_bad_date_is_refused_with_its_format(built, provincial_user, client):
    client.force_login(provincial_user)
    response = client.get(reverse("reports:daily"), {"day": "31/11/2026"})
    assert response.status_code == 400 and "dd/mm/yyyy" in response.content.decode()
    response = client.post(reverse("reports:submit", args=["2026-13-40"]))
    assert response.status_code == 400
    assert ReportSubmission.objects.count() == 0


def test_another_province_submits_only_its_own_figures(built, client):
    hcm = make_user(Role.PROVINCIAL_OFFICER, username="province-hcm", province=Province.objects.get(code=79))
    client.force_login(hcm)
    client.post(reverse("reports:submit", args=[DAY.isoformat()]))
    submission = ReportSubmission.objects.get()
    assert submission.province_id == 79 and submission.figures["figures"]["rejected_duplicate"] == 1
    assert submission.figures["figures"]["sent_to_police"] == 0  # Hà Nội's police figures are not in it


def test_only_a_ministry_analyst_reopens(built, provincial_user, client):
    client.force_login(provincial_user)
    assert client.post(reverse("reports:reopen", args=[DAY.isoformat()])).status_code == 403
    assert not AuditEvent.objects.filter(action="report.reopen").exists()
