"""The SMS backends; phone numbers never reach the log unmasked."""

import logging

import pytest

from vaxrecon.errors import ServiceUnavailable
from verification import sms


def test_the_console_backend_prints_the_message_and_logs_a_masked_phone(settings, capsys, caplog):
    settings.SMS_BACKEND = "verification.sms.ConsoleBackend"
    with caplog.at_level(logging.INFO, logger="verification.sms"):
        sms.send_sms("0912345678", "VaxRecon: your code is 123456.")
    out = capsys.readouterr().out
    assert "123456" in out and "0912345678" not in out
    assert "0912345678" not in caplog.text and "091" in caplog.text


def test_the_file_backend_writes_one_file_per_message(settings, tmp_path):
    settings.SMS_BACKEND = "verification.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path)
    sms.send_sms("0912345678", "hello")
    (written,) = tmp_path.iterdir()
    assert "hello" in written.read_text(encoding="utf-8")


def test_the_test_backend_collects_messages(settings, sms_outbox):
    settings.SMS_BACKEND = "verification.sms.LocmemBackend"
    sms.send_sms("0912345678", "hello")
    assert [(m.phone, m.text) for m in sms_outbox] == [("0912345678", "hello")]


def test_the_http_backend_reports_an_unreachable_provider(settings):
    settings.SMS_BACKEND = "verification.sms.HttpBackend"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/sms"
    with pytest.raises(ServiceUnavailable):
        sms.send_sms("0912345678", "hello")
