"""One-time codes under concurrent requests (mutation run of verification/services/otp.py,
docs/TESTING.md): a code whose tries ran out while a right guess was being checked is not
taken, and the lock that keeps a phone to 5 codes an hour holds that phone only."""

import threading

import pytest
from django.db import connection, transaction
from django.db.utils import OperationalError

from vaxrecon.errors import InvalidInput
from verification.models import OneTimeCode
from verification.services import otp, otp_send, otp_verify

from .conftest import last_code

PHONE = "0987654321"
OTHER_PHONE = "0911111111"
PURPOSE = OneTimeCode.Purpose.VIEW_STATUS


def test_a_right_code_is_refused_when_three_wrong_tries_landed_while_it_was_checked(db, monkeypatch):
    row = otp_send(phone=PHONE, purpose=PURPOSE)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    real_hash, racing = otp._hash, []

    def hash_while_others_guess(phone, purpose, value):
        # Between the right guess's tries check and its claim, three wrong guesses are counted.
        if value == code and not racing:
            racing.append(True)
            for _ in range(3):
                with pytest.raises(InvalidInput):
                    otp_verify(phone=PHONE, purpose=PURPOSE, code=wrong)
        return real_hash(phone, purpose, value)

    monkeypatch.setattr(otp, "_hash", hash_while_others_guess)
    with pytest.raises(InvalidInput, match="Ask for a new code"):
        otp_verify(phone=PHONE, purpose=PURPOSE, code=code)
    row.refresh_from_db()
    assert (row.attempts, row.used_at) == (3, None)


@pytest.mark.services
def test_sending_a_code_waits_for_the_same_phone_only(transactional_db, sms_outbox):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (SELECT ... FOR UPDATE)")
    otp_send(phone=PHONE, purpose=PURPOSE)
    otp_send(phone=OTHER_PHONE, purpose=PURPOSE)
    holding, go_on = threading.Event(), threading.Event()

    def another_send_for_phone():
        # What a concurrent otp_send for PHONE holds until it commits: the phone's recent rows.
        try:
            with transaction.atomic():
                list(OneTimeCode.objects.select_for_update().filter(phone=PHONE).values_list("pk"))
                holding.set()
                go_on.wait(30)
        finally:
            holding.set()
            connection.close()

    thread = threading.Thread(target=another_send_for_phone)
    thread.start()
    try:
        assert holding.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        try:
            otp_send(phone=OTHER_PHONE, purpose=PURPOSE)  # another phone does not wait
        except OperationalError as exc:
            pytest.fail(f"a code for another phone waited for this phone's lock: {exc}")
        with pytest.raises(OperationalError, match="lock timeout"):
            otp_send(phone=PHONE, purpose=PURPOSE)  # the same phone waits for the other send
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        go_on.set()
        thread.join(30)
    assert OneTimeCode.objects.filter(phone=OTHER_PHONE).count() == 2
    assert OneTimeCode.objects.filter(phone=PHONE).count() == 1
    assert [m.phone for m in sms_outbox] == [PHONE, OTHER_PHONE, OTHER_PHONE]
