"""In Chromium, a signer who types a wrong passphrase reads why in their language: Vietnamese by
default, English when chosen; nothing is signed."""

import pytest

from signing.models import Signature
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture
def waiting(make_awaiting_case, hanoi_facility):
    return make_awaiting_case(facility=hanoi_facility, doses=1)


def _sign_with(page, passphrase: str) -> str:
    page.goto(page.base_url + "/signing/")
    page.locator("table tbody input[type=checkbox]").first.check()
    page.fill("input[type=password]", passphrase)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    return page.inner_text("main")


def test_a_wrong_passphrase_is_said_in_vietnamese_then_english(page, signer_user, waiting, register_file_key,
                                                              settings):
    settings.LANGUAGE_CODE = "vi"  # the signing tests' conftest reads English messages
    register_file_key(signer_user)
    browser_login(page, "signer-hn")

    main = _sign_with(page, "not the passphrase")
    assert "Mật khẩu không mở được tệp khóa này." in main
    assert "passphrase does not open" not in main

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert "The passphrase does not open this key file." in _sign_with(page, "still not it")
    assert Signature.objects.count() == 0
