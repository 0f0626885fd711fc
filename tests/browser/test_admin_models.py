"""The Django admin lists every model an administrator needs (cases, events, imports, reviews,
registry answers, signatures, certificates) under translated names, read-only for those that
carry the audit trail, with CCCD/CMND masked in the case list; in Vietnamese and English."""

import pytest
from django.contrib.auth.models import User

from tests.verification.conftest import confirmed_report
from verification.models import CaseEvent

pytestmark = pytest.mark.browser

NAMES = {
    "vi": ["Hồ sơ đối soát", "Diễn biến hồ sơ", "Lượt nhập dữ liệu", "Dòng đã nhập", "Đối chiếu người tiêm",
           "Kết quả xác minh danh tính", "Chữ ký số", "Chứng thư số của người ký",
           "Các giấy chứng nhận tiêm chủng"],
    "en": ["Reconciliation cases", "Case events", "Imports", "Imported rows", "Match reviews",
           "Identity answers", "Signatures", "Signer certificates", "Vaccination certificates"],
}
CONFIRMED = {"vi": "Phản ánh đã được xác nhận bằng mã gửi đến điện thoại.",
             "en": "Report confirmed with the code sent to the phone."}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_admin_lists_the_rooms_models_read_only_and_masked(page, hanoi_facility, settings, lang):
    settings.LANGUAGE_CODE = lang
    User.objects.create_superuser("root", password="pw-for-tests-only")
    case = confirmed_report(hanoi_facility)
    # The language the site's switcher keeps (the admin has no switcher of its own).
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": page.base_url}])
    page.goto(page.base_url + "/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-for-tests-only")
    with page.expect_navigation():
        page.click("input[type=submit]")
    index = page.inner_text("#content-main")
    for name in NAMES[lang]:
        assert name in index, name

    page.goto(page.base_url + "/admin/verification/reconciliationcase/")
    listing = page.inner_text("#result_list")
    assert case.tracking_code in listing
    assert case.id_number not in page.content() and case.id_number[-3:] in listing
    # Nothing is added here: cases come from their pages.
    assert page.locator(".object-tools a.addlink").count() == 0

    # The timeline's lines in the reader's language (stored as ids), whichever was active.
    page.goto(page.base_url + "/admin/verification/caseevent/")
    assert CONFIRMED[lang] in page.inner_text("#result_list")
    assert CONFIRMED["en" if lang == "vi" else "vi"] not in page.inner_text("#result_list")

    event = CaseEvent.objects.filter(case=case).first()
    page.goto(page.base_url + f"/admin/verification/caseevent/{event.pk}/change/")
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator("a.deletelink").count() == 0
