"""The certificate's QR code: the ``HC1:`` text in alphanumeric mode at error correction Q (the
HCERT spec's choice: Base45 is exactly the alphanumeric alphabet, and Q survives a creased paper)."""

from __future__ import annotations

import io

import segno


def qr_code(hc1: str) -> segno.QRCode:
    """The QR code of ``hc1`` (alphanumeric mode, level Q, never boosted to another level)."""
    return segno.make_qr(hc1, error="q", mode="alphanumeric", boost_error=False)


def qr_png(hc1: str, *, scale: int = 4) -> bytes:
    """A PNG of the QR code with the quiet zone the standard asks for (4 modules)."""
    out = io.BytesIO()
    qr_code(hc1).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
