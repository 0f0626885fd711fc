"""The signer's page in a real Chromium: pick the waiting records, one passphrase, signed."""

import pytest

from signing.models import Signature
from tests.conftest import browser_login
from tests.signing.conftest import PASSPHRASE

pytestmark = pytest.mark.browser


@pytest.fixture
def waiting(make_awaiting_case, hanoi_facility):
    return make_awaiting_case(facility=hanoi_facility, doses=2)


def test_a_signer_signs_the_waiting_records_in_one_batch(page, signer_user, waiting, register_file_key):
    register_file_key(signer_user)
    case, records = waiting
    browser_login(page, "signer-hn")
    page.goto(page.base_url + "/signing/")
    rows = page.locator("table tbody input[type=checkbox]")
    assert rows.count() == 2
    for i in range(rows.count()):
        rows.nth(i).check()
    page.fill("input[type=password]", PASSPHRASE)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/signing/batches/*/")
    # Vietnamese by default: "Hoàn tất" (done), 2 of 2 records signed.
    assert "Hoàn tất" in page.inner_text("main")
    assert "2/2" in page.inner_text("main")
    assert Signature.objects.filter(record__in=[r.pk for r in records]).count() == 2
    case.refresh_from_db()
    assert case.status == "signed"


def test_a_wrong_passphrase_is_said_plainly_and_nothing_is_signed(page, signer_user, waiting,
                                                                  register_file_key):
    register_file_key(signer_user)
    browser_login(page, "signer-hn")
    page.goto(page.base_url + "/signing/")
    page.locator("table tbody input[type=checkbox]").first.check()
    page.fill("input[type=password]", "not the passphrase")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert page.locator(".error, .errorlist, [role=alert]").first.is_visible()
    assert Signature.objects.count() == 0
