"""The signer's home page counts what waits for their signature, as the signing page lists it
(their commune's records only, counted now), and their certificates read as holder, issuer,
serial number and validity; in Vietnamese and in English."""

import pytest
from django.utils import timezone

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_the_home_tile_counts_the_doses_awaiting_this_signer(page, signer_user, make_awaiting_case,
                                                             hanoi_facility, hcm_facility, settings):
    settings.LANGUAGE_CODE = "vi"
    make_awaiting_case(facility=hanoi_facility, doses=2)
    make_awaiting_case(facility=hanoi_facility, doses=1)
    make_awaiting_case(facility=hcm_facility, doses=4)  # another commune's: not this signer's

    browser_login(page, "signer-hn")
    tile = page.locator("[data-testid=awaiting-signature]")
    assert " ".join(tile.inner_text().split()) == "3 mũi tiêm chờ bạn ký"
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert " ".join(page.locator("[data-testid=awaiting-signature]").inner_text().split()) == \
        "3 doses await your signature"
    with page.expect_navigation():
        page.click("[data-testid=awaiting-signature]")
    assert page.locator("table tbody input[type=checkbox]").count() == 3


def test_other_roles_have_no_signing_tile(page, clinic_user, make_awaiting_case, hanoi_facility):
    make_awaiting_case(facility=hanoi_facility, doses=1)
    browser_login(page, "clinic-hn")
    assert page.locator("[data-testid=awaiting-signature]").count() == 0


def test_the_certificate_is_shown_as_holder_issuer_serial_and_validity(page, signer_user, register_file_key,
                                                                      settings):
    settings.LANGUAGE_CODE = "vi"
    cert = register_file_key(signer_user)
    browser_login(page, "signer-hn")
    page.goto(page.base_url + "/signing/certificates/")

    row = page.locator(f"tr[data-certificate='{cert.pk}']")
    assert "Nguyễn Thị Hồng Nhung" in row.locator("[data-field=holder]").inner_text()
    assert "UBND xã Tân Phú" in row.locator("[data-field=holder]").inner_text()
    assert row.locator("[data-field=issuer]").inner_text() == "VaxRecon Development Issuing CA"
    assert row.locator("[data-field=serial]").inner_text().replace(" ", "") == cert.serial.upper()
    validity = row.locator("[data-field=validity]").inner_text()
    # the local (Asia/Ho_Chi_Minh) date: after 17:00 UTC it is already the next day there
    assert timezone.localtime(cert.not_after).strftime("%d/%m/%Y") in validity
    assert "còn hiệu lực, còn" in validity
    assert "CN=" not in page.inner_text("main") and "O=" not in page.inner_text("main")
    assert "Người được cấp" in page.inner_text("main thead")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert "Holder" in page.inner_text("main thead") and "Issued by" in page.inner_text("main thead")
    assert "days left" in page.inner_text(f"tr[data-certificate='{cert.pk}'] [data-field=validity]")
