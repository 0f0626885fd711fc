"""The clinic's case page and its actions, as staff use them."""

from datetime import date

import pytest
from django.urls import reverse

from records.models import InjectionRecord, VaccineProduct
from tests.factories import CitizenFactory, InjectionRecordFactory
from verification.services import case_submit

from .conftest import report_kwargs


def act(case, name):
    return reverse("verification:case_action", args=[case.pk, name])


@pytest.fixture
def lan(reference_data):
    return CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12),
                          cccd="001191004567", phone="0912345678")


def test_staff_resolve_a_report_end_to_end(client, clinic_user, reported_case, lan, hanoi_facility):
    client.force_login(clinic_user)
    page = client.get(reverse("verification:case_detail", args=[reported_case.pk]))
    assert page.status_code == 200 and "Start review" in page.text
    client.post(act(reported_case, "start_review"))
    page = client.get(reverse("verification:case_detail", args=[reported_case.pk]))
    assert "This is the person" in page.text and "•••567" in page.text  # the candidate, masked
    client.post(act(reported_case, "link"), {"citizen": lan.pk})
    response = client.post(act(reported_case, "add_dose"), {
        "vaccine": "astrazeneca", "dose_number": "2", "injection_date": "02/10/2021", "lot_number": "NJ0342",
        "facility": hanoi_facility.pk}, follow=True)
    assert "The dose was added." in response.text
    response = client.post(act(reported_case, "send_to_police"), follow=True)
    assert "Awaiting police verification" in response.text
    reported_case.refresh_from_db()
    assert reported_case.status == "awaiting_police"


def test_a_duplicate_dose_is_flagged_and_the_form_keeps_the_input(client, clinic_user, case_in_review, lan):
    client.force_login(clinic_user)
    client.post(act(case_in_review, "link"), {"citizen": lan.pk})
    InjectionRecordFactory(citizen=lan, vaccine=VaccineProduct.objects.get(code="astrazeneca"),
                           injection_date=date(2021, 10, 1))
    response = client.post(act(case_in_review, "add_dose"), {
        "vaccine": "astrazeneca", "dose_number": "2", "injection_date": "03/10/2021", "lot_number": "ZZ9999"})
    assert response.status_code == 409
    assert "already has this dose" in response.text and "ZZ9999" in response.text
    assert "Use the recorded dose for this case" in response.text
    assert InjectionRecord.objects.filter(citizen=lan).count() == 1


def test_a_bad_date_is_named_and_the_rest_is_kept(client, clinic_user, case_in_review, lan):
    client.force_login(clinic_user)
    client.post(act(case_in_review, "link"), {"citizen": lan.pk})
    response = client.post(act(case_in_review, "add_dose"), {
        "vaccine": "astrazeneca", "dose_number": "2", "injection_date": "31/02/2021", "lot_number": "NJ0342"})
    assert response.status_code == 400
    assert "Write the date as dd/mm/yyyy" in response.text and "NJ0342" in response.text


def test_rejecting_with_other_needs_a_note(client, clinic_user, reported_case):
    client.force_login(clinic_user)
    response = client.post(act(reported_case, "reject"), {"reason": "other", "note": ""})
    assert response.status_code == 400 and "Explain the reason" in response.text
    response = client.post(act(reported_case, "reject"), {"reason": "unreadable"}, follow=True)
    assert "The case is rejected" in response.text


def test_an_action_the_state_does_not_allow_is_explained(client, clinic_user, reported_case):
    client.force_login(clinic_user)
    response = client.post(act(reported_case, "send_to_police"), follow=True)
    assert "cannot be changed this way" in response.text


def test_a_clinic_elsewhere_gets_not_found(client, other_clinic_user, reported_case):
    client.force_login(other_clinic_user)
    assert client.get(reverse("verification:case_detail", args=[reported_case.pk])).status_code == 404
    assert client.post(act(reported_case, "start_review")).status_code == 404
    reported_case.refresh_from_db()
    assert reported_case.status == "submitted"


def test_the_police_get_forbidden(client, police_user, reported_case):
    client.force_login(police_user)
    assert client.get(reverse("verification:case_detail", args=[reported_case.pk])).status_code == 403
    assert client.post(act(reported_case, "start_review")).status_code == 403


def test_an_unconfirmed_report_is_not_shown_to_staff(client, clinic_user, hanoi_facility):
    draft = case_submit(**report_kwargs(hanoi_facility))
    client.force_login(clinic_user)
    assert client.get(reverse("verification:case_detail", args=[draft.pk])).status_code == 404


