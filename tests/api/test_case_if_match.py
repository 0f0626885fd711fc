"""If-Match on a case's workflow actions: the ETag of the case as read lets the action run; a stale
one is 412 and nothing changes (status, events, audit); without If-Match the action runs as before."""

from __future__ import annotations

import pytest

from records.models import AuditEvent
from tests.api.conftest import assert_problem, post
from verification.models import CaseEvent, ReconciliationCase
from verification.workflow import CaseStatus

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/"
CLAIM = {"full_name": "Trần Thị Lan", "date_of_birth": "12/03/1991", "sex": "F", "id_number": "001191004567",
         "phone": "0912345678", "vaccine": "astrazeneca", "dose_number": 2, "injection_date": "2021-10-02",
         "lot_number": "NJ0342"}


@pytest.fixture
def case_id(clinic_api) -> int:
    return post(clinic_api, URL, CLAIM).json()["id"]


def written(case_id: int) -> tuple:
    case = ReconciliationCase.objects.get(pk=case_id)
    return (case.status, case.updated_at, CaseEvent.objects.filter(case=case).count(),
            AuditEvent.objects.count())


def test_the_current_etag_lets_the_action_run_and_answers_the_new_one(clinic_api, case_id):
    etag = clinic_api.get(f"{URL}{case_id}/")["ETag"]
    response = post(clinic_api, f"{URL}{case_id}/start-review/", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["status"] == CaseStatus.IN_REVIEW
    assert response["ETag"] != etag and response["ETag"] == clinic_api.get(f"{URL}{case_id}/")["ETag"]


def test_a_stale_etag_is_412_and_changes_nothing(clinic_api, case_id):
    stale = clinic_api.get(f"{URL}{case_id}/")["ETag"]
    assert post(clinic_api, f"{URL}{case_id}/start-review/").status_code == 200  # someone else acted
    before = written(case_id)
    response = post(clinic_api, f"{URL}{case_id}/request-info/", {"message": "Gửi ảnh phiếu tiêm."},
                    HTTP_IF_MATCH=stale)
    assert_problem(response, 412, "precondition_failed", field="If-Match")
    assert written(case_id) == before


def test_one_of_several_etags_matches(clinic_api, case_id):
    etag = clinic_api.get(f"{URL}{case_id}/")["ETag"]
    response = post(clinic_api, f"{URL}{case_id}/start-review/", HTTP_IF_MATCH=f'"old", W/{etag}')
    assert response.status_code == 200 and response.json()["status"] == CaseStatus.IN_REVIEW


def test_a_star_matches_any_version(clinic_api, case_id):
    response = post(clinic_api, f"{URL}{case_id}/start-review/", HTTP_IF_MATCH="*")
    assert response.status_code == 200 and response.json()["status"] == CaseStatus.IN_REVIEW


def test_an_outsider_gets_404_whatever_if_match_says(other_clinic_api, case_id):
    before = written(case_id)
    response = post(other_clinic_api, f"{URL}{case_id}/start-review/", HTTP_IF_MATCH="*")
    assert_problem(response, 404, "not_found")
    assert written(case_id) == before
