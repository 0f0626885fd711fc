"""The client against the live stand-in registry: answers, auth, timeouts, retries, breaker."""

import json
import time
import urllib.error
import urllib.request

import pytest

from verification.models import RegistryCircuit
from verification.police.client import RegistryClient, RegistryRejected, RegistryUnavailable
from verification.police.selectors import registry_delay

from .conftest import API_KEY

pytestmark = pytest.mark.django_db


def item(ref, name, dob, sex, id_number):
    return {"ref": ref, "full_name": name, "date_of_birth": dob, "birth_year": int(dob[:4]) if dob else None,
            "sex": sex, "id_number": id_number}


def test_it_answers_match_mismatch_and_not_found_from_a_separate_process(registry_process):
    answer = RegistryClient.from_settings().verify([
        item("a", "Nguyễn Văn Hùng", "1990-05-17", "M", "001090000001"),
        item("b", "Trần Thị Mai", "1985-03-02", "M", "001185000002"),
        item("c", "Đỗ Minh Tuấn", "1999-01-01", "M", "001099000099"),
        item("d", "Lê Văn Nam", "1995-11-20", "M", "012345678"),
    ])
    assert answer.batch_id
    assert answer.answers["a"].outcome == "match"
    assert answer.answers["b"].outcome == "mismatch"
    assert answer.answers["b"].registry_values == {"sex": "F"}
    assert answer.answers["c"].outcome == "not_found"
    assert answer.answers["d"].outcome == "match"  # the old 9-digit CMND is still the person's


def test_a_name_differing_only_in_diacritics_or_case_is_a_mismatch_with_the_registry_spelling(registry):
    answers = RegistryClient.from_settings().verify([
        item("1", "Nguyen Van Hung", "1990-05-17", "M", "001090000001"),
        item("2", "NGUYỄN VĂN HÙNG", "1990-05-17", "M", "001090000001"),
        item("3", "Nguyễn  Văn Hùng ", "1990-05-17", "M", "001090000001"),  # spacing only
    ]).answers
    assert answers["1"].outcome == "mismatch"
    assert answers["1"].registry_values == {"full_name": "Nguyễn Văn Hùng"}
    assert answers["2"].differing_fields == ["full_name"]
    assert answers["3"].outcome == "match"


def test_a_wrong_id_is_found_by_name_and_date_of_birth_and_answered_with_the_right_id(registry):
    answer = RegistryClient.from_settings().verify([item("x", "Phạm Thu Hà", "1988-07-09", "F",
                                                         "001188000040")])
    assert answer.answers["x"].outcome == "mismatch"
    assert answer.answers["x"].registry_values == {"id_number": "001188000004"}


def test_a_year_only_birth_date_is_a_mismatch_carrying_the_full_date(registry):
    answer = RegistryClient.from_settings().verify([item("y", "Nguyễn Văn Hùng", None, "M", "001090000001")])
    assert answer.answers["y"].registry_values == {"date_of_birth": "1990-05-17"}


def _post(url, body, key=None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    request = urllib.request.Request(url + "/v1/identities/verify", data=json.dumps(body).encode(),
                                     headers=headers, method="POST")
    return urllib.request.urlopen(request, timeout=5)


def test_the_registry_refuses_calls_without_the_api_key(registry):
    with pytest.raises(urllib.error.HTTPError) as exc:
        _post(registry.url, {"items": []})
    assert exc.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as exc:
        _post(registry.url, {"items": []}, key="wrong")
    assert exc.value.code == 401


def test_a_client_with_a_wrong_key_is_rejected_without_retrying(registry):
    client = RegistryClient.from_settings(api_key="wrong")
    with pytest.raises(RegistryRejected):
        client.verify([item("a", "Nguyễn Văn Hùng", "1990-05-17", "M", "001090000001")])
    assert client.attempts == 1


def test_a_batch_above_500_identities_is_refused(registry):
    items = [item(str(i), "Nguyễn Văn Hùng", "1990-05-17", "M", "001090000001") for i in range(501)]
    with pytest.raises(urllib.error.HTTPError) as exc:
        _post(registry.url, {"items": items}, key=API_KEY)
    assert exc.value.code == 413
    assert len(_post(registry.url, {"items": items[:500]}, key=API_KEY).read()) > 0
    with pytest.raises(ValueError):
        RegistryClient.from_settings().verify(items)


def test_a_slow_registry_times_out_and_each_call_is_retried_with_growing_backoff(registry):
    registry.config.latency = 1.5  # client timeout is 1 s
    slept = []
    client = RegistryClient.from_settings(sleep=slept.append)
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable, match="timed out"):
        client.verify([item("a", "Nguyễn Văn Hùng", "1990-05-17", "M", "001090000001")])
    assert client.attempts == 3  # one call + 2 retries
    assert len(slept) == 2 and slept[1] > slept[0]
    assert time.monotonic() - started < 6


def test_failures_open_the_circuit_then_calls_fail_fast_without_touching_the_network(registry):
    registry.config.failure_rate = 1.0
    client = RegistryClient.from_settings()
    for _ in range(2):  # threshold 2
        with pytest.raises(RegistryUnavailable, match="HTTP 503"):
            client.verify([item("a", "Nguyễn Văn Hùng", "1990-05-17", "M", "001090000001")])
    assert RegistryCircuit.objects.get().state == RegistryCircuit.State.OPEN
    assert registry_delay() is not None
    attempts = client.attempts
    with pytest.raises(RegistryUnavailable, match="circuit open"):
        client.verify([item("a", "Nguyễn Văn Hùng", "1990-05-17", "M", "001090000001")])
    assert client.attempts == attempts


def _opened_circuit(registry) -> RegistryClient:
    """A client whose circuit the failing registry has just opened (threshold 2)."""
    registry.config.failure_rate = 1.0
    client = RegistryClient.from_settings()
    for _ in range(2):
        with pytest.raises(RegistryUnavailable):
            client.verify([])
    return client


def test_after_the_cooldown_one_trial_call_closes_the_circuit_when_the_registry_is_back(registry):
    client = _opened_circuit(registry)
    registry.config.failure_rate = 0.0
    RegistryCircuit.objects.update(opened_until="2000-01-01T00:00:00Z")  # cooldown over
    answer = client.verify([item("a", "Nguyễn Văn Hùng", "1990-05-17", "M", "001090000001")])
    assert answer.answers["a"].outcome == "match"
    circuit = RegistryCircuit.objects.get()
    assert circuit.state == RegistryCircuit.State.CLOSED and circuit.consecutive_failures == 0
    assert registry_delay() is None


def test_a_failed_trial_call_reopens_the_circuit_at_once(registry):
    client = _opened_circuit(registry)
    RegistryCircuit.objects.update(opened_until="2000-01-01T00:00:00Z")
    with pytest.raises(RegistryUnavailable, match="HTTP 503"):
        client.verify([])
    circuit = RegistryCircuit.objects.get()
    assert circuit.state == RegistryCircuit.State.OPEN
    assert circuit.opened_until.year > 2000
