"""Many doses in one request (POST /api/v1/injections/bulk/): each item gets what the same dose sent
alone would have got, in the same order (records, refusals and their words, audit events), while
the request reads and writes set-wise; retried and concurrent requests write nothing twice."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from api.models import IdempotentRequest
from records.models import AuditEvent, InjectionRecord
from tests.api.conftest import assert_problem, key_client, post, session_client
from tests.factories import CitizenFactory, InjectionRecordFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/injections/"
BULK = f"{URL}bulk/"
LAN, MAI = "001191004567", "001191004568"


@pytest.fixture
def people(reference_data, hanoi_facility, hcm_facility):
    """Lan and Mai by CCCD; Hùng vaccinated here (in scope by id); Tâm vaccinated only in Hồ Chí
    Minh City (outside the facility's scope by id); Lan already has Pfizer on 01/09/2021."""
    lan = CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12), cccd=LAN)
    mai = CitizenFactory(full_name="Lê Thị Mai", sex="F", date_of_birth=date(1991, 5, 2), cccd=MAI)
    hung, tam = CitizenFactory(cccd=None), CitizenFactory(cccd=None)
    InjectionRecordFactory(citizen=lan, facility=hanoi_facility, injection_date=date(2021, 9, 1),
                           dose_number=1, lot_number="FK0001")
    InjectionRecordFactory(citizen=hung, facility=hanoi_facility, injection_date=date(2021, 8, 1))
    InjectionRecordFactory(citizen=tam, facility=hcm_facility, injection_date=date(2021, 8, 1))
    return {"lan": lan, "mai": mai, "hung": hung, "tam": tam}


def dose(**overrides) -> dict:
    return {"cccd": MAI, "vaccine": "pfizer", "dose_number": 1, "injection_date": "2021-09-01",
            "lot_number": "FK1234", "source_record_id": "HIS-1", **overrides}


def mixed(people) -> list[dict]:
    """Every kind of answer, each kind of refusal, and doses that meet earlier ones of the list."""
    future = (date.today() + timedelta(days=5)).isoformat()
    return [
        dose(),  # recorded
        dose(injection_date="2021-09-03", source_record_id="HIS-2"),  # the first again: 409
        dose(cccd=LAN, injection_date="2021-08-30"),  # Lan's dose on the platform again: 409
        dose(cccd=LAN, vaccine="moderna", injection_date="2021-09-02", dose_number=2),  # other family
        {k: v for k, v in dose().items() if k != "cccd"} | {"citizen": people["hung"].pk,
                                                            "injection_date": "2021-10-01"},
        {k: v for k, v in dose().items() if k != "cccd"} | {"citizen": people["tam"].pk},  # outsider: 404
        dose(cccd="079199000001"),  # nobody: 404
        {k: v for k, v in dose().items() if k != "cccd"},  # no person named: 400
        dose(cccd="12345"),  # not a CCCD: 400 (serializer)
        dose(vaccine="no-such-vaccine"),  # 400 (serializer)
        dose(vaccine=7), dose(vaccine=["pfizer"]),  # a vaccine of another type
        dose(dose_number=0),  # the serializer
        dose(dose_number=11, lot_number="-bad", injection_date="2021-12-01"),  # two rules at once
        dose(cccd=LAN, injection_date=future, vaccine="astrazeneca"),  # in the future
        dose(cccd=LAN, injection_date="2021-01-01", vaccine="astrazeneca"),  # before the first injection
        dose(cccd=LAN, injection_date="2022-01-01", lot_number="x" * 31),  # too long (serializer)
        dose(cccd=LAN, vaccine="sinopharm", injection_date="2022-02-01", dose_number=11),  # refused...
        dose(cccd=LAN, vaccine="sinopharm", injection_date="2022-02-02", dose_number=3),  # ...so not a twin
        dose(cccd=LAN, citizen=people["tam"].pk, vaccine="janssen", injection_date="2022-03-01"),  # CCCD wins
        dose(cccd=" 0011 9100 4568 "),  # the serializer refuses spaces
        dose(injection_date="01/09/2021"),  # not ISO: 400
    ]


def _answers(responses) -> list[tuple]:
    """What a client sees of each answer, without what differs between requests by nature (ids,
    times, the request's path)."""
    out = []
    for status, body in responses:
        left_out = ("id", "created_at") if status == 201 else ("instance",)
        out.append((status, {k: v for k, v in body.items() if k not in left_out}))
    return out


def _written(since_record: int, since_event: int) -> tuple[list, list]:
    records = [
        (r.citizen_id, r.vaccine.code, r.dose_number, r.injection_date, r.lot_number, r.facility_id, r.source,
         r.status, r.version, r.source_record_id, r.created_by_id)
        for r in InjectionRecord.objects.filter(pk__gt=since_record).order_by("pk")
    ]
    events = [
        (e.action, e.actor_id, e.actor_label, e.object_type,
         {k: v for k, v in e.after.items() if k not in ("id", "created_at")})
        for e in AuditEvent.objects.filter(pk__gt=since_event).order_by("pk")
    ]
    return records, events


def _last_ids() -> tuple[int, int]:
    return (InjectionRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)


class Undo(Exception):
    pass


