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
