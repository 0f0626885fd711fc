"""One-time codes that prove a citizen holds a phone.

Codes are 6 digits, stored only as an HMAC-SHA256 keyed with SECRET_KEY, valid for
5 minutes; a phone gets at most 5 codes an hour and each code allows 3 wrong tries.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vaxrecon.errors import InvalidInput
from verification.models import OneTimeCode, ReconciliationCase
from verification.sms import send_sms

CODE_LIFETIME = timedelta(minutes=5)
CODES_PER_HOUR = 5
MAX_TRIES = 3


class TooManyCodes(InvalidInput):
    status_code = 429
    code = "too_many_codes"


def _hash(phone: str, purpose: str, code: str) -> str:
    message = f"{phone}:{purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def otp_allowance(*, phone: str) -> None:
    """Raise TooManyCodes when the phone has had its 5 codes this hour (checked before a
    report is stored, so a refused code leaves nothing behind)."""
    now = timezone.now()
    sent = list(OneTimeCode.objects.filter(phone=phone, created_at__gte=now - timedelta(hours=1))
                .values_list("created_at", flat=True))
    if len(sent) >= CODES_PER_HOUR:
        wait = max(1, int((min(sent) + timedelta(hours=1) - now).total_seconds() // 60) + 1)
        raise TooManyCodes(
            _("Too many codes were sent to this phone in the last hour. Try again in %(minutes)s minutes.")
            % {"minutes": wait}, field="code")


def otp_send(*, phone: str, purpose: str, case: ReconciliationCase | None = None) -> OneTimeCode:
    """Create a code for this phone and purpose and send it by SMS; returns the stored row
    (which holds only the hash). Raises TooManyCodes past 5 codes an hour for the phone."""
    now = timezone.now()
    with transaction.atomic():
        # Lock the phone's recent rows so two requests at once cannot both take the fifth code.
        list(OneTimeCode.objects.select_for_update()
             .filter(phone=phone, created_at__gte=now - timedelta(hours=1))
             .values_list("pk", flat=True))
        otp_allowance(phone=phone)
        code = f"{secrets.randbelow(10**6):06d}"
        row = OneTimeCode.objects.create(phone=phone, purpose=purpose, case=case, created_at=now,
                                         code_hash=_hash(phone, purpose, code),
                                         expires_at=now + CODE_LIFETIME)
    # Sent outside the lock; if the provider refuses, the row goes so it does not count
    # against the phone's hourly limit.
    with translation.override(settings.LANGUAGE_CODE):
        text = (_("VaxRecon: your code is %(code)s. It expires in 5 minutes. Do not share it.")
                % {"code": code})
        if case is not None:
            text += " " + _("Request %(tracking)s.") % {"tracking": case.tracking_code}
    try:
        send_sms(phone, text)
    except Exception:
        OneTimeCode.objects.filter(pk=row.pk).delete()
        raise
    return row


def otp_verify(*, phone: str, purpose: str, code: str, case: ReconciliationCase | None = None) -> OneTimeCode:
    """Check the latest code sent to this phone for this purpose (and case); marks it used and
    returns it. Raises InvalidInput (field "code") saying what to do when it does not match."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    latest = (OneTimeCode.objects.filter(phone=phone, purpose=purpose, case=case)
              .order_by("-created_at", "-id").first())
    if latest is None or latest.used_at is not None:
        raise InvalidInput(_("No code is waiting for this request. Ask for a new code."), field="code")
    if latest.expires_at <= timezone.now():
        raise InvalidInput(_("This code has expired (codes last 5 minutes). Ask for a new code."),
                           field="code")
    if latest.attempts >= MAX_TRIES:
        raise InvalidInput(_("Too many wrong tries for this code. Ask for a new code."), field="code")
    if len(code) != 6 or not hmac.compare_digest(latest.code_hash, _hash(phone, purpose, code)):
        # Counted in its own statement so the refusal below cannot roll it back.
        OneTimeCode.objects.filter(pk=latest.pk, attempts__lt=MAX_TRIES).update(attempts=F("attempts") + 1)
        left = MAX_TRIES - latest.attempts - 1
        if left <= 0:
            raise InvalidInput(_("Wrong code, and no tries are left for it. Ask for a new code."),
                               field="code")
        raise InvalidInput(_("Wrong code. %(left)s tries left.") % {"left": left}, field="code")
    claimed = OneTimeCode.objects.filter(pk=latest.pk, used_at__isnull=True, attempts__lt=MAX_TRIES).update(
        used_at=timezone.now())
    if claimed != 1:  # used by a concurrent request in between
        raise InvalidInput(_("No code is waiting for this request. Ask for a new code."), field="code")
    latest.refresh_from_db()
    return latest
