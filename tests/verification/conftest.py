"""Cases in each state, the SMS outbox, evidence files."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from records.models import VaccineProduct, Ward
from records.normalize import parse_birth_date
from vaxrecon.celery import app
from verification import sms
from verification.services import case_confirm, case_start_review, case_submit

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"0" * 200


def jpeg(name="slip.jpg", data=JPEG):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def last_code(phone: str | None = None) -> str:
    """The 6-digit code in the latest SMS (to this phone)."""
    for message in reversed(sms.outbox):
        if phone is None or message.phone == phone:
            found = re.search(r"\b(\d{6})\b", message.text)
            if found:
                return found.group(1)
    raise AssertionError("no code in the SMS outbox")


@pytest.fixture(autouse=True)
def sms_outbox():
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def eager_tasks():
    """Notifications run in-process here (the worker fixture tests the real queue elsewhere)."""
    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old


def report_kwargs(named_facility, **overrides) -> dict:
    facility = named_facility
    data = dict(
        full_name="Trần Thị Lan", birth=parse_birth_date("12/03/1991"), sex="F", id_number="001191004567",
        phone="0912345678", ward=Ward.objects.get(code=facility.ward_id), facility=facility,
        vaccine=VaccineProduct.objects.get(code="astrazeneca"), dose_number=2,
        injection_date=date(2021, 10, 2), lot_number="NJ0342", files=[jpeg()],
    )
    data.update(overrides)
    return data


def confirmed_report(named_facility, **overrides):
    draft = case_submit(**report_kwargs(named_facility, **overrides))
    return case_confirm(case=draft, code=last_code(draft.phone))


@pytest.fixture
def reported_case(hanoi_facility):
    """A confirmed citizen report naming the Hà Nội facility (status submitted)."""
    return confirmed_report(hanoi_facility)


@pytest.fixture
def case_in_review(reported_case, clinic_user):
    return case_start_review(case=reported_case, actor=clinic_user)


@pytest.fixture(autouse=True)
def english(client):
    """These tests read English text: pages asked for in English, messages made in English.
    (Vietnamese, the default, is checked in tests/accounts and the browser tests.)"""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