def test_each_item_gets_what_the_same_dose_alone_gets_and_writes_the_same(clinic_api, people):
    items = mixed(people)
    start = _last_ids()
    try:  # one dose a request, in order, then undone: the bulk request below starts from the same state
        with transaction.atomic():
            alone = []
            for item in items:
                response = post(clinic_api, URL, item)
                alone.append((response.status_code, response.json()))
            written_alone = _written(*start)
            raise Undo
    except Undo:
        pass
    assert _written(*start) == ([], [])

    body = post(clinic_api, BULK, {"records": items}).json()
    assert [i["index"] for i in body["items"]] == list(range(len(items)))
    together = [(i["status"], i["record"] if i["status"] == 201 else i["problem"]) for i in body["items"]]
    assert _answers(together) == _answers(alone)
    assert _written(*start) == written_alone
    statuses = [s for s, _ in alone]
    assert statuses == [201, 409, 409, 201, 201, 404, 404, 400, 400, 400, 400, 400, 400, 400, 400, 400,
                        400, 400, 201, 201, 400, 400]
    assert (body["recorded"], body["refused"]) == (statuses.count(201), len(statuses) - statuses.count(201))
    assert {e["field"] for e in body["items"][13]["problem"]["errors"]} == {"dose_number", "lot_number"}
    assert "01/09/2021" in body["items"][1]["problem"]["detail"]  # the twin named is the first item


def test_every_recorded_dose_has_its_own_audit_event_naming_the_key(clinic_api, clinic_key, people):
    body = post(clinic_api, BULK, {"records": [dose(), dose(cccd=LAN, injection_date="2022-01-05")]}).json()
    for item in body["items"]:
        record = InjectionRecord.objects.get(pk=item["record"]["id"])
        event = AuditEvent.objects.get(action="injection.create", object_id=str(record.pk))
        assert event.object_type == "records.injectionrecord"
        assert event.actor == clinic_key.key.user == record.created_by
        assert event.after["lot_number"] == record.lot_number
        assert event.after["citizen_id"] == record.citizen_id


def test_the_reads_and_writes_do_not_grow_with_the_items(clinic_api, people):
    def queries(n: int) -> int:
        first = date(2022 if n > 10 else 2024, 1, 1)
        items = [dose(cccd=LAN if k % 2 else MAI, injection_date=(first + timedelta(days=5 * k)).isoformat(),
                      source_record_id=f"n{n}-{k}") for k in range(n)]
        with CaptureQueriesContext(connection) as captured:
            body = post(clinic_api, BULK, {"records": items}).json()
        assert body["recorded"] == n, body
        return len(captured)

    clinic_api.get(URL)  # the key's last use noted now, not inside the first count
    assert queries(40) == queries(4) <= 20


def test_a_retry_gets_the_first_answer_and_writes_nothing_twice(clinic_api, people):
    payload = {"records": [dose(), dose(cccd=LAN, injection_date="2022-01-05")]}
    first = post(clinic_api, BULK, payload, key="bulk-1")
    count = (InjectionRecord.objects.count(), AuditEvent.objects.count())
    again = post(clinic_api, BULK, payload, key="bulk-1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert (InjectionRecord.objects.count(), AuditEvent.objects.count()) == count
    assert_problem(post(clinic_api, BULK, {"records": [dose()]}, key="bulk-1"), 422, "idempotency_key_reused")


def test_outsiders_and_other_roles_record_nothing(other_clinic_api, police_user, people):
    before = InjectionRecord.objects.count()
    body = post(other_clinic_api, BULK, {"records": [
        {k: v for k, v in dose().items() if k != "cccd"} | {"citizen": people["hung"].pk}]}).json()
    answer = body["items"][0]
    assert answer["status"] == 404 and answer["problem"]["errors"][0]["field"] == "citizen"
    assert_problem(post(session_client(police_user), BULK, {"records": [dose()]}), 403, "not_allowed")
    assert InjectionRecord.objects.count() == before


def test_a_dose_by_cccd_is_recorded_at_the_callers_facility_whoever_the_person_is(
        other_clinic_api, other_clinic_user, people):
    body = post(other_clinic_api, BULK, {"records": [dose()]}).json()
    record = InjectionRecord.objects.get(pk=body["items"][0]["record"]["id"])
    assert (record.citizen, record.facility) == (people["mai"], other_clinic_user.profile.facility)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_requests_for_the_same_person_at_once_record_the_dose_once(reference_data, clinic_key, people):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two sessions at once")
    results, errors = [], []
    gate = threading.Barrier(2)

    def send(payload, key):
        try:
            gate.wait(timeout=10)
            results.append(post(key_client(clinic_key.token), BULK, payload, key=key))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # Different keys, the same dose of Mai (and, in the second, Lan first: locks in id order, no deadlock).
    threads = [threading.Thread(target=send, args=({"records": [dose()]}, "a")),
               threading.Thread(target=send, args=({"records": [dose(cccd=LAN, injection_date="2022-01-05"),
                                                                 dose()]}, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and [r.status_code for r in results] == [200, 200]
    mai_answers = sorted(item["status"] for r in results for item in r.json()["items"]
                         if item.get("record", {}).get("citizen") == people["mai"].pk
                         or item.get("problem", {}).get("code") == "duplicate_dose")
    assert mai_answers == [201, 409]
    assert InjectionRecord.objects.filter(citizen=people["mai"]).count() == 1
    assert IdempotentRequest.objects.count() == 2
