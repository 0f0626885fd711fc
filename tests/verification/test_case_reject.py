import pytest

from vaxrecon.errors import InvalidInput, InvalidTransition, NotAllowed, NotFoundInScope
from verification.services import case_reject, case_send_to_police

from .helpers import update_record


def test_a_rejection_keeps_the_reason_and_texts_the_citizen(reported_case, clinic_user, sms_outbox,
                                                             django_capture_on_commit_callbacks):
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_reject(case=reported_case, actor=clinic_user, reason="no_injection")
    assert case.status == "rejected" and case.reject_reason == "no_injection" and case.closed_at
    (message,) = sms_outbox
    assert message.phone == "0912345678" and case.tracking_code in message.text
    # Citizens are texted in the site's first language, Vietnamese.
    assert "Không có mũi tiêm này trong sổ tiêm chủng của cơ sở" in message.text


def test_other_needs_a_few_words(reported_case, clinic_user):
    with pytest.raises(InvalidInput) as err:
        case_reject(case=reported_case, actor=clinic_user, reason="other")
    assert err.value.field == "note"
    case = case_reject(case=reported_case, actor=clinic_user, reason="other", note="Tiêm ở tỉnh khác")
    assert case.reject_note == "Tiêm ở tỉnh khác"


def test_an_unknown_reason_is_refused(reported_case, clinic_user):
    with pytest.raises(InvalidInput):
        case_reject(case=reported_case, actor=clinic_user, reason="because")


def test_a_case_with_the_police_cannot_be_rejected_by_the_clinic(case_in_review, clinic_user):
    case = case_send_to_police(case=update_record(case_in_review, clinic_user), actor=clinic_user)
    with pytest.raises(InvalidTransition):
        case_reject(case=case, actor=clinic_user, reason="duplicate")


def test_outsiders_cannot_reject(reported_case, other_clinic_user, police_user):
    with pytest.raises(NotFoundInScope):
        case_reject(case=reported_case, actor=other_clinic_user, reason="duplicate")
    with pytest.raises(NotAllowed):
        case_reject(case=reported_case, actor=police_user, reason="duplicate")


# The exact refusals and the timeline row (mutation run of verification/services, docs/TESTING.md).

def test_the_refusals_name_the_field_and_say_what_to_do(reported_case, clinic_user):
    with pytest.raises(InvalidInput) as err:
        case_reject(case=reported_case, actor=clinic_user, reason="bored")
    assert (err.value.message, err.value.field) == ("Choose a reason.", "reason")
    with pytest.raises(InvalidInput) as err:
        case_reject(case=reported_case, actor=clinic_user, reason="other", note="  ")
    assert (err.value.message, err.value.field) == ("Explain the reason in a few words.", "note")
    reported_case.refresh_from_db()
    assert reported_case.status == "submitted"
    assert not reported_case.events.filter(transition="reject").exists()


def test_the_timeline_keeps_the_reason_and_the_note(reported_case, clinic_user):
    case = case_reject(case=reported_case, actor=clinic_user, reason="other", note=" Tiêm ở tỉnh khác ")
    event = case.events.get(transition="reject")
    assert (event.message, event.data) == ("Tiêm ở tỉnh khác", {"reason": "other"})
    assert (case.reject_reason, case.reject_note) == ("other", "Tiêm ở tỉnh khác")
