"""Names as the HCERT wants them: ``fn``/``gn`` as written, ``fnt``/``gnt`` in the ICAO 9303
machine-readable form (A-Z and ``<`` only, at most 80 characters).

ICAO 9303 part 3 transliterates Latin letters with diacritics to their base letter; Vietnamese
needs only that, plus Đ/đ (a letter of its own, not D with a mark, so Unicode does not decompose
it) to D. Spaces and hyphens become ``<``; an apostrophe or dot is dropped.

A Vietnamese full name is written family name first: "Nguyễn Thị Ánh" is family name Nguyễn,
given names Thị Ánh (fnt NGUYEN, gnt THI<ANH).
"""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_LENGTH = 80
_FILLER = re.compile(r"[\s\-]+")


@functools.lru_cache(maxsize=65536)  # family and given names repeat across a bulk issue
def icao_transliterate(name: str) -> str:
    """Return ``name`` in ICAO 9303 form: "Nguyễn Thị Ánh" -> "NGUYEN<THI<ANH"."""
    text = name.replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFD", text)
    text = "".join(char for char in text if unicodedata.category(char) != "Mn")
    text = _FILLER.sub("<", text.strip().upper())
    text = "".join(char for char in text if "A" <= char <= "Z" or char == "<")
    return text.strip("<")[:MAX_LENGTH]


def split_vietnamese_name(full_name: str) -> tuple[str, str]:
    """Return (family name, given names) of a Vietnamese full name (family name first)."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name.strip(), ""
    return parts[0], " ".join(parts[1:])


def hcert_name(full_name: str) -> dict[str, str]:
    """The HCERT ``nam`` object of a Vietnamese full name (``gn``/``gnt`` left out when none)."""
    family, given = split_vietnamese_name(unicodedata.normalize("NFC", full_name))
    nam = {"fn": family, "fnt": icao_transliterate(family)}
    if given:
        nam |= {"gn": given, "gnt": icao_transliterate(given)}
    return nam
