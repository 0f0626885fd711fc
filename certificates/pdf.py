"""The certificate as a PDF (A4 or A6) with Vietnamese and English labels and the QR code.

The font is DejaVu Sans from Debian's fonts-dejavu-core (installed by .ci/run and the Dockerfile;
``CERTIFICATES_PDF_FONT`` points elsewhere): the PDF core fonts have no Vietnamese letters, so a
TrueType font with them is embedded (fpdf2 embeds only the glyphs used).
"""

from __future__ import annotations

import atexit
import functools
import io
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF

from certificates import hcert, qr
from certificates.models import VaccinationCertificate
from certificates.selectors import vaccine_name

# fontTools logs a line per pruned table at INFO for every PDF (the font subset): not news.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)
TITLE_VI, TITLE_EN = "Giấy chứng nhận tiêm chủng COVID-19", "EU Digital COVID Certificate — Vaccination"
LANGUAGES = ("vi", "en")  # the label printed first
SIZES = {"a4": ("A4", 18, 80), "a6": ((105, 148), 8, 62)}  # page (fpdf2 has no "A6"), margin, QR side (mm)
LABELS = [  # (key, Vietnamese, English)
    ("name", "Họ và tên", "Name"), ("dob", "Ngày sinh", "Date of birth"),
    ("vaccine", "Vắc xin", "Vaccine"), ("dose", "Mũi", "Dose"),
    ("date", "Ngày tiêm", "Date of vaccination"), ("country", "Nước tiêm", "Country of vaccination"),
    ("issuer", "Đơn vị cấp", "Issuer"), ("uvci", "Mã định danh", "Certificate identifier"),
    ("expires", "Hiệu lực đến", "Valid until"),
]


# What a certificate's text is written in: Latin with Vietnamese (Latin Extended-B's Ơ Ư, Latin
# Extended Additional's precomposed letters), combining marks, general punctuation (the title's dash).
SUBSET_RANGES = (range(0x20, 0x250), range(0x300, 0x370), range(0x1E00, 0x1F00), range(0x2000, 0x2070))


def _font() -> str:
    path = Path(settings.CERTIFICATES_PDF_FONT)
    if not path.is_file():
        raise FileNotFoundError(f"The PDF font {path} is missing (apt-get install fonts-dejavu-core, "
                                "or set CERTIFICATES_PDF_FONT).")
    return str(path)


@functools.cache
def _subset(source: str, _changed: int) -> tuple[str, frozenset[int]]:
    """(path, characters) of a copy of ``source`` holding only ``SUBSET_RANGES``, made once a process
    (and again when the font file changes): fpdf2 parses the whole font file for every document,
    and DejaVu Sans's 6,000 glyphs were about 40 ms of each PDF; the copy's few hundred, under 10."""
    font = TTFont(source)
    options = subset.Options()
    options.layout_features, options.name_IDs, options.notdef_outline = ["*"], ["*"], True
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: fontTools cannot cut it and says so
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for block in SUBSET_RANGES for c in block])
    subsetter.subset(font)
    handle, path = tempfile.mkstemp(prefix="vaxrecon-pdf-font-", suffix=".ttf")
    with os.fdopen(handle, "wb") as out:
        font.save(out)
    atexit.register(Path(path).unlink, missing_ok=True)
    return path, frozenset(font.getBestCmap())


def _font_for(texts: Iterable[str]) -> str:
    """The subset font when it has every character of ``texts``, else the whole font (a name in
    another script)."""
    full = _font()
    changed = os.stat(full).st_mtime_ns
    path, characters = _subset(full, changed)
    if not os.path.exists(path):  # the temporary copy cleaned away under a long-running process
        _subset.cache_clear()
        path, characters = _subset(full, changed)
    return path if all(ord(char) in characters for text in texts for char in text) else full


def _values(cert: VaccinationCertificate) -> dict[str, str]:
    dcc = hcert.unseal(cert.hc1).dcc  # our own certificate: read back, its signature is ours
    nam, dose = dcc.get("nam", {}), (dcc.get("v") or [{}])[0]
    return {"name": f"{nam.get('fn', '')} {nam.get('gn', '')}".strip(), "dob": dcc.get("dob", ""),
            "vaccine": vaccine_name(dose.get("mp", "")), "dose": f"{dose.get('dn', '')}/{dose.get('sd', '')}",
            "date": dose.get("dt", ""), "country": dose.get("co", ""), "issuer": dose.get("is", ""),
            "uvci": cert.uvci, "expires": f"{cert.expires_at:%Y-%m-%d}"}


def certificate_pdf(cert: VaccinationCertificate, *, size: str = "a4", lang: str = "vi") -> bytes:
    """The PDF of ``cert`` on one page of ``size`` ("a4" or "a6"), labelled in both languages with
    ``lang`` ("vi" or "en") first."""
    page, margin, side = SIZES[size]
    pdf = FPDF(format=page)
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(False)
    values = _values(cert)
    pdf.add_font("DejaVu", fname=_font_for([*values.values(), TITLE_VI, TITLE_EN,
                                            *(text for _key, *label in LABELS for text in label)]))
    pdf.add_page()
    scale = 1 if size == "a4" else 0.6
    pdf.set_font("DejaVu", size=16 * scale)
    first, second = (0, 1) if lang == "vi" else (1, 0)
    titles = (TITLE_VI, TITLE_EN)
    pdf.multi_cell(0, 8 * scale, f"{titles[first]}\n{titles[second]}", align="C")
    width = pdf.w - 2 * margin
    pdf.image(io.BytesIO(qr.qr_png(cert.hc1, scale=4)), x=(pdf.w - side) / 2, w=side, h=side)
    pdf.ln(3)
    for key, *label in LABELS:
        pdf.set_font("DejaVu", size=8 * scale)
        pdf.cell(width * 0.45, 5 * scale, f"{label[first]} / {label[second]}")
        pdf.set_font("DejaVu", size=10 * scale)
        pdf.multi_cell(width * 0.55, 5 * scale, values[key], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
