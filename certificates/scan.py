"""Reading a QR code out of a photo on the server (zxing-cpp), for the verifier page's upload."""

from __future__ import annotations

import zxingcpp
from PIL import Image, UnidentifiedImageError
from PIL.Image import DecompressionBombError


def qr_text(file) -> str | None:
    """The text of the first QR code in the image ``file``, or None when none is found (Pillow's
    decompression-bomb limit refuses absurd images before they are decoded)."""
    try:
        with Image.open(file) as image:
            image.load()
            found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    except (UnidentifiedImageError, DecompressionBombError, OSError, ValueError):
        return None
    return found[0].text if found else None
