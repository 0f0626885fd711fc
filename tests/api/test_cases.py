"""Cases for clinic staff through the API: open, queue, read, and the case page's actions, each
through its service and the workflow table; outsiders 404, other roles 403; audited."""

from __future__ import annotations

from datetime import date

import pytest

from records.models import AuditEvent, InjectionRecord
from tests.api.conftest import assert_problem, post, session_client
from tests.factories import CitizenFactory, InjectionRecordFactory
from verification.models import CaseEvent, ReconciliationCase
from verification.workflow import CaseStatus

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/"
CLAIM = {
    "full_name": "Trần Thị Lan",
    "date_of_birth": "12/03/1991",
    "sex": "F",
    "id_number": "001191004567",
    "phone": "0912345678",
    "vaccine": "astrazeneca",
    "dose_number": 2,
    "injection_date": "2021-10-02",
    "lot_number": "NJ0342",
}


@pytest.fixture
def opened(clinic_api) -> dict:
    response = post(clinic_api, URL, CLAIM)
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def lan(reference_data):
    return CitizenFactory(
        full_name="Trần Thị Lan",
        sex="F",
        date_of_birth=date(1991, 3, 12),
        cccd="001191004567",
        phone="0912345678",
    )


def act(api, case_id: int, action: str, data=None):
    return post(api, f"{URL}{case_id}/{action}/", data)


def test_the_clinic_opens_a_case_for_a_person_at_the_desk(opened, clinic_key, hanoi_facility):
    case = ReconciliationCase.objects.get(pk=opened["id"])
    assert case.origin == ReconciliationCase.Origin.CLINIC_ENTRY and case.confirmed
    assert (case.status, case.facility, case.ward_id) == (
        CaseStatus.SUBMITTED,
        hanoi_facility,
        hanoi_facility.ward_id,
    )
    assert opened["id_number_masked"] != "001191004567" and "0912345678" not in str(opened)
    assert opened["transitions"] == ["start_review", "request_info", "reject"]
    assert AuditEvent.objects.get(action="case.open").actor == clinic_key.key.user


def test_a_bad_claim_names_its_field_and_opens_nothing(clinic_api):
    assert_problem(
        post(clinic_api, URL, {**CLAIM, "id_number": "12345"}), 400, "invalid_input", field="id_number"
    )
    assert_problem(
        post(clinic_api, URL, {**CLAIM, "date_of_birth": "31/02/1991"}),
        400,
        "invalid_input",
        field="date_of_birth",
    )
    assert_problem(post(clinic_api, URL, {**CLAIM, "ward": 999999}), 400, "invalid_input", field="ward")
    assert not ReconciliationCase.objects.exists()


def test_queue_and_case_are_the_facility_s_own(clinic_api, other_clinic_api, opened):
    assert [c["id"] for c in clinic_api.get(URL).json()["results"]] == [opened["id"]]
    assert other_clinic_api.get(URL).json()["results"] == []
    read = clinic_api.get(f"{URL}{opened['id']}/")
    assert read.status_code == 200 and read["ETag"]
    assert_problem(other_clinic_api.get(f"{URL}{opened['id']}/"), 404, "not_found")
    assert clinic_api.get(URL, {"status": "in_review"}).json()["results"] == []
    assert [c["id"] for c in clinic_api.get(URL, {"search": "001191004567"}).json()["results"]] == [
        opened["id"]
    ]


def test_other_roles_are_refused(police_user, provincial_user, opened):
    for user in (police_user, provincial_user):
        assert_problem(session_client(user).get(URL), 403, "not_allowed")
        assert_problem(act(session_client(user), opened["id"], "start-review"), 403, "not_allowed")
    assert ReconciliationCase.objects.get(pk=opened["id"]).status == CaseStatus.SUBMITTED


