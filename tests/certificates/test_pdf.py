"""The certificate PDF's font: DejaVu Sans cut to Latin and Vietnamese (fast to embed), and the
whole font when a name has a letter outside that cut; either way every letter is in the PDF."""

from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfReader

from certificates import pdf, services

pytestmark = pytest.mark.django_db


def _text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


@pytest.mark.parametrize("name", ["Đặng Thị Ưng Ơn", "Nguyễn Ngọc Ẩn Ỹ", "Иванов Иван"])
def test_every_letter_of_the_name_is_in_the_pdf(dsc, signed_citizen, name):
    citizen, _records = signed_citizen(full_name=name)
    cert = services.certificate_issue(citizen=citizen).certificate
    for size in ("a4", "a6"):
        assert name in _text(pdf.certificate_pdf(cert, size=size, lang="vi"))


def test_the_cut_font_serves_vietnamese_and_the_whole_font_other_scripts(settings):
    full = pdf._font()
    assert pdf._font_for(["Giấy chứng nhận tiêm chủng — Đặng Thị Ưng Ơn", "URN:UVCI:01:VN:BYT/X#A"]) != full
    assert pdf._font_for(["Иванов Иван"]) == full
    cut, characters = pdf._subset(full, 0)
    assert {ord(c) for c in "ĐđƠơƯưẠỹ—"} <= characters and ord("И") not in characters


def test_a_cut_font_cleaned_from_the_temporary_directory_is_made_again(dsc, signed_citizen):
    citizen, _records = signed_citizen()
    cert = services.certificate_issue(citizen=citizen).certificate
    first = pdf._font_for(["Nguyễn"])
    os.unlink(first)

    assert "Nguyễn" in _text(pdf.certificate_pdf(cert))
    assert os.path.exists(pdf._font_for(["Nguyễn"]))
