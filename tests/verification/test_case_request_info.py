import pytest

from vaxrecon.errors import InvalidInput, InvalidTransition, NotAllowed, NotFoundInScope
from verification.services import case_provide_info, case_request_info

from .conftest import jpeg


def test_the_clinic_asks_and_the_citizen_is_texted(case_in_review, clinic_user, sms_outbox,
                                                    django_capture_on_commit_callbacks):
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_request_info(case=case_in_review, actor=clinic_user, message="Chụp rõ mặt sau phiếu tiêm")
    assert case.status == "info_requested" and case.info_request == "Chụp rõ mặt sau phiếu tiêm"
    # Citizens are texted in the site's first language, Vietnamese.
    assert len(sms_outbox) == 1 and "cần bổ sung thông tin" in sms_outbox[0].text


def test_the_question_must_say_something(case_in_review, clinic_user):
    with pytest.raises(InvalidInput) as err:
        case_request_info(case=case_in_review, actor=clinic_user, message=" ")
    assert err.value.field == "message"


def test_the_citizens_answer_returns_the_case_to_review(case_in_review, clinic_user):
    case = case_request_info(case=case_in_review, actor=clinic_user, message="Gửi ảnh rõ hơn")
    case = case_provide_info(case=case, message="Đây ạ", files=[jpeg("back.jpg")])
    assert case.status == "in_review" and case.evidence.count() == 2


def test_an_answer_is_only_taken_when_asked(case_in_review):
    with pytest.raises(InvalidTransition):
        case_provide_info(case=case_in_review, message="hello")


def test_outsiders_cannot_ask(case_in_review, other_clinic_user, police_user):
    with pytest.raises(NotFoundInScope):
        case_request_info(case=case_in_review, actor=other_clinic_user, message="Gửi ảnh rõ hơn")
    with pytest.raises(NotAllowed):
        case_request_info(case=case_in_review, actor=police_user, message="Gửi ảnh rõ hơn")


# The exact refusals and timeline rows (mutation run of verification/services, docs/TESTING.md).

def test_a_question_of_five_characters_is_enough_and_four_are_refused(case_in_review, clinic_user):
    with pytest.raises(InvalidInput) as err:
        case_request_info(case=case_in_review, actor=clinic_user, message="  Gửi! ")
    assert (err.value.message, err.value.field) == (
        "Write what the citizen should send or correct.", "message")
    with pytest.raises(InvalidInput):
        case_request_info(case=case_in_review, actor=clinic_user, message=None)
    case_in_review.refresh_from_db()
    assert case_in_review.status == "in_review" and case_in_review.info_request == ""
    case = case_request_info(case=case_in_review, actor=clinic_user, message=" Gửi ả ")
    assert case.info_request == "Gửi ả"
    event = case.events.get(transition="request_info")
    assert event.message == "Gửi ả"


def test_the_citizens_answer_is_on_the_timeline_with_its_file_count(case_in_review, clinic_user):
    case = case_request_info(case=case_in_review, actor=clinic_user, message="Gửi ảnh rõ hơn")
    case_provide_info(case=case, message=" Đây ạ ", files=[jpeg("back.jpg"), jpeg("front.jpg")])
    event = case.events.get(transition="provide_info")
    assert (event.message, event.data, event.actor_label) == ("Đây ạ", {"files": 2}, "citizen")


def test_a_file_alone_is_an_answer_with_no_words(case_in_review, clinic_user):
    case = case_request_info(case=case_in_review, actor=clinic_user, message="Gửi ảnh rõ hơn")
    case = case_provide_info(case=case, files=[jpeg("back.jpg")])
    event = case.events.get(transition="provide_info")
    assert (case.status, event.message, event.data) == ("in_review", "", {"files": 1})


def test_an_empty_answer_is_refused_and_nothing_is_stored(case_in_review, clinic_user):
    case = case_request_info(case=case_in_review, actor=clinic_user, message="Gửi ảnh rõ hơn")
    with pytest.raises(InvalidInput) as err:
        case_provide_info(case=case, message="   ")
    assert (err.value.message, err.value.field) == ("Write an answer or attach a file.", "message")
    case.refresh_from_db()
    assert case.status == "info_requested" and case.evidence.count() == 1
    assert not case.events.filter(transition="provide_info").exists()