def test_the_whole_clinic_step_through_the_workflow(clinic_api, opened, lan):
    pk = opened["id"]
    assert act(clinic_api, pk, "start-review").json()["status"] == CaseStatus.IN_REVIEW
    assert act(clinic_api, pk, "link-citizen", {"citizen": lan.pk}).json()["citizen"] == lan.pk
    body = act(
        clinic_api,
        pk,
        "add-dose",
        {"vaccine": "astrazeneca", "dose_number": 2, "injection_date": "2021-10-02"},
    ).json()
    assert body["status"] == CaseStatus.RECORD_UPDATED and len(body["injections"]) == 1
    record = InjectionRecord.objects.get(pk=body["injections"][0])
    fixed = act(
        clinic_api,
        pk,
        "correct-dose",
        {
            "injection": record.pk,
            "vaccine": "astrazeneca",
            "dose_number": 2,
            "injection_date": "2021-10-03",
            "lot_number": "NJ1",
        },
    ).json()
    assert fixed["injections"] != [record.pk]
    assert act(clinic_api, pk, "send-to-police").json()["status"] == CaseStatus.AWAITING_POLICE
    transitions = list(
        CaseEvent.objects.filter(case_id=pk).exclude(transition="").values_list("transition", flat=True)
    )
    assert transitions == ["start_review", "update_record", "send_to_police"]
    assert AuditEvent.objects.filter(action="case.send_to_police", object_id=str(pk)).exists()


def test_a_step_the_state_refuses_is_409_and_changes_nothing(clinic_api, opened):
    assert_problem(act(clinic_api, opened["id"], "send-to-police"), 409, "invalid_transition")
    assert ReconciliationCase.objects.get(pk=opened["id"]).status == CaseStatus.SUBMITTED


def test_a_duplicate_dose_on_a_case_is_409(clinic_api, opened, lan, hanoi_facility):
    existing = InjectionRecordFactory(citizen=lan, facility=hanoi_facility, injection_date=date(2021, 10, 1))
    act(clinic_api, opened["id"], "start-review")
    act(clinic_api, opened["id"], "link-citizen", {"citizen": lan.pk})
    assert_problem(
        act(
            clinic_api,
            opened["id"],
            "add-dose",
            {"vaccine": "pfizer", "dose_number": 2, "injection_date": "2021-10-02"},
        ),
        409,
        "duplicate_dose",
    )
    assert list(InjectionRecord.objects.filter(citizen=lan)) == [existing]


def test_reject_needs_a_known_reason_and_a_note_for_other(clinic_api, opened):
    assert_problem(
        act(clinic_api, opened["id"], "reject", {"reason": "nope"}), 400, "invalid_input", field="reason"
    )
    assert_problem(
        act(clinic_api, opened["id"], "reject", {"reason": "other"}), 400, "invalid_input", field="note"
    )
    assert ReconciliationCase.objects.get(pk=opened["id"]).status == CaseStatus.SUBMITTED
    body = act(clinic_api, opened["id"], "reject", {"reason": "duplicate"}).json()
    assert body["status"] == CaseStatus.REJECTED and body["reject_reason"] == "duplicate"


def test_request_info_and_an_outsider_s_action(clinic_api, other_clinic_api, opened):
    assert_problem(
        act(other_clinic_api, opened["id"], "request-info", {"message": "Gửi ảnh phiếu tiêm"}),
        404,
        "not_found",
    )
    assert ReconciliationCase.objects.get(pk=opened["id"]).status == CaseStatus.SUBMITTED
    body = act(clinic_api, opened["id"], "request-info", {"message": "Gửi ảnh phiếu tiêm"}).json()
    assert body["status"] == CaseStatus.INFO_REQUESTED and body["info_request"] == "Gửi ảnh phiếu tiêm"


