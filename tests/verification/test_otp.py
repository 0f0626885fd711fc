"""One-time codes: 5 minutes, 5 an hour per phone, 3 wrong tries per code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vaxrecon.errors import InvalidInput
from verification.models import OneTimeCode
from verification.services import otp_send, otp_verify
from verification.services.otp import TooManyCodes

from .conftest import last_code

PHONE = "0987654321"
PURPOSE = OneTimeCode.Purpose.VIEW_STATUS


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_the_right_code_is_accepted_once(db):
    otp_send(phone=PHONE, purpose=PURPOSE)
    code = last_code()
    assert otp_verify(phone=PHONE, purpose=PURPOSE, code=code).used_at is not None
    with pytest.raises(InvalidInput, match="Ask for a new code"):
        otp_verify(phone=PHONE, purpose=PURPOSE, code=code)


def test_a_code_expires_after_five_minutes(db):
    row = otp_send(phone=PHONE, purpose=PURPOSE)
    OneTimeCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvalidInput, match="expired"):
        otp_verify(phone=PHONE, purpose=PURPOSE, code=last_code())
    assert (row.expires_at - row.created_at) == timedelta(minutes=5)


def test_three_wrong_tries_burn_the_code(db):
    otp_send(phone=PHONE, purpose=PURPOSE)
    code = last_code()
    with pytest.raises(InvalidInput, match="2 tries left"):
        otp_verify(phone=PHONE, purpose=PURPOSE, code=wrong(code))
    with pytest.raises(InvalidInput, match="1 tries left"):
        otp_verify(phone=PHONE, purpose=PURPOSE, code=wrong(code))
    with pytest.raises(InvalidInput, match="no tries are left"):
        otp_verify(phone=PHONE, purpose=PURPOSE, code=wrong(code))
    with pytest.raises(InvalidInput, match="Too many wrong tries"):
        otp_verify(phone=PHONE, purpose=PURPOSE, code=code)


def test_a_phone_gets_at_most_five_codes_an_hour(db, sms_outbox):
    for _ in range(5):
        otp_send(phone=PHONE, purpose=PURPOSE)
    with pytest.raises(TooManyCodes, match="Too many codes"):
        otp_send(phone=PHONE, purpose=PURPOSE)
    assert len(sms_outbox) == 5
    otp_send(phone="0911111111", purpose=PURPOSE)  # another phone is not affected


def test_codes_older_than_an_hour_do_not_count(db):
    for _ in range(5):
        otp_send(phone=PHONE, purpose=PURPOSE)
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    otp_send(phone=PHONE, purpose=PURPOSE)


def test_a_newer_code_replaces_the_older_one(db):
    otp_send(phone=PHONE, purpose=PURPOSE)
    first = last_code()
    otp_send(phone=PHONE, purpose=PURPOSE)
    second = last_code()
    if first != second:
        with pytest.raises(InvalidInput):
            otp_verify(phone=PHONE, purpose=PURPOSE, code=first)
    otp_verify(phone=PHONE, purpose=PURPOSE, code=second)


def test_a_code_for_one_purpose_does_not_open_another(db):
    otp_send(phone=PHONE, purpose=OneTimeCode.Purpose.CONFIRM_REPORT)
    with pytest.raises(InvalidInput):
        otp_verify(phone=PHONE, purpose=PURPOSE, code=last_code())
