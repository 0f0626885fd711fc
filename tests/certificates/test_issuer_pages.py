"""The central issuer's pages: a province's officer issues a citizen's certificate and downloads
its QR (PNG) and PDF (A4, A6); outsiders (another province, a signer, the anonymous) get nothing."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import Role
from certificates.models import VaccinationCertificate
from certificates.verify import Verdict, verify_hc1
from records.models import AuditEvent, Province
from tests.factories import HCM_PROVINCE, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(provincial_user):
    client = Client()
    client.force_login(provincial_user)
    return client


@pytest.fixture
def ready(dsc, signed_citizen):
    citizen, _records = signed_citizen(full_name="Đặng Thị Ưng Ơn")
    return citizen


def test_the_officer_issues_a_certificate_for_a_citizen_of_the_province(officer, ready, provincial_user):
    response = officer.post(reverse("certificates:issue", args=[ready.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:citizen", args=[ready.pk])
    cert = VaccinationCertificate.objects.get(citizen=ready)
    assert AuditEvent.objects.get(action="certificate.issue").actor == provincial_user
    page = officer.get(reverse("certificates:citizen", args=[ready.pk])).content.decode()
    assert cert.uvci in page and ready.cccd not in page  # the CCCD masked
    officer.post(reverse("certificates:issue", args=[ready.pk]))
    assert VaccinationCertificate.objects.count() == 1


def test_a_citizen_not_ready_is_told_why_on_the_page_and_nothing_is_issued(officer, dsc, make_awaiting_case,
                                                                          hanoi_facility):
    case, _records = make_awaiting_case(facility=hanoi_facility)  # police-verified, not signed
    response = officer.post(reverse("certificates:issue", args=[case.citizen.pk]), follow=True)
    assert "1 of this citizen&#x27;s doses are not signed yet" in response.content.decode()
    assert not VaccinationCertificate.objects.exists()


def test_the_png_decodes_to_the_certificate_and_the_pdfs_render_with_the_qr(officer, ready):
    officer.post(reverse("certificates:issue", args=[ready.pk]))
    cert = VaccinationCertificate.objects.get()

    png = officer.get(reverse("certificates:png", args=[ready.pk]))
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert png["Content-Type"] == "image/png" and found.text == cert.hc1
    assert verify_hc1(found.text).verdict is Verdict.VALID
    for size, width_pt in (("a4", 595.28), ("a6", 297.64)):
        response = officer.get(reverse("certificates:pdf", args=[ready.pk]) + f"?size={size}")
        body = response.content
        assert response["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
        assert len(re.findall(rb"/Type\s*/Page\b", body)) == 1  # one page
        assert f"{width_pt:.2f}".encode() in body  # the page's MediaBox width
        assert b"DejaVu" in body and b"/Image" in body  # the Vietnamese-capable font embedded, the QR


def test_outsiders_get_no_page_no_issue_and_no_download(ready, signer_user, reference_data):
    other_province = make_user(Role.PROVINCIAL_OFFICER, username="province-hcm",
                               province=Province.objects.get(code=HCM_PROVINCE))
    for user, expected in ((other_province, 404), (signer_user, 403)):
        client = Client()
        client.force_login(user)
        for name in ("citizen", "png", "pdf"):
            url = reverse(f"certificates:{name}", args=[ready.pk])
            assert client.get(url).status_code == expected, (user, name)
        assert client.post(reverse("certificates:issue", args=[ready.pk])).status_code == expected
    anonymous = Client().get(reverse("certificates:citizen", args=[ready.pk]))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert not VaccinationCertificate.objects.exists()


def test_a_citizen_without_a_certificate_has_no_downloads(officer, ready):
    assert officer.get(reverse("certificates:png", args=[ready.pk])).status_code == 404
    assert officer.get(reverse("certificates:pdf", args=[ready.pk]) + "?size=a4").status_code == 404