def test_create_citizen_and_correct_identity(clinic_api, opened):
    pk = opened["id"]
    act(clinic_api, pk, "start-review")
    body = act(
        clinic_api,
        pk,
        "create-citizen",
        {"full_name": "Trần Thị Lan", "date_of_birth": "1991-03-12", "sex": "F", "id_number": "001191004567"},
    ).json()
    assert body["citizen"]
    fixed = act(
        clinic_api,
        pk,
        "correct-identity",
        {
            "full_name": "Trần Thị Lan Anh",
            "date_of_birth": "1991-03-12",
            "sex": "F",
            "id_number": "001191004567",
        },
    ).json()
    assert fixed["full_name"] == "Trần Thị Lan Anh" and fixed["status"] == CaseStatus.RECORD_UPDATED
    assert AuditEvent.objects.filter(action="citizen.correct_identity").exists()


def test_linking_a_citizen_who_differs_from_the_claim_needs_confirm_and_reason(clinic_api, opened, lan):
    pk = opened["id"]
    act(clinic_api, pk, "start-review")
    lan.cccd = "001191004568"  # one digit off the claim's
    lan.save()
    assert_problem(act(clinic_api, pk, "link-citizen", {"citizen": lan.pk}), 400, "invalid_input",
                   field="confirm")
    assert_problem(act(clinic_api, pk, "link-citizen", {"citizen": lan.pk, "confirm": True}), 400,
                   "invalid_input", field="reason")
    assert ReconciliationCase.objects.get(pk=pk).citizen_id is None
    why = {"citizen": lan.pk, "confirm": True, "reason": "CCCD matches"}
    linked = act(clinic_api, pk, "link-citizen", why)
    assert linked.json()["citizen"] == lan.pk
    assert AuditEvent.objects.get(action="case.link_citizen").after["reason"] == "CCCD matches"


def test_a_citizen_the_registry_search_finds_is_linked_through_the_api_as_on_the_page(clinic_api, opened,
                                                                                      hanoi_facility):
    """The case page's registry search has its API twin: `link-citizen` with `search` runs the
    search again, scores the citizen with the candidates, asks the same confirmation and keeps
    the search's keys in the audit. Without `search` the same citizen is not a candidate."""
    pk = opened["id"]
    act(clinic_api, pk, "start-review")
    misspelt = CitizenFactory(full_name="Trần Thị Lam", sex="F", date_of_birth=date(1991, 3, 12),
                              cccd="001191007654", phone="0987654321", ward=hanoi_facility.ward)
    assert_problem(act(clinic_api, pk, "link-citizen", {"citizen": misspelt.pk}), 400, "invalid_input",
                   field="citizen")
    search = {"cccd": "001191007654"}
    assert_problem(act(clinic_api, pk, "link-citizen", {"citizen": misspelt.pk, "search": search}), 400,
                   "invalid_input", field="confirm")
    half = {"citizen": misspelt.pk, "search": {"full_name": "Trần Thị Lam"}}  # a name without its birth date
    assert_problem(act(clinic_api, pk, "link-citizen", half), 400, "invalid_input", field="search.full_name")
    assert ReconciliationCase.objects.get(pk=pk).citizen_id is None
    linked = act(clinic_api, pk, "link-citizen", {"citizen": misspelt.pk, "search": search, "confirm": True,
                                                  "reason": "CCCD on the card"})
    assert linked.status_code == 200 and linked.json()["citizen"] == misspelt.pk
    after = AuditEvent.objects.get(action="case.link_citizen").after
    assert after["found_by_search"] == ["cccd"] and after["reason"] == "CCCD on the card"


def test_a_search_without_any_key_is_refused_in_vietnamese(clinic_api, opened, lan):
    pk = opened["id"]
    act(clinic_api, pk, "start-review")
    refused = act(clinic_api, pk, "link-citizen", {"citizen": lan.pk, "search": {"phone": ""}})
    assert_problem(refused, 400, "invalid_input", field="search.cccd")
    assert "Hãy nhập CCCD/CMND, số điện thoại, hoặc họ tên kèm ngày sinh." in str(refused.json())
    assert ReconciliationCase.objects.get(pk=pk).citizen_id is None
