"""The signing core's errors: a branch of the project's one family (``vaxrecon.errors``).

Every failure a signer or a verifier can meet is a ``SigningError`` with a plain
message that can be shown to the user as it is (``str(exc)`` and ``exc.message``). As a
``DomainError`` it reaches pages and the API through the one mapping in
``vaxrecon.errors``; callers that need to branch use the subclass or the ``reason`` code
on ``CertificateRejected``.
"""

from __future__ import annotations

from vaxrecon.errors import DomainError


class SigningError(DomainError):
    """Base of every error raised by ``signing``: the request cannot be signed or checked."""

    status_code, code = 400, "signing"


class CertificateRejected(SigningError):
    """A certificate (or its chain) cannot be relied on at the given time.

    ``reason`` is one of the ``REASON_*`` codes so callers can store or count it
    without parsing the message.
    """

    UNTRUSTED = "untrusted"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    BAD_KEY_USAGE = "bad_key_usage"
    REVOCATION_UNKNOWN = "revocation_unknown"

    code = "certificate_rejected"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class KeyStoreError(SigningError):
    """The key could not be opened or used (file, token or remote service)."""

    code = "key_store"


class WrongPassphrase(KeyStoreError):
    """The passphrase does not decrypt the key file."""


class WrongPin(KeyStoreError):
    """The token refused the PIN."""


class CertificateLocked(KeyStoreError):
    """Too many wrong passphrases or PINs for this certificate lately: no key is opened with it
    for a while (429, Retry-After)."""

    status_code, code = 429, "certificate_locked"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class SignatureInvalid(SigningError):
    """A signature does not match the payload and the certificate's public key."""

    code = "signature_invalid"


class PayloadError(SigningError, ValueError):
    """The data handed to the payload builder cannot be signed as it is."""
