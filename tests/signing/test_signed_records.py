"""The signed records of the signer's scope with their signatures, and checking one from there
(by its link or by typing the record number); another commune's signatures are neither listed
nor checkable; in Vietnamese and in English."""

import datetime as dt

import pytest

from signing import services
from signing.models import Signature
from tests.conftest import browser_login
from tests.signing.conftest import PASSPHRASE

pytestmark = pytest.mark.browser


@pytest.fixture
def signed(make_awaiting_case, hanoi_facility, hcm_facility, signer_user, other_signer_user,
           register_file_key):
    """Two doses signed in the Hà Nội ward, one in Hồ Chí Minh City."""
    out = {}
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=300)
    for user, facility, doses in ((signer_user, hanoi_facility, 2), (other_signer_user, hcm_facility, 1)):
        # A certificate of its own for the other commune's signer (one certificate, one holder).
        cert = register_file_key(user) if user == signer_user else register_file_key(user, not_after=later)
        _case, records = make_awaiting_case(facility=facility, doses=doses)
        services.signing_start(user=user, certificate_id=cert.pk, record_ids=[r.pk for r in records],
                               secret=PASSPHRASE)
        out[user.username] = records
    return out


def test_the_signer_lists_their_signed_records_and_checks_one(page, signed, settings):
    settings.LANGUAGE_CODE = "vi"
    mine, theirs = signed["signer-hn"], signed[next(k for k in signed if k != "signer-hn")]
    browser_login(page, "signer-hn")
    with page.expect_navigation():
        page.click("nav >> text=Hồ sơ đã ký")
    rows = page.locator("[data-testid=signed] tbody tr")
    assert sorted(int(r) for r in rows.evaluate_all("rs => rs.map(r => r.dataset.record)")) == \
        sorted(r.pk for r in mine)
    first = rows.first
    assert "Nguyễn Thị Hồng Nhung" in first.locator("[data-field=certificate]").inner_text()
    assert "do VaxRecon Development Issuing CA cấp" in first.locator("[data-field=certificate]").inner_text()
    assert "CN=" not in page.inner_text("main")
    assert "Mũi 1" in first.inner_text() or "Mũi 2" in first.inner_text()

    with page.expect_navigation():
        first.locator("a", has_text="Kiểm tra chữ ký số").click()
    assert "Tất cả chữ ký số của bản ghi này đều hợp lệ." in page.inner_text("main")

    page.goto(page.base_url + "/signing/signed/")
    page.fill("#id_record", str(theirs[0].pk))  # another commune's record: not checkable here
    with page.expect_navigation():
        page.press("#id_record", "Enter")
    assert f"#{theirs[0].pk}" in page.inner_text(".messages").replace("số ", "#")
    assert page.url.endswith("/signing/signed/")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert "Signed by" in page.inner_text("[data-testid=signed] thead")
    page.fill("#id_record", str(mine[1].pk))
    with page.expect_navigation():
        page.press("#id_record", "Enter")
    assert "Every signature of this record is valid." in page.inner_text("main")


@pytest.mark.django_db
def test_another_communes_signer_sees_none_of_these_signatures(client, signed, other_signer_user):
    client.force_login(other_signer_user)
    html = client.get("/signing/signed/").content.decode()
    shown = {s.pk for s in Signature.objects.all() if f'data-signature="{s.pk}"' in html}
    assert shown == set(Signature.objects.filter(record__in=signed[other_signer_user.username])
                        .values_list("pk", flat=True))
