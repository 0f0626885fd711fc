"""The citizen's report and the clinic's forms show every field error at once: the service's
refusal names every field at fault, and a field the form cannot read hides no other; nothing is
stored. In Chromium for the citizen's report (Vietnamese, then English); the clinic's forms
through the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from records.models import Citizen
from verification.models import ReconciliationCase

from .helpers import fill_report

GOOD = {"full_name": "Trần Thị Lan", "date_of_birth": "12/03/1991", "sex": "F", "id_number": "001191004567",
        "phone": "0912345678", "province": "1", "vaccine": "astrazeneca", "dose_number": "2",
        "injection_date": "02/10/2021", "facility_unknown": "on"}


def _errors(html: str, field: str) -> str:
    """The error list rendered for one field (empty when none)."""
    marker = f'id="id_{field}_error"'
    return html[html.index(marker):html.index("</ul>", html.index(marker))] if marker in html else ""


@pytest.mark.django_db
def test_the_report_names_every_rule_the_service_refuses(client, hanoi_facility, sms_outbox):
    data = {**GOOD, "ward": hanoi_facility.ward_id, "id_number": "0011910045", "phone": "abc",
            "injection_date": "02/10/2099"}

    response = client.post(reverse("verification:report"), data)

    html = response.content.decode()
    assert response.status_code == 400
    assert "A CCCD number has 12 digits" in _errors(html, "id_number")
    assert "Phone number must have 10 digits" in _errors(html, "phone")
    assert _errors(html, "injection_date")
    assert ReconciliationCase.objects.count() == 0 and not sms_outbox


@pytest.mark.django_db
def test_a_field_the_form_cannot_read_hides_no_other(client, hanoi_facility, sms_outbox):
    data = {**GOOD, "ward": "", "id_number": "0011910045", "phone": "abc", "injection_date": "31/02/2021"}

    html = client.post(reverse("verification:report"), data).content.decode()

    assert "Write the date as dd/mm/yyyy." in _errors(html, "injection_date")
    assert _errors(html, "ward")
    assert "A CCCD number has 12 digits" in _errors(html, "id_number")
    assert "Phone number must have 10 digits" in _errors(html, "phone")
    assert ReconciliationCase.objects.count() == 0 and not sms_outbox


@pytest.mark.django_db
def test_the_clinics_create_citizen_form_names_every_field(client, clinic_user, case_in_review):
    client.force_login(clinic_user)
    before = Citizen.objects.count()

    response = client.post(reverse("verification:case_create_citizen", args=[case_in_review.pk]), {
        "full_name": "Trần Thị Lan", "date_of_birth": "12/03/1991", "sex": "F", "id_number": "001185004567",
        "phone": "abc"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "do not match the year of birth 1991" in _errors(html, "id_number")
    assert "Phone number must have 10 digits" in _errors(html, "phone")
    assert Citizen.objects.count() == before


@pytest.mark.browser
def test_a_citizen_sees_every_error_at_once_in_both_languages(phone_page, hanoi_facility, settings):
    page = phone_page

    def fill_badly():
        fill_report(page, hanoi_facility.ward_id, id_number="0011910045", phone="abc",
                    injection_date="31/02/2021")
        page.check("#id_facility_unknown")
        with page.expect_navigation():
            page.click("button[type=submit].primary")

    fill_badly()
    assert "CCCD gồm 12 chữ số" in page.inner_text("#id_id_number_error")
    assert "Số điện thoại phải gồm 10 chữ số" in page.inner_text("#id_phone_error")
    assert "dd/mm/yyyy" in page.inner_text("#id_injection_date_error")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    fill_badly()
    assert "A CCCD number has 12 digits" in page.inner_text("#id_id_number_error")
    assert "Phone number must have 10 digits" in page.inner_text("#id_phone_error")
    assert "Write the date as dd/mm/yyyy." in page.inner_text("#id_injection_date_error")
    assert ReconciliationCase.objects.count() == 0
