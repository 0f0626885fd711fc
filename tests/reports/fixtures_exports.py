"""Built figures for the export tests, and readers that parse each export format back.

The day is the hand-counted one of fixtures_figures.py (built with the real builder), plus
the day before; the Hà Nội health station is renamed to formula text after the build, so
every export must escape a unit name it looks up."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import openpyxl

from reports.models import DailyFigures
from reports.services import build_days
from tests.reports.fixtures_figures import DAY, build_scenario

START, END = DAY - timedelta(days=1), DAY
HOSTILE_NAME = '=HYPERLINK("x")'
ADX = "{urn:ihe:qrph:adx:2015}"
URL = "/reports/export/figures"


def build_export_figures(hanoi_facility, settings) -> dict:
    settings.REPORTS_LOCK_AFTER_DAYS = 36500  # the fixed day must not be locked
    data = build_scenario(hanoi_facility)
    build_days(start=START, end=END)
    hanoi_facility.name = HOSTILE_NAME
    hanoi_facility.save(update_fields=["name"])
    return data


def stored(**filters) -> list[dict]:
    """Stored rows, by day and unit, as the exports order them."""
    return list(DailyFigures.objects.filter(day__gte=START, day__lte=END,
                                            **filters).order_by("day", "unit").values())


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_csv(response) -> list[list[str]]:
    data = body(response)
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(response) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(body(response))).active.iter_rows(values_only=True))


def read_json(response) -> list[dict]:
    return json.loads(body(response).decode("utf-8"))


def read_adx(response) -> ET.Element:
    return ET.fromstring(body(response))
