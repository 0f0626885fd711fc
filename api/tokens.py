"""The shape of an API key's token: ``vxr_<prefix>_<secret>``; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "vxr"


def new_token() -> tuple[str, str]:
    """(prefix, token): the prefix is public (it finds the key), the rest is 256 random bits."""
    prefix = secrets.token_hex(4)
    return prefix, f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    """The stored form of a token (it carries 256 random bits: a plain SHA-256 is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str | None:
    parts = (token or "").split("_", 2)
    return parts[1] if len(parts) == 3 and parts[0] == TOKEN_PREFIX and parts[2] else None