ACTIONS = {"start_review": "case_start_review", "link": "case_link_citizen",
           "create_citizen": "case_create_citizen", "correct_identity": "case_correct_identity",
           "add_dose": "case_add_dose", "use_existing_dose": "case_use_existing_dose",
           "correct_dose": "case_correct_dose", "send_to_police": "case_send_to_police",
           "reject": "case_reject", "request_info": "case_request_info"}


def test_each_action_has_its_own_url_at_the_old_address(reported_case):
    for action, name in ACTIONS.items():
        assert reverse(f"verification:{name}", args=[reported_case.pk]) == act(reported_case, action)


@pytest.mark.parametrize("action", [*ACTIONS, "no_such_action"])
def test_outsiders_get_not_found_or_forbidden_for_every_action(client, other_clinic_user, police_user,
                                                                reported_case, action):
    client.force_login(other_clinic_user)
    assert client.post(act(reported_case, action), {"citizen": "1", "injection": "1"}).status_code == 404
    client.force_login(police_user)
    assert client.post(act(reported_case, action)).status_code == 403
    client.logout()
    assert client.post(act(reported_case, action)).status_code == 302  # to the login page
    reported_case.refresh_from_db()
    assert reported_case.status == "submitted" and reported_case.citizen_id is None


def test_an_unknown_action_is_not_found_and_actions_take_only_post(client, clinic_user, reported_case):
    client.force_login(clinic_user)
    assert client.post(act(reported_case, "no_such_action")).status_code == 404
    assert client.get(act(reported_case, "no_such_action")).status_code == 405
    assert client.get(act(reported_case, "start_review")).status_code == 405


def test_a_dose_of_someone_else_cannot_be_corrected(client, clinic_user, case_in_review, lan):
    client.force_login(clinic_user)
    client.post(act(case_in_review, "link"), {"citizen": lan.pk})
    stranger_dose = InjectionRecordFactory()
    for action, injection in (("correct_dose", stranger_dose.pk), ("correct_dose", "x"),
                              ("use_existing_dose", stranger_dose.pk)):
        assert client.post(act(case_in_review, action), {"injection": injection}).status_code == 404


def test_a_correction_that_repeats_a_dose_is_refused_as_a_conflict(client, clinic_user, case_in_review, lan):
    astrazeneca = VaccineProduct.objects.get(code="astrazeneca")
    InjectionRecordFactory(citizen=lan, vaccine=astrazeneca, injection_date=date(2021, 10, 1))
    second = InjectionRecordFactory(citizen=lan, vaccine=astrazeneca, injection_date=date(2021, 12, 1),
                                    dose_number=2)
    client.force_login(clinic_user)
    client.post(act(case_in_review, "link"), {"citizen": lan.pk})
    fix = f"fix{second.pk}-"
    response = client.post(act(case_in_review, "correct_dose"), {
        "injection": second.pk, fix + "vaccine": "astrazeneca", fix + "dose_number": "2",
        fix + "injection_date": "02/10/2021", fix + "lot_number": "A1"})
    assert response.status_code == 409 and "already has this dose" in response.text
    assert "Use the recorded dose for this case" not in response.text  # offered when adding, not correcting
    assert not InjectionRecord.objects.filter(citizen=lan, version=2).exists()


def test_a_nine_digit_number_creates_the_person_with_a_cmnd(client, clinic_user, case_in_review):
    client.force_login(clinic_user)
    response = client.post(act(case_in_review, "create_citizen"), {
        "full_name": "Trần Thị Lan", "date_of_birth": "12/03/1991", "sex": "F", "id_number": "123 456 789"},
        follow=True)
    assert "The citizen was created and linked to the case." in response.text
    case_in_review.refresh_from_db()
    assert (case_in_review.citizen.cmnd, case_in_review.citizen.cccd) == ("123456789", None)


def test_a_wrong_cccd_is_named_on_the_number_field(client, clinic_user, case_in_review):
    client.force_login(clinic_user)
    response = client.post(act(case_in_review, "create_citizen"), {
        "full_name": "Trần Thị Lan", "date_of_birth": "12/03/1991", "sex": "F", "id_number": "1234567890"})
    assert response.status_code == 400 and "CCCD number must be exactly 12 digits." in response.text
    assert case_in_review.events.filter(data__action="create_citizen").count() == 0
