"""Sealing a large batch's passphrase/PIN for the worker (docs/SIGNING.md says why)."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.cache import caches


def secret_cache_key(batch_id: int) -> str:
    return f"signing:batch-key:{batch_id}"


def seal_secret(batch_id: int, secret: str) -> str:
    """Seal ``secret`` for batch ``batch_id``: the ciphertext is returned (for the task message),
    the single-use key goes to the ``signing`` cache for ``SIGNING_BATCH_KEY_TTL`` seconds."""
    key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), f"signing-batch:{batch_id}".encode())
    caches["signing"].set(secret_cache_key(batch_id), key.hex(), timeout=settings.SIGNING_BATCH_KEY_TTL)
    return (nonce + sealed).hex()


def unseal_secret(batch_id: int, sealed_hex: str) -> str | None:
    """The secret sealed for ``batch_id``, or None (key expired, used already, or tampered)."""
    cache = caches["signing"]
    key_hex = cache.get(secret_cache_key(batch_id))
    cache.delete(secret_cache_key(batch_id))  # single use, whatever happens next
    if key_hex is None:
        return None
    sealed = bytes.fromhex(sealed_hex)
    try:
        return AESGCM(bytes.fromhex(key_hex)).decrypt(sealed[:12], sealed[12:],
                                                      f"signing-batch:{batch_id}".encode()).decode()
    except Exception:  # a tampered or mismatched message: treat as no secret
        return None
