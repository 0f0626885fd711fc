"""The case timeline's lines are stored as a message id with parameters and shown in the
reader's language, whoever wrote them in whichever language; lines stored as text before (case
events are append-only, never rewritten) are read back to their id when they are one of the
known lines in Vietnamese or English, and what a person typed is shown as typed."""

import pytest
from django.utils import translation

from records.models import Ward
from tests.conftest import browser_login
from tests.verification.conftest import confirmed_report
from tests.verification.helpers import update_record
from verification.models import CaseEvent
from verification.services import case_reject, case_send_to_police, case_start_review
from verification.timeline import event_line

TYPED = "Gọi lại sau 17 giờ / call back after 5 pm"
LINES = {
    "vi": ["Phản ánh đã được xác nhận bằng mã gửi đến điện thoại.",
           "Đã liên kết với công dân Trần Thị Lan.",
           "Đã thêm mũi tiêm: AstraZeneca, mũi 2, 02/10/2021.",
           # written as text in English before the ids: read back, shown in Vietnamese
           "Mũi tiêm đã có trên nền tảng: AstraZeneca, 01/09/2021.",
           TYPED,
           "Đã chuyển công an {ward} xác minh."],
    "en": ["Report confirmed with the code sent to the phone.",
           "Linked to the citizen Trần Thị Lan.",
           "Dose added: AstraZeneca, dose 2, 02/10/2021.",
           "The dose was already on the platform: AstraZeneca, 01/09/2021.",
           TYPED,
           "Sent to the commune police of {ward}."],
}


def _case_written_in_both_languages(hanoi_facility, clinic_user):
    with translation.override("vi"):
        case = confirmed_report(hanoi_facility)
        case_start_review(case=case, actor=clinic_user)
    with translation.override("en"):
        update_record(case, clinic_user)
        # Two rows as they were stored before the ids: a line as English text, a typed note.
        CaseEvent.objects.create(case=case, actor=clinic_user, actor_label="clinic-hn",
                                 from_status=case.status, to_status=case.status,
                                 message="The dose was already on the platform: AstraZeneca, 01/09/2021.",
                                 data={"action": "use_existing_dose"})
        CaseEvent.objects.create(case=case, actor=clinic_user, actor_label="clinic-hn",
                                 from_status=case.status, to_status=case.status, message=TYPED)
    with translation.override("vi"):
        case_send_to_police(case=case, actor=clinic_user)
    return case


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_case_page_shows_every_line_in_the_readers_language(page, clinic_user, hanoi_facility, lang):
    case = _case_written_in_both_languages(hanoi_facility, clinic_user)
    ward = Ward.objects.get(code=case.ward_id).name
    browser_login(page, "clinic-hn")
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.base_url}])
    page.goto(page.base_url + f"/verification/cases/{case.pk}/")
    lines = page.locator("ol.timeline [data-testid=line]").all_inner_texts()
    assert lines == [x.format(ward=ward) for x in LINES[lang]]
    other = LINES["en" if lang == "vi" else "vi"]
    timeline = page.inner_text("ol.timeline")
    assert [x for x in other if x != TYPED and x.format(ward=ward) in timeline] == []


def test_new_lines_are_stored_as_ids_with_parameters_not_text(clinic_user, hanoi_facility):
    case = _case_written_in_both_languages(hanoi_facility, clinic_user)
    written = case.events.exclude(message__in=["", TYPED]).exclude(data__action="use_existing_dose")
    assert list(written) == []
    dose = case.events.get(data__action="add_dose")
    assert dose.data["msg"] == "add_dose"
    assert dose.data["msg_args"] == {"vaccine": "AstraZeneca", "n": 2, "date": "2021-10-02"}
    sent = case.events.get(transition="send_to_police")
    assert sent.data == {"msg": "send_to_police", "msg_args": {"ward": case.ward.name}}


@pytest.mark.parametrize(("lang", "said"), [
    ("vi", "Minh chứng không đọc được: Ảnh bị mờ"),
    ("en", "The evidence is unreadable: Ảnh bị mờ"),
])
def test_a_rejection_names_its_reason_in_the_readers_language_and_the_note_as_typed(
        clinic_user, hanoi_facility, lang, said):
    with translation.override("vi"):
        case = confirmed_report(hanoi_facility)
        case_reject(case=case, actor=clinic_user, reason="unreadable", note="Ảnh bị mờ")
    with translation.override(lang):
        assert event_line(case.events.get(transition="reject")) == said


JOINED = {"vi": ["Người dân phản ánh lại cùng mũi tiêm; đã thêm 1 tệp mới.",
                 "Người dân phản ánh lại cùng mũi tiêm; đã thêm 2 tệp mới.",
                 "Người dân phản ánh lại cùng mũi tiêm; đã thêm 3 tệp mới."],
          "en": ["The citizen reported the same dose again; 1 new file added.",
                 "The citizen reported the same dose again; 2 new files added.",
                 "The citizen reported the same dose again; 3 new files added."]}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_joined_report_counts_its_files_in_the_readers_plural(page, clinic_user, hanoi_facility, lang):
    case = confirmed_report(hanoi_facility)
    for data, message in (({"msg": "join_report", "msg_args": {"n": 1}}, ""),
                          ({"msg": "join_report", "msg_args": {"n": 2}}, ""),
                          # a row stored as text before the plural
                          ({}, "The citizen reported the same dose again; 3 new file(s) added.")):
        CaseEvent.objects.create(case=case, actor=None, actor_label="citizen", from_status=case.status,
                                 to_status=case.status, message=message,
                                 data={"action": "join_report", **data})
    browser_login(page, "clinic-hn")
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.base_url}])
    page.goto(page.base_url + f"/verification/cases/{case.pk}/")
    lines = page.locator("ol.timeline [data-testid=line]").all_inner_texts()
    assert lines[-3:] == JOINED[lang]
