"""In Chromium, as clinic staff: the match review page says in words who the candidates are and
how strong the engine thinks each is, keeps the ones the evidence is against apart, says when
several people are equally strong, and searches the registry from the same page; in Vietnamese
(the default) and in English."""

from __future__ import annotations

import re
from datetime import date

import pytest

from records.models import AuditEvent, Ward
from tests.conftest import browser_login
from tests.factories import CitizenFactory
from tests.imports.conftest import REVIEW_ROW, write_csv
from verification.imports.pipeline import import_records
from verification.models import MatchReview

pytestmark = pytest.mark.browser

QUEUE = re.compile(r".*/reviews/(#.*)?$")  # back to the queue
RAW = re.compile(r"\bNone\b(?! of them)|\b\d+[.,]\d\d\b|\b1985-03-02\b|\b2021-09-01\b|score|điểm")


@pytest.fixture
def review(settings, tmp_path, registry, hanoi_facility):
    settings.LANGUAGE_CODE = "vi"  # the imports' conftest asserts service messages in English
    ward = Ward.objects.filter(province_id=1).exclude(code=70).order_by("code").first()
    elsewhere = CitizenFactory(full_name="Ngô Thị Lan", sex="F", date_of_birth=date(1985, 7, 9),
                               cccd="001185000555", phone="0911000555", ward=ward)
    import_records(path=write_csv(tmp_path / "log.csv", [REVIEW_ROW]), error_report=tmp_path / "e.csv",
                   facility=hanoi_facility, workers=1)
    review = MatchReview.objects.get(source_record_id="R-REVIEW")
    review.elsewhere = elsewhere
    return review


def _submit(page, button):
    with page.expect_navigation():
        button.click()


def _open(page, review):
    page.goto(f"{page.base_url}/verification/imports/reviews/{review.pk}/")


def test_the_review_page_speaks_in_words_in_vietnamese(page, clinic_user, registry, review, hanoi_facility):
    browser_login(page, "clinic-hn")
    _open(page, review)
    main = page.inner_text("main")

    record = page.inner_text("[data-testid=record]")
    ward = hanoi_facility.ward
    assert f"{ward.name}, {ward.province.name}" in record
    assert page.inner_text("[data-testid=record] [data-field=date_of_birth]") == "02/03/1985"
    assert "Nữ" in record and "Pfizer" in record and "mũi thứ nhất" in record and "01/09/2021" in record
    assert "—" in page.inner_text("[data-testid=record] [data-field=id_number]")
    assert not RAW.search(main), RAW.search(main)
    assert "3 người trùng họ tên và năm sinh" in page.inner_text("[data-testid=tied]")
    likely = page.locator("main > section.candidate")
    assert likely.count() == 2
    for i in range(2):
        card = likely.nth(i)
        assert "Có thể là cùng một người" in card.inner_text()
        assert card.locator("tr.agree[data-field=date_of_birth]").count() == 1
        assert card.locator("form.accept button").count() == 1
    unlikely = page.locator("[data-testid=unlikely]")
    assert "1 người có bằng chứng ngược lại" in unlikely.inner_text()
    unlikely.locator("summary").click()
    card = unlikely.locator(f"[data-candidate='{review.elsewhere.pk}']")
    assert "Khó là cùng một người" in card.inner_text()
    assert card.locator("tr.diff[data-field=date_of_birth]").count() == 1
    assert card.locator("tr.diff[data-field=ward]").count() == 1
    assert card.locator("form").count() == 0  # not offered as the same person

    # The registry searched from the page; the one found differs in date of birth: confirm + reason.
    page.fill("#id_cccd", "001090000777")
    _submit(page, page.locator("#registry-search form button"))
    found = page.locator("[data-testid=found] [data-candidate]")
    assert found.count() == 1 and "Nguyễn Văn Hùng" in found.inner_text()
    assert "001090000777" not in page.inner_text("main")  # masked
    assert "Khác với hồ sơ ở: Ngày sinh" in found.locator("[data-testid=confirm-differences]").inner_text()
    _submit(page, found.locator("form.accept button"))
    error = page.locator("[data-testid=accept-error]")
    assert "Người này khác với hồ sơ ở: Ngày sinh" in error.inner_text()
    assert MatchReview.objects.get(pk=review.pk).status == MatchReview.Status.OPEN
    found = page.locator("[data-testid=found] [data-candidate]")
    found.locator("input[name=confirm]").check()
    found.locator("textarea[name=reason]").fill("Đã đối chiếu thẻ CCCD: sổ tiêm ghi sai ngày sinh")
    _submit(page, found.locator("form.accept button"))
    page.wait_for_url(QUEUE)
    event = AuditEvent.objects.get(action="match_review.accept")
    assert event.after["reason"] == "Đã đối chiếu thẻ CCCD: sổ tiêm ghi sai ngày sinh"
    assert event.after["differs_in"] == ["date_of_birth"]


def test_the_review_page_in_english(page, clinic_user, registry, review, hanoi_facility):
    browser_login(page, "clinic-hn")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    _open(page, review)
    main = page.inner_text("main")

    assert "Female" in main and "first dose" in main and "02/03/1985" in main
    assert not RAW.search(main), RAW.search(main)
    assert "3 people have the same name and year of birth" in page.inner_text("[data-testid=tied]")
    assert page.locator("main > section.candidate").first.inner_text().count("Possibly the same person") == 1
    assert "1 candidate the evidence is against" in page.inner_text("[data-testid=unlikely]")
    page.fill("#id_full_name", "Ngô Thị Lan")
    _submit(page, page.locator("#registry-search form button"))
    assert "A name is searched with its date of birth: give both." in page.inner_text("#registry-search")
    page.fill("#id_date_of_birth", "02/03/1985")
    _submit(page, page.locator("#registry-search form button"))
    found = page.locator("[data-testid=found] [data-candidate]")
    assert found.count() == 2  # lan_a and lan_b; neither differs in a field that needs confirming
    assert found.locator("[data-testid=confirm-differences]").count() == 0
    _submit(page, found.first.locator("form.accept button"))
    page.wait_for_url(QUEUE)
    assert MatchReview.objects.get(pk=review.pk).status == MatchReview.Status.ACCEPTED
