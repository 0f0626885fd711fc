"""Police need-to-know: an officer opens a case of their ward only while it is, or was, with the
police. A citizen's unconfirmed draft, or a case the clinic never sent, is a 404 like a case of
another ward, and its CCCD number never reaches the page."""

from datetime import date

import pytest

from verification import workflow
from verification.models import ReconciliationCase
from verification.services import case_transition

from .conftest import awaiting_case

pytestmark = pytest.mark.django_db
S = workflow.CaseStatus
QUEUE = "/verification/police/"
CCCD = "001090000777"


def _case(facility, *, status, origin=ReconciliationCase.Origin.CLINIC_ENTRY, confirmed=True):
    return ReconciliationCase.objects.create(
        origin=origin, status=status, confirmed=confirmed, full_name="Nguyễn Văn Hùng",
        date_of_birth=date(1990, 5, 17), birth_year=1990, dob_precision="day", sex="M", id_number=CCCD,
        phone="0912345678", ward=facility.ward, facility=facility)


@pytest.fixture
def never_sent(hanoi_facility):
    """Cases of the officer's own ward that never reached the police, by how far they got."""
    return {
        "unconfirmed draft": _case(hanoi_facility, status=S.SUBMITTED, confirmed=False,
                                   origin=ReconciliationCase.Origin.CITIZEN_REPORT),
        "confirmed report": _case(hanoi_facility, status=S.SUBMITTED,
                                  origin=ReconciliationCase.Origin.CITIZEN_REPORT),
        "in review": _case(hanoi_facility, status=S.IN_REVIEW),
        "record updated": _case(hanoi_facility, status=S.RECORD_UPDATED),
        "rejected": _case(hanoi_facility, status=S.REJECTED),
    }


@pytest.mark.parametrize("state", ["unconfirmed draft", "confirmed report", "in review", "record updated",
                                   "rejected"])
def test_the_wards_police_get_404_for_a_case_never_sent_to_them(state, never_sent, police_user, client):
    case = never_sent[state]
    client.force_login(police_user)
    response = client.get(f"{QUEUE}cases/{case.pk}/")
    assert response.status_code == 404
    assert CCCD not in response.content.decode()
    posted = client.post(f"{QUEUE}cases/{case.pk}/", {"outcome": "match"})
    assert posted.status_code == 404 and CCCD not in posted.content.decode()
    assert client.post(f"{QUEUE}cases/{case.pk}/release/").status_code == 404
    assert ReconciliationCase.objects.get(pk=case.pk).status == case.status


def test_the_wards_police_open_a_case_awaiting_them(police_user, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility, id_number=CCCD)
    client.force_login(police_user)
    response = client.get(f"{QUEUE}cases/{case.pk}/")
    assert response.status_code == 200 and CCCD in response.content.decode()


@pytest.mark.parametrize("transition", ["verify_identity", "report_mismatch", "report_not_found"])
def test_the_wards_police_still_open_a_case_they_answered(transition, police_user, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility, id_number=CCCD)
    case_transition(case=case, name=transition, actor=workflow.SYSTEM)
    client.force_login(police_user)
    assert client.get(f"{QUEUE}cases/{case.pk}/").status_code == 200


def test_a_case_sent_back_to_the_clinic_and_corrected_stays_visible_to_the_ward(police_user, client,
                                                                                  hanoi_facility):
    case = awaiting_case(facility=hanoi_facility, id_number=CCCD)
    case_transition(case=case, name="report_mismatch", actor=workflow.SYSTEM)
    case_transition(case=case, name="update_record", actor=workflow.SYSTEM)  # the clinic corrected it
    client.force_login(police_user)
    assert client.get(f"{QUEUE}cases/{case.pk}/").status_code == 200


def test_police_of_another_ward_get_404_for_a_case_with_our_police(outsider_police, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility, id_number=CCCD)
    client.force_login(outsider_police)
    response = client.get(f"{QUEUE}cases/{case.pk}/")
    assert response.status_code == 404 and CCCD not in response.content.decode()


def test_clinic_staff_get_403_on_the_police_case_page(clinic_user, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility, id_number=CCCD)
    client.force_login(clinic_user)
    response = client.get(f"{QUEUE}cases/{case.pk}/")
    assert response.status_code == 403 and CCCD not in response.content.decode()


def test_a_draft_never_shows_in_the_police_queue_or_bulk_page(never_sent, police_user, client):
    client.force_login(police_user)
    for url in (QUEUE, f"{QUEUE}bulk-confirm/"):
        html = client.get(url).content.decode()
        assert all(case.tracking_code not in html for case in never_sent.values())
    response = client.post(f"{QUEUE}next/", follow=True)
    assert "The queue is empty" in response.content.decode()
