"""Base45 (RFC 9285): the text encoding of an HCERT, chosen by the spec because a QR code's
alphanumeric mode stores exactly these 45 characters at 5.5 bits each.

Written here (about 40 lines) rather than pinned: the one PyPI package is unmaintained since
2022, and the encoding is small enough to read whole.
"""

from __future__ import annotations

import functools
import struct

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}


class Base45Error(ValueError):
    """The text is not Base45 (a character outside the alphabet, a bad length or value)."""


@functools.cache
def _pairs() -> tuple[str, ...]:
    """The three characters of every two-byte value (built once: encoding a certificate is then
    one table look-up per two bytes, the bulk issue's hot path)."""
    out = []
    for n in range(65536):
        c, rest = divmod(n, 45 * 45)
        d, e = divmod(rest, 45)
        out.append(ALPHABET[e] + ALPHABET[d] + ALPHABET[c])
    return tuple(out)


def b45encode(data: bytes) -> str:
    """Return ``data`` as Base45 text: three characters per two bytes, two for a last single byte."""
    pairs = _pairs()
    even = len(data) - len(data) % 2
    text = "".join([pairs[n] for n in struct.unpack(f">{even // 2}H", data[:even])])
    if len(data) % 2:
        d, e = divmod(data[-1], 45)
        text += ALPHABET[e] + ALPHABET[d]
    return text


def b45decode(text: str) -> bytes:
    """Return the bytes of Base45 ``text``; raises ``Base45Error`` naming what is wrong and where."""
    try:
        values = [_VALUE[char] for char in text]
    except KeyError as exc:
        raise Base45Error(f"character {exc.args[0]!r} at position {text.index(exc.args[0]) + 1} "
                          "is not Base45") from None
    if len(values) % 3 == 1:
        raise Base45Error(f"a Base45 text cannot be {len(values)} characters long")
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i:i + 3]
        n = sum(value * 45 ** power for power, value in enumerate(chunk))
        if len(chunk) == 3:
            if n > 0xFFFF:
                raise Base45Error(f"characters {i + 1}-{i + 3} encode {n}, more than two bytes")
            out += n.to_bytes(2, "big")
        else:
            if n > 0xFF:
                raise Base45Error(f"the last two characters encode {n}, more than one byte")
            out.append(n)
    return bytes(out)
