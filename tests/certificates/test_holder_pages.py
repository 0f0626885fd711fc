"""The citizen's own certificate, no account: by CCCD + date of birth + a code to the phone on record,
or from the status page of their request once a code has unlocked it. Personas: the holder (their
certificate, QR, PDFs), another citizen (their certificate is a 404 for the holder), a visitor
without the code (nothing), a guesser (wrong code, rate limit)."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from django.test import Client
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from certificates import services
from certificates.models import VaccinationCertificate
from records.models import AuditEvent
from tests.verification.conftest import last_code
from verification import sms
from verification.models import OneTimeCode, ReconciliationCase

pytestmark = pytest.mark.django_db
FIND, CODE = reverse("certificates:mine_lookup"), reverse("certificates:mine_code")
MINE = reverse("certificates:mine")


@pytest.fixture(autouse=True)
def outbox():
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def holder(dsc, signed_citizen):
    """A citizen with two signed doses and their issued certificate."""
    citizen, _records = signed_citizen(full_name="Lê Thị Đào")
    return citizen, services.certificate_issue(citizen=citizen).certificate


@pytest.fixture
def other(dsc, signed_citizen):
    citizen, _records = signed_citizen(full_name="Phạm Văn Ước")
    return citizen, services.certificate_issue(citizen=citizen).certificate


def sign_in(client: Client, citizen, *, dob: str | None = None):
    """CCCD and date of birth, then the code from the SMS; returns the answer to the code."""
    birth = dob or f"{citizen.date_of_birth:%d/%m/%Y}"
    response = client.post(FIND, {"cccd": citizen.cccd, "date_of_birth": birth})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.post(CODE, {"code": last_code(citizen.phone)})


def test_the_holder_sees_their_certificate_and_downloads_the_qr_and_the_pdfs(client, holder):
    citizen, cert = holder
    audited = AuditEvent.objects.count()
    assert sign_in(client, citizen)["Location"] == MINE
    page = client.get(MINE).content.decode()
    assert cert.uvci in page and "Lê Thị Đào" in page and citizen.cccd not in page
    png = client.get(reverse("certificates:mine_png", args=[cert.pk]))
    assert png["Content-Type"] == "image/png" and png["Cache-Control"] == "private, no-store"
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert found and found[0].text == cert.hc1
    for size in ("a4", "a6"):
        for lang, first in (("vi", "Họ và tên / Name"), ("en", "Name / Họ và tên")):
            pdf = client.get(reverse("certificates:mine_pdf", args=[cert.pk]), {"size": size, "lang": lang})
            assert pdf["Content-Type"] == "application/pdf"
            reader = PdfReader(io.BytesIO(pdf.content))
            text = reader.pages[0].extract_text()
            assert len(reader.pages) == 1 and first in text and "Lê Thị Đào" in text
    assert AuditEvent.objects.count() == audited  # looking changes no record


def test_a_year_of_birth_is_enough_for_a_citizen_known_by_the_year_only(client, holder):
    citizen, cert = holder
    citizen.date_of_birth, citizen.dob_precision = None, "year"
    citizen.save()
    sign_in(client, citizen, dob=str(citizen.birth_year))
    assert cert.uvci in client.get(MINE).content.decode()


def test_another_citizens_certificate_is_a_404_for_the_holder(client, holder, other):
    citizen, _cert = holder
    _other_citizen, other_cert = other
    sign_in(client, citizen)
    assert client.get(reverse("certificates:mine_png", args=[other_cert.pk])).status_code == 404
    assert client.get(reverse("certificates:mine_pdf", args=[other_cert.pk])).status_code == 404
    assert other_cert.uvci not in client.get(MINE).content.decode()


def test_without_the_code_there_is_no_certificate(client, holder):
    _citizen, cert = holder
    assert client.get(MINE)["Location"] == FIND
    assert client.get(reverse("certificates:mine_png", args=[cert.pk])).status_code == 404
    assert client.get(reverse("certificates:mine_pdf", args=[cert.pk])).status_code == 404


def test_a_wrong_code_says_so_and_opens_nothing(client, holder):
    citizen, cert = holder
    client.post(FIND, {"cccd": citizen.cccd, "date_of_birth": f"{citizen.date_of_birth:%d/%m/%Y}"})
    wrong = "000000" if last_code(citizen.phone) != "000000" else "111111"
    response = client.post(CODE, {"code": wrong}, follow=True)
    assert "Wrong code. 2 tries left." in response.content.decode()
    assert client.get(reverse("certificates:mine_png", args=[cert.pk])).status_code == 404
    assert client.get(MINE)["Location"] == FIND


def test_a_wrong_birth_date_or_cccd_sends_no_code_and_says_what_is_wrong(client, holder):
    citizen, _cert = holder
    response = client.post(FIND, {"cccd": citizen.cccd, "date_of_birth": "01/01/1950"})
    assert response.status_code == 400
    assert "No person on record has this CCCD number and date of birth." in response.content.decode()
    response = client.post(FIND, {"cccd": "12345", "date_of_birth": "31/02/1990"})
    body = response.content.decode()
    assert "A CCCD number has 12 digits." in body and "Type the date of birth as dd/mm/yyyy" in body
    assert not sms.outbox and not OneTimeCode.objects.exists()


def test_the_code_pages_are_rate_limited_per_address(client, holder, settings):
    citizen, _cert = holder
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "code": (3, 600)}
    for _ in range(3):
        assert client.post(CODE, {"code": "123456"}).status_code == 302
    refused = client.post(FIND, {"cccd": citizen.cccd, "date_of_birth": f"{citizen.date_of_birth:%d/%m/%Y}"})
    assert refused.status_code == 429 and refused["Retry-After"]
    assert not sms.outbox


def test_from_the_status_page_once_unlocked_the_certificate_opens(client, holder):
    citizen, cert = holder
    case = ReconciliationCase.objects.get(citizen=citizen)
    case.phone, case.confirmed = citizen.phone, True
    case.save(update_fields=["phone", "confirmed"])
    url = reverse("certificates:mine_case", args=[case.tracking_code])
    assert client.get(url)["Location"] == reverse("verification:status", args=[case.tracking_code])
    status_code_url = reverse("verification:status_code", args=[case.tracking_code])
    client.post(status_code_url, {"send": "1"})
    client.post(status_code_url, {"code": last_code(citizen.phone)})
    status = client.get(reverse("verification:status", args=[case.tracking_code])).content.decode()
    assert url in status  # the link to the certificate on the unlocked, signed request
    assert client.get(url)["Location"] == MINE
    assert cert.uvci in client.get(MINE).content.decode()
    assert client.get(reverse("certificates:mine_case", args=["NOSUCHCODE99"])).status_code == 404


def test_a_revoked_certificate_is_no_longer_offered(client, holder):
    citizen, cert = holder
    sign_in(client, citizen)
    VaccinationCertificate.objects.filter(pk=cert.pk).update(status="revoked")
    assert client.get(reverse("certificates:mine_png", args=[cert.pk])).status_code == 404
    assert 'data-empty="1"' in client.get(MINE).content.decode()


@pytest.mark.browser
@pytest.mark.parametrize(("locale", "heading", "first_label"), [
    ("vi-VN", "Giấy chứng nhận tiêm chủng của bạn", "Họ và tên / Name"),
    ("en-US", "Your vaccination certificate", "Name / Họ và tên")])
def test_in_chromium_the_holder_finds_opens_and_downloads_their_certificate(browser, live_server, holder,
                                                                           locale, heading, first_label):
    citizen, cert = holder
    context = browser.new_context(locale=locale, accept_downloads=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + FIND)
        assert page.locator("h1").inner_text() == heading
        page.fill("input[name=cccd]", citizen.cccd)
        page.fill("input[name=date_of_birth]", f"{citizen.date_of_birth:%d/%m/%Y}")
        page.click("button[name=send]")
        page.fill("input[name=code]", last_code(citizen.phone))
        page.click("button[type=submit].primary")
        page.wait_for_selector(f"[data-uvci='{cert.uvci}']")
        assert page.locator("h1").inner_text() == heading
        # the QR image loads (a broken image stays complete with width 0)
        page.wait_for_function("() => { const i = document.querySelector('.holder-certificate img');"
                               " return i.complete && i.naturalWidth > 0; }")
        with page.expect_download() as download:
            page.click("[data-download=a6]")
        reader = PdfReader(download.value.path())
        assert len(reader.pages) == 1 and first_label in reader.pages[0].extract_text()
        assert round(float(reader.pages[0].mediabox.width)) == 298  # A6, 105 mm
    finally:
        context.close()
