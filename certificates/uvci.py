"""The UVCI (unique vaccination certificate identifier) and its Luhn mod N check character.

Format (eHealth Network UVCI guidelines, version 01, schema option 3: an opaque identifier):
``URN:UVCI:01:VN:<issuer>/<opaque>#<check>``. The check character is Luhn mod N over the
UVCI's alphabet ``A-Z 0-9 / :`` (N = 38), computed over everything before ``#``, prefix included,
as the DCC schema's FAQ says; a verifier can catch a mistyped UVCI with it.
"""

from __future__ import annotations

import base64
import secrets

CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"
N = len(CHARSET)
PREFIX = "URN:UVCI:01:VN:"


# Each character's Luhn addend at a doubled position and at a plain one (looked up, not computed:
# one UVCI per certificate of a bulk issue).
_DOUBLED = {char: (2 * i) // N + (2 * i) % N for i, char in enumerate(CHARSET)}
_PLAIN = {char: i for i, char in enumerate(CHARSET)}


def luhn_mod_n(text: str) -> str:
    """Return the Luhn mod N check character of ``text`` (characters of ``CHARSET`` only; another
    raises ``ValueError``)."""
    backwards = text[::-1]
    try:
        total = (sum(map(_DOUBLED.__getitem__, backwards[0::2]))
                 + sum(map(_PLAIN.__getitem__, backwards[1::2])))
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a UVCI character") from None
    return CHARSET[(N - total % N) % N]


def is_valid(uvci: str) -> bool:
    """True when ``uvci`` is ``URN:UVCI:...#c`` and ``c`` is its check character."""
    body, sep, check = uvci.partition("#")
    if not sep or len(check) != 1 or not body.startswith("URN:UVCI:"):
        return False
    if any(char not in CHARSET for char in body):
        return False
    return luhn_mod_n(body) == check


def new_uvci(issuer: str = "BYT") -> str:
    """Return a fresh UVCI of Vietnam's issuer ``issuer`` (26 Base32 characters: 128 random bits)."""
    opaque = base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=")
    body = f"{PREFIX}{issuer}/{opaque}"
    return f"{body}#{luhn_mod_n(body)}"
