"""Linking a case to a candidate who differs from the claim in date of birth, CCCD/CMND or
commune/ward asks for an explicit confirmation naming those fields and a reason (as the match
review does); the reason is kept in the timeline and the audit event. Nothing is linked
without them."""

from datetime import date

import pytest
from django.utils import translation

from records.models import AuditEvent
from tests.conftest import browser_login
from tests.factories import CitizenFactory
from vaxrecon.errors import InvalidInput
from verification.services import case_link_citizen

REASON = "Đã xem thẻ CCCD: phiếu tiêm ghi nhầm một chữ số"
SEEN = {
    "vi": {"legend": "Khác với thông tin phản ánh ở: CCCD/CMND",
           "refused": "Người này khác với thông tin phản ánh ở: CCCD/CMND. "
                      "Hãy xác nhận đây là cùng một người.",
           "line": f"Đã liên kết với công dân Trần Thị Lan dù khác thông tin phản ánh ở CCCD/CMND; "
                   f"lý do: {REASON}"},
    "en": {"legend": "Differs from the claim in: CCCD/CMND",
           "refused": "This person differs from the claim in: CCCD/CMND. "
                      "Confirm that it is the same person.",
           "line": f"Linked to the citizen Trần Thị Lan, who differs from the claim in CCCD/CMND; "
                   f"reason: {REASON}"},
}


@pytest.fixture
def typo_cccd():
    """The reporter by name, birth date and phone, whose CCCD differs from the claimed one
    (001191004567) by its last digit: likely the person, but the number must be checked."""
    return CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12),
                          cccd="001191004568", phone="0912345678")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_staff_confirm_a_differing_candidate_with_a_reason_on_the_case_page(page, clinic_user, case_in_review,
                                                                             typo_cccd, lang):
    browser_login(page, "clinic-hn")
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.base_url}])
    page.goto(page.base_url + f"/verification/cases/{case_in_review.pk}/")
    confirm = page.locator("[data-testid=confirm-differences]")
    row = page.locator("table.candidates tbody tr").filter(has=confirm)
    assert row.locator("legend").inner_text() == SEEN[lang]["legend"]

    with page.expect_navigation():
        row.locator("button[type=submit]").click()  # not confirmed: refused, nothing linked
    assert SEEN[lang]["refused"] in page.inner_text("ul.messages")
    case_in_review.refresh_from_db()
    assert case_in_review.citizen_id is None

    row.locator("input[name=confirm]").check()
    row.locator("textarea[name=reason]").fill(REASON)
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    case_in_review.refresh_from_db()
    assert case_in_review.citizen_id == typo_cccd.pk
    assert SEEN[lang]["line"] in page.locator("ol.timeline [data-testid=line]").all_inner_texts()


def test_the_service_refuses_without_confirmation_or_reason_and_audits_both(clinic_user, case_in_review,
                                                                            typo_cccd):
    for confirmed, reason, field in ((False, REASON, "confirm"), (True, "  ", "reason")):
        with pytest.raises(InvalidInput) as refused:
            case_link_citizen(case=case_in_review, actor=clinic_user, citizen_id=typo_cccd.pk,
                              confirmed=confirmed, reason=reason)
        assert refused.value.field == field
    case_in_review.refresh_from_db()
    assert case_in_review.citizen_id is None and not AuditEvent.objects.filter(action="case.link_citizen")

    case_link_citizen(case=case_in_review, actor=clinic_user, citizen_id=typo_cccd.pk, confirmed=True,
                      reason=REASON)
    audit = AuditEvent.objects.get(action="case.link_citizen")
    assert (audit.after["differs_in"], audit.after["reason"]) == (["id_number"], REASON)
    event = case_in_review.events.get(data__action="link_citizen")
    assert (event.data["differs_in"], event.data["reason"]) == (["id_number"], REASON)


def test_a_candidate_who_agrees_is_linked_without_confirmation(clinic_user, case_in_review):
    same = CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12),
                          cccd="001191004567", phone="0912345678")
    with translation.override("en"):
        case_link_citizen(case=case_in_review, actor=clinic_user, citizen_id=same.pk)
    assert "differs_in" not in AuditEvent.objects.get(action="case.link_citizen").after


MARKED = {"vi": {("reason-agree", "✓ Trùng họ tên"), ("reason-near", "≈ Số CCCD khác một chữ số")},
          "en": {("reason-agree", "✓ Same name"), ("reason-near", "≈ CCCD number differs by one digit")}}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_each_candidate_marks_what_agrees_nearly_agrees_and_differs(page, clinic_user, case_in_review,
                                                                   typo_cccd, lang):
    CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12), cccd="001191004567",
                   phone="0999888777")  # the claimed CCCD, another phone
    browser_login(page, "clinic-hn")
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.base_url}])
    page.goto(page.base_url + f"/verification/cases/{case_in_review.pk}/")
    marks = page.locator("table.candidates ul.reasons li").evaluate_all(
        "ls => ls.map(l => [l.className, l.innerText.trim()])")
    assert MARKED[lang] <= {tuple(m) for m in marks}
    differ = {text for kind, text in marks if kind == "reason-differ"}
    assert differ == {"✗ Khác số điện thoại" if lang == "vi" else "✗ Different phone number"}
