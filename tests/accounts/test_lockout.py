"""Log-in under a password-guessing attack: failures counted per account and per address, a locked
account or address refused even with the right password (429, Retry-After, a Vietnamese message
on the log-in page), every failure audited without the password, and `axes_reset_*` unlocking."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Role
from records.models import AuditEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db
LIMIT = 5
GOOD = "pw-for-tests-only"
BAD = "wrong-secret-🔑-guess"
LOCKED_VI = "Quá nhiều lần đăng nhập sai"


@pytest.fixture(autouse=True)
def lockout_settings(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.LANGUAGE_CODE = "vi"
    return settings


def _login(client, username, password, address):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="vi")


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _guess(client, username, address, times=LIMIT):
    for _ in range(times):
        _login(client, username, BAD, address)


def test_repeated_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(client, clinic_user):
    _guess(client, "clinic-hn", "10.0.0.1")
    response = _login(client, "clinic-hn", GOOD, "10.0.0.2")  # another address: the account is locked
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert LOCKED_VI in html and 'id="id_password"' in html  # the log-in page itself, saying why
    assert not _logged_in(client)


def test_the_failures_before_the_limit_do_not_lock(client, clinic_user):
    _guess(client, "clinic-hn", "10.0.0.1", times=LIMIT - 1)
    response = _login(client, "clinic-hn", GOOD, "10.0.0.1")
    assert response.status_code == 302 and _logged_in(client)


def test_another_account_from_another_address_still_logs_in(client, clinic_user, police_user):
    _guess(client, "clinic-hn", "10.0.0.1")
    response = _login(client, "police-hn", GOOD, "10.0.0.9")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert _logged_in(client)


def test_an_address_guessing_many_accounts_is_locked_for_every_account(client, clinic_user, police_user):
    for n in range(LIMIT):
        _login(client, f"guess-{n}", BAD, "10.0.0.66")
    refused = _login(client, "police-hn", GOOD, "10.0.0.66")
    assert refused.status_code == 429 and LOCKED_VI in refused.content.decode()
    assert not _logged_in(client)
    assert _login(client, "police-hn", GOOD, "10.0.0.7").status_code == 302  # from elsewhere: fine


def test_each_failure_is_audited_with_the_name_and_address_and_never_the_password(client, clinic_user):
    _guess(client, "clinic-hn", "10.0.0.1")
    _login(client, "clinic-hn", GOOD, "10.0.0.1")  # refused while locked: audited too
    failed = AuditEvent.objects.filter(action="login.failed").order_by("id")
    assert failed.count() == LIMIT + 1
    first = failed.first()
    assert first.after == {"username": "clinic-hn", "address": "10.0.0.1"}
    assert first.object_id == str(clinic_user.pk) and first.actor is None
    assert AuditEvent.objects.filter(action="login.locked_out", after__username="clinic-hn").exists()
    everything = json.dumps([list(e.values()) for e in AuditEvent.objects.values()], default=str)
    assert BAD not in everything and GOOD not in everything


def test_the_admin_log_in_is_locked_the_same_way(client, db):
    make_user(Role.MINISTRY_ANALYST, username="analyst")
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": "analyst", "password": BAD}, REMOTE_ADDR="10.0.0.3")
    assert AuditEvent.objects.filter(action="login.failed", after__username="analyst").count() == LIMIT
    assert _login(client, "analyst", GOOD, "10.0.0.4").status_code == 429


@pytest.mark.parametrize(("command", "argument"), [("axes_reset_username", "clinic-hn"),
                                                   ("axes_reset", None)])
def test_an_administrator_unlocks_an_account_with_axes_reset(command, argument, client, clinic_user):
    _guess(client, "clinic-hn", "10.0.0.1")
    assert _login(client, "clinic-hn", GOOD, "10.0.0.2").status_code == 429
    call_command(command, *([argument] if argument else []), verbosity=0)
    assert _login(client, "clinic-hn", GOOD, "10.0.0.2").status_code == 302 and _logged_in(client)


def test_behind_the_proxy_the_address_it_saw_is_counted_not_what_the_client_wrote(client, settings,
                                                                                   clinic_user):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CLIENT_IP_PROXY_COUNT = 1
    for n in range(LIMIT):  # a forged left-hand address each time; the proxy appends the real one
        client.post(reverse("login"), {"username": f"guess-{n}", "password": BAD}, REMOTE_ADDR="10.9.9.9",
                    HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.5")
    refused = client.post(reverse("login"), {"username": "clinic-hn", "password": GOOD},
                          REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.5")
    assert refused.status_code == 429
    assert AuditEvent.objects.filter(action="login.failed", after__address="203.0.113.5").count() == LIMIT + 1
