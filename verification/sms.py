"""Sending SMS to citizens through a configurable backend.

`send_sms(phone, text)` hands the message to the class named by settings.SMS_BACKEND:

* ConsoleBackend (dev default): the body goes to stdout so a developer can read the code;
  the log line names only the masked phone.
* FileBackend: one file per message under SMS_FILE_PATH (default var/sms/).
* LocmemBackend (tests): messages collect in `verification.sms.outbox`.
* HttpBackend: POSTs JSON {"to", "text", "sender"} to SMS_HTTP_URL with a bearer token,
  the shape most Vietnamese SMS brandname gateways accept behind a thin adapter.

Phone numbers are never logged unmasked.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from records.normalize import mask_phone
from vaxrecon.errors import ServiceUnavailable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    phone: str
    text: str
    sent_at: object


outbox: list[Message] = []


class BaseBackend:
    def send(self, message: Message) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, message: Message) -> None:
        logger.info("SMS to %s (%d characters)", mask_phone(message.phone), len(message.text))
        # The body is for the developer's eyes: stdout, not the log.
        sys.stdout.write(f"[SMS to {mask_phone(message.phone)}] {message.text}\n")
        sys.stdout.flush()


class FileBackend(BaseBackend):
    def send(self, message: Message) -> None:
        folder = Path(getattr(settings, "SMS_FILE_PATH", "") or settings.BASE_DIR / "var" / "sms")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{message.sent_at:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.txt"
        (folder / name).write_text(f"To: {message.phone}\n\n{message.text}\n", encoding="utf-8")
        logger.info("SMS to %s written to %s", mask_phone(message.phone), name)


class LocmemBackend(BaseBackend):
    def send(self, message: Message) -> None:
        outbox.append(message)


class HttpBackend(BaseBackend):
    """A provider reached over HTTPS; SMS_HTTP_URL, SMS_HTTP_TOKEN, SMS_SENDER from the environment."""

    timeout = 10

    def send(self, message: Message) -> None:
        url = settings.SMS_HTTP_URL
        if not url:
            raise ServiceUnavailable("SMS_HTTP_URL is not configured.")
        body = json.dumps({"to": message.phone, "text": message.text,
                           "sender": getattr(settings, "SMS_SENDER", "")}).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}"})
        try:
            with urllib.request.urlopen(  # noqa: S310  # nosec B310 # the operator's SMS_HTTP_URL
                    request, timeout=self.timeout) as response:
                if response.status >= 300:
                    raise OSError(f"HTTP {response.status}")
        except OSError as exc:
            logger.warning("SMS to %s failed: %s", mask_phone(message.phone), type(exc).__name__)
            raise ServiceUnavailable("The SMS service is not answering; please try again in a minute.")
        logger.info("SMS to %s accepted by the provider", mask_phone(message.phone))


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(phone: str, text: str) -> Message:
    """Send one SMS through the configured backend; returns the message.
    Raises ServiceUnavailable when the provider refuses."""
    message = Message(phone=phone, text=text, sent_at=timezone.now())
    get_backend().send(message)
    return message
