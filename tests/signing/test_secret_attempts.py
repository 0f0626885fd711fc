"""Guessing a certificate's passphrase or PIN: after SIGNING_SECRET_ATTEMPTS wrong ones within the
window the certificate is locked (even the right secret is refused, with a clear message, 429 and
Retry-After on the signer page), each wrong try is audited without the secret, and the lock lifts
by itself; other certificates are not touched."""

from __future__ import annotations

import json
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from records.models import AuditEvent
from signing import services
from signing.errors import CertificateLocked, WrongPassphrase, WrongPin
from signing.models import Signature
from tests.signing.conftest import PASSPHRASE, USER_PIN

pytestmark = pytest.mark.django_db
ATTEMPTS = 3
GUESS = "đoán-mật-khẩu-1"


@pytest.fixture(autouse=True)
def few_attempts(settings):
    cache.clear()
    settings.SIGNING_SECRET_ATTEMPTS, settings.SIGNING_SECRET_WINDOW = ATTEMPTS, 900
    settings.SIGNING_SECRET_LOCKOUT = 900
    yield settings
    cache.clear()


@pytest.fixture
def own_case(make_awaiting_case, hanoi_facility):
    return make_awaiting_case(facility=hanoi_facility)


def _sign(user, cert, records, secret):
    return services.signing_start(user=user, certificate_id=cert.pk, record_ids=[r.pk for r in records],
                                  secret=secret)


def _post(client, cert, records, secret):
    return client.post(reverse("signing:batch"), {"certificate": cert.pk, "secret": secret,
                                                  "records": [r.pk for r in records]})


def test_wrong_passphrases_lock_the_certificate_and_the_right_one_is_then_refused(
        client, signer_user, register_file_key, own_case):
    cert = register_file_key(signer_user)
    client.force_login(signer_user)
    for _ in range(ATTEMPTS):
        wrong = _post(client, cert, own_case[1], GUESS)
        assert wrong.status_code == 400 and "passphrase does not open" in wrong.content.decode()
    refused = _post(client, cert, own_case[1], PASSPHRASE)
    html = refused.content.decode()
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 900
    assert "Too many wrong passphrases or PINs for this certificate" in html and "15 min" in html
    assert PASSPHRASE not in html and not Signature.objects.exists()


def test_each_wrong_passphrase_is_audited_and_the_lock_too_never_the_secret(signer_user, register_file_key,
                                                                           own_case):
    cert = register_file_key(signer_user)
    for _ in range(ATTEMPTS):
        with pytest.raises(WrongPassphrase):
            _sign(signer_user, cert, own_case[1], GUESS)
    wrong = AuditEvent.objects.filter(action="signing.wrong_secret", object_id=str(cert.pk)).order_by("id")
    assert [e.after["failures"] for e in wrong] == [1, 2, 3] and wrong[0].actor == signer_user
    assert AuditEvent.objects.filter(action="signing.certificate_locked", object_id=str(cert.pk)).count() == 1
    everything = json.dumps([list(e.values()) for e in AuditEvent.objects.values()], default=str)
    assert GUESS not in everything and PASSPHRASE not in everything


def test_a_locked_certificate_is_not_even_tried(signer_user, register_file_key, own_case, monkeypatch):
    cert = register_file_key(signer_user)
    for _ in range(ATTEMPTS):
        with pytest.raises(WrongPassphrase):
            _sign(signer_user, cert, own_case[1], GUESS)
    tried = []
    monkeypatch.setattr("signing.signers._open_key", lambda *a: tried.append(a))
    with pytest.raises(CertificateLocked):
        _sign(signer_user, cert, own_case[1], PASSPHRASE)
    assert tried == [] and AuditEvent.objects.filter(action="signing.wrong_secret").count() == ATTEMPTS


def test_fewer_wrong_passphrases_than_the_limit_then_the_right_one_signs_and_starts_the_count_again(
        signer_user, register_file_key, make_awaiting_case, hanoi_facility):
    cert = register_file_key(signer_user)
    first, second = (make_awaiting_case(facility=hanoi_facility)[1] for _ in range(2))
    for _ in range(ATTEMPTS - 1):
        with pytest.raises(WrongPassphrase):
            _sign(signer_user, cert, first, GUESS)
    assert _sign(signer_user, cert, first, PASSPHRASE).signed == 1
    for _ in range(ATTEMPTS - 1):  # a fresh count: not locked after the next wrong one
        with pytest.raises(WrongPassphrase):
            _sign(signer_user, cert, second, GUESS)
    assert _sign(signer_user, cert, second, PASSPHRASE).signed == 1


def test_the_lock_lifts_by_itself(settings, signer_user, register_file_key, own_case):
    settings.SIGNING_SECRET_LOCKOUT = 1
    cert = register_file_key(signer_user)
    for _ in range(ATTEMPTS):
        with pytest.raises(WrongPassphrase):
            _sign(signer_user, cert, own_case[1], GUESS)
    with pytest.raises(CertificateLocked):
        _sign(signer_user, cert, own_case[1], PASSPHRASE)
    time.sleep(1.1)
    assert _sign(signer_user, cert, own_case[1], PASSPHRASE).signed == 1


def test_another_signers_certificate_is_not_locked(signer_user, register_file_key, make_awaiting_case,
                                                   hanoi_facility, hcm_facility, other_signer_user):
    mine, theirs = register_file_key(signer_user), register_file_key(other_signer_user, valid_days=700)
    for _ in range(ATTEMPTS):
        with pytest.raises(WrongPassphrase):
            _sign(signer_user, mine, make_awaiting_case(facility=hanoi_facility)[1], GUESS)
    _case, records = make_awaiting_case(facility=hcm_facility)
    assert _sign(other_signer_user, theirs, records, PASSPHRASE).signed == 1


def test_wrong_token_pins_lock_the_certificate_the_same_way(signer_user, register_token_key, own_case):
    cert = register_token_key(signer_user)
    for _ in range(ATTEMPTS):
        with pytest.raises(WrongPin):
            _sign(signer_user, cert, own_case[1], "000000")
    with pytest.raises(CertificateLocked, match="locked for 15 min"):
        _sign(signer_user, cert, own_case[1], USER_PIN)
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="signing.certificate_locked", object_id=str(cert.pk)).exists()
