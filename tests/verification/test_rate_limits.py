"""Citizens' pages under a hostile burst from one address: the status look-up, report submission
and one-time-code pages answer 429 with Retry-After past their limit, before anything is read,
sent or stored; other addresses are served; behind the proxy the address it saw is counted."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from verification.models import Evidence, OneTimeCode, ReconciliationCase

from .conftest import last_code
from .test_report_page import form_data

pytestmark = pytest.mark.django_db
ATTACKER, NEIGHBOUR = "198.51.100.7", "198.51.100.8"
REPORT = "/verification/report/"


@pytest.fixture(autouse=True)
def tight_limits(settings):
    cache.clear()
    settings.RATE_LIMITS = {"lookup": (5, 600), "report": (3, 3600), "code": (4, 600)}
    yield settings
    cache.clear()


def _refused(response, window: int) -> bool:
    return (response.status_code == 429 and 0 < int(response["Retry-After"]) <= window
            and "Too many requests from your address" in response.text)


def _report(client, facility, n: int, address: str):
    return client.post(reverse("verification:report"), form_data(facility, phone=f"09123450{n:02d}"),
                       REMOTE_ADDR=address)


def test_a_burst_of_reports_is_cut_off_and_the_refused_ones_leave_nothing(client, hanoi_facility,
                                                                           sms_outbox):
    answers = [_report(client, hanoi_facility, n, ATTACKER) for n in range(12)]
    assert [a.status_code for a in answers[:3]] == [302, 302, 302]
    assert all(_refused(a, 3600) for a in answers[3:])
    assert ReconciliationCase.objects.count() == 3 and Evidence.objects.count() == 3
    assert len(sms_outbox) == 3 and OneTimeCode.objects.count() == 3
    assert _report(client, hanoi_facility, 50, NEIGHBOUR).status_code == 302  # someone else is served


def test_a_tracking_code_guesser_is_cut_off_on_the_form_and_in_the_url(client, reported_case):
    guesses = [client.get(reverse("verification:status_lookup"), {"code": f"WRONG{n:07d}"},
                          REMOTE_ADDR=ATTACKER) for n in range(3)]
    guesses += [client.get(f"/verification/status/ZZZZZZZZZZ{n:02d}/", REMOTE_ADDR=ATTACKER)
                for n in range(2)]
    assert [g.status_code for g in guesses] == [200, 200, 200, 404, 404]
    status_page = reverse("verification:status", args=[reported_case.tracking_code])
    real = client.get(status_page, REMOTE_ADDR=ATTACKER)
    assert _refused(real, 600) and reported_case.full_name not in real.text
    assert _refused(client.get(reverse("verification:status_lookup"), {"code": reported_case.tracking_code},
                               REMOTE_ADDR=ATTACKER), 600)
    assert client.get(reverse("verification:status", args=[reported_case.tracking_code]),
                      REMOTE_ADDR=NEIGHBOUR).status_code == 200


def test_opening_the_empty_look_up_form_is_not_counted(client, reference_data):
    for _ in range(10):
        assert client.get(reverse("verification:status_lookup"), REMOTE_ADDR=ATTACKER).status_code == 200


def test_guessing_the_reports_code_is_cut_off_before_the_code_is_tried(client, hanoi_facility):
    assert _report(client, hanoi_facility, 1, ATTACKER).status_code == 302
    code = OneTimeCode.objects.get()
    answers = [client.post(reverse("verification:report_confirm"), {"code": "000000"}, REMOTE_ADDR=ATTACKER)
               for _ in range(4)]
    assert all(a.status_code == 400 for a in answers)
    code.refresh_from_db()
    tried = code.attempts
    refused = client.post(reverse("verification:report_confirm"), {"code": last_code()}, REMOTE_ADDR=ATTACKER)
    assert _refused(refused, 600)
    code.refresh_from_db()
    assert code.attempts == tried and code.used_at is None  # the refused try reached no code
    assert not ReconciliationCase.objects.filter(confirmed=True).exists()


def test_asking_for_status_codes_in_a_burst_sends_no_more_sms(client, reported_case, sms_outbox):
    url = reverse("verification:status_code", args=[reported_case.tracking_code])
    before = OneTimeCode.objects.count()
    answers = [client.post(url, {"send": "1"}, REMOTE_ADDR=ATTACKER) for _ in range(10)]
    assert all(a.status_code == 302 for a in answers[:4]) and all(_refused(a, 600) for a in answers[4:])
    sent = OneTimeCode.objects.count() - before
    assert sent <= 4 and len(sms_outbox) - 1 == sent  # the report's own code, then at most four


def test_behind_the_proxy_a_forged_forwarded_address_gets_no_fresh_allowance(client, settings,
                                                                             hanoi_facility):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    answers = [client.post(REPORT, form_data(hanoi_facility, phone=f"09123451{n:02d}"),
                           HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, {ATTACKER}", **proxy) for n in range(5)]
    assert [a.status_code for a in answers] == [302, 302, 302, 429, 429]
    other = client.post(reverse("verification:report"), form_data(hanoi_facility, phone="0912345199"),
                        HTTP_X_FORWARDED_FOR=NEIGHBOUR, **proxy)
    assert other.status_code == 302  # another citizen behind the same proxy is served
    assert ReconciliationCase.objects.count() == 4


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(client, hanoi_facility):
    answers = [client.post(REPORT, form_data(hanoi_facility, phone=f"09123452{n:02d}"),
                           HTTP_X_FORWARDED_FOR=f"203.0.113.{n}", REMOTE_ADDR=ATTACKER) for n in range(4)]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]


def test_each_page_counts_in_its_own_bucket(client, hanoi_facility, tight_limits):
    tight_limits.RATE_LIMITS = {**tight_limits.RATE_LIMITS, "report": (3, 600)}  # the same window
    for n in range(5):  # the look-up's whole allowance from this address
        client.get(reverse("verification:status_lookup"), {"code": f"WRONG{n:07d}"}, REMOTE_ADDR=ATTACKER)
    assert _refused(client.get(reverse("verification:status_lookup"), {"code": "WRONG9999999"},
                               REMOTE_ADDR=ATTACKER), 600)
    assert _report(client, hanoi_facility, 1, ATTACKER).status_code == 302  # the report page still serves it
