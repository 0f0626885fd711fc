"""The clinic queue in Chromium: found by CCCD/CMND or phone however typed (masked in the list),
overdue cases in red and sortable first, no running clock where the clinic does not hold the
case; in Vietnamese and in English."""

import pytest

from tests.conftest import browser_login
from tests.verification.test_queue_page import case_in
from verification import workflow

pytestmark = pytest.mark.browser
S = workflow.CaseStatus


@pytest.mark.parametrize(("lang", "overdue_words", "stopped_words"), [
    ("vi", "Quá hạn", "chờ công an xã"),
    ("en", "Overdue by", "waiting for the commune police"),
])
def test_staff_find_cases_by_number_and_see_the_overdue_first_in_red(page, clinic_user, hanoi_facility,
                                                                     lang, overdue_words, stopped_words):
    police = case_in(hanoi_facility, S.AWAITING_POLICE, hours_ago=90, name="Ông Công An")
    fresh = case_in(hanoi_facility, S.IN_REVIEW, hours_ago=30, name="Bà Còn Hạn")
    late = case_in(hanoi_facility, S.IN_REVIEW, hours_ago=10, overdue_by=1, name="Anh Quá Hạn")
    late.id_number, late.phone = "001090000123", "0912345678"
    late.save(update_fields=["id_number", "phone"])
    browser_login(page, "clinic-hn")
    if lang != "vi":
        with page.expect_navigation():
            page.select_option("select[name=language]", lang)
    page.goto(page.base_url + "/verification/queue/?sort=overdue")
    codes = page.locator("table.queue tbody tr").evaluate_all("rs => rs.map(r => r.dataset.case)")
    assert codes == [late.tracking_code, police.tracking_code, fresh.tracking_code]
    row = page.locator(f"tr[data-case='{late.tracking_code}']")
    assert overdue_words in row.inner_text()
    red = row.locator(".overdue").evaluate("e => getComputedStyle(e).color")
    assert red not in ("rgb(0, 0, 0)", "") and red.startswith("rgb(") and int(red[4:].split(",")[0]) > 150
    assert stopped_words in page.locator(f"tr[data-case='{police.tracking_code}']").inner_text()

    for typed in ("001 090 000 123", "+84 912 345 678"):
        page.fill("input[name=q]", typed)
        with page.expect_navigation():
            page.press("input[name=q]", "Enter")
        rows = page.locator("table.queue tbody tr[data-case]")
        codes = rows.evaluate_all("rs => rs.map(r => r.dataset.case)")
        assert codes == [late.tracking_code], typed
        listed = page.inner_text("table.queue tbody")
        assert "001090000123" not in listed and "0912345678" not in listed and "123" in listed
