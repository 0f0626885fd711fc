"""The public verifier page: paste the HC1 text or upload a photo of the QR; the verdict, then name,
date of birth and dose only. Django's client for the forms, Chromium for each verdict."""

from __future__ import annotations

import datetime as dt
import io

import cbor2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from certificates import qr, services
from certificates.issuer import Issuer
from certificates.models import VaccinationCertificate
from certificates.payload import dcc_payload
from tests.certificates.conftest import DSC_SECRET
from tests.certificates.test_verify import rewrite

URL = "/certificates/verify/"


@pytest.fixture
def issued(dsc, signed_citizen):
    citizen, records = signed_citizen(full_name="Trần Thị Ánh", sex="F")
    return services.certificate_issue(citizen=citizen).certificate, citizen, records


def tampered(hc1: str) -> str:
    def change(parts):
        claims = cbor2.loads(parts[2])
        claims[-260][1]["dob"] = "1970-01-01"
        parts[2] = cbor2.dumps(claims)

    return rewrite(hc1, change)


def unknown_kid(hc1: str) -> str:
    def change(parts):
        header = cbor2.loads(parts[0])
        header[4] = b"\x02" * 8
        parts[0] = cbor2.dumps(header)

    return rewrite(hc1, change)


def expired(dsc, citizen, records, settings) -> str:
    """A certificate issued 11 months ago with a validity of one month."""
    settings.CERTIFICATES_VALIDITY_MONTHS = 1
    with Issuer(dsc=dsc, secret=DSC_SECRET) as issuer:
        payload = dcc_payload(citizen=citizen, records=records, uvci="URN:UVCI:01:VN:BYT/X#A",
                              issuer_name="Ministry of Health of Viet Nam")
        return issuer.seal(payload, uvci="URN:UVCI:01:VN:BYT/X#A",
                           issued_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=330)).hc1


@pytest.mark.django_db
def test_a_pasted_valid_certificate_shows_the_verdict_name_birth_date_and_dose_only(issued):
    cert, citizen, _records = issued
    response = Client().post(URL, {"hc1": cert.hc1})
    body = response.content.decode()
    assert response.status_code == 200 and 'data-verdict="valid"' in body
    assert "Trần" in body and "Thị Ánh" in body and "TRAN&lt;&lt;THI&lt;ANH" in body
    assert citizen.date_of_birth.isoformat() in body and "2/2" in body and "Pfizer-BioNTech" in body
    assert citizen.cccd not in body and citizen.phone not in body and cert.uvci not in body


@pytest.mark.django_db
def test_a_photo_of_the_qr_code_is_read_on_the_server(issued):
    cert, _citizen, _records = issued
    photo = SimpleUploadedFile("qr.png", qr.qr_png(cert.hc1), content_type="image/png")
    body = Client().post(URL, {"image": photo}).content.decode()
    assert 'data-verdict="valid"' in body


@pytest.mark.django_db
def test_a_photo_without_a_qr_code_or_an_empty_form_says_so(db):
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(blank, "PNG")
    response = Client().post(URL, {"image": SimpleUploadedFile("x.png", blank.getvalue(), "image/png")})
    assert response.status_code == 400
    assert "No QR code could be read in this photo." in response.content.decode()
    response = Client().post(URL, {})
    assert response.status_code == 400
    assert "Paste the certificate text or choose a photo of its QR code." in response.content.decode()


@pytest.mark.django_db
def test_a_tampered_certificate_shows_no_personal_data(issued):
    cert, citizen, _records = issued
    body = Client().post(URL, {"hc1": tampered(cert.hc1)}).content.decode()
    assert 'data-verdict="invalid_signature"' in body and "Trần" not in body and "1970" not in body


@pytest.mark.browser
def test_the_page_shows_each_verdict_in_chromium(page, issued, settings, dsc):
    cert, citizen, records = issued
    texts = {"valid": cert.hc1, "invalid_signature": tampered(cert.hc1),
             "unknown_issuer": unknown_kid(cert.hc1), "expired": expired(dsc, citizen, records, settings),
             "malformed": "HC1:NOT BASE45 ~"}
    shown = {"valid": "Hợp lệ", "invalid_signature": "Chữ ký không hợp lệ",
             "unknown_issuer": "Không rõ đơn vị cấp", "expired": "Đã hết hạn",
             "malformed": "Không phải giấy chứng nhận tiêm chủng", "revoked": "Đã bị thu hồi"}

    def check(verdict: str, text: str) -> None:
        page.goto(page.base_url + reverse("certificates:verify"))
        page.fill("textarea[name=hc1]", text)
        page.click("button[type=submit].primary")
        status = page.locator("[data-verdict]")
        assert status.get_attribute("data-verdict") == verdict
        assert shown[verdict] in status.inner_text()

    for verdict, text in texts.items():
        check(verdict, text)
    VaccinationCertificate.objects.filter(pk=cert.pk).update(status="revoked",
                                                             revoked_at=dt.datetime.now(dt.UTC))
    check("revoked", cert.hc1)
