"""One error family for the signing core.

Every failure a signer or a verifier can meet is a ``SigningError`` with a plain
message that can be shown to the user as it is. The Django layer maps the family to
HTTP/messages in one place; callers that need to branch use the subclass or the
``reason`` code on ``CertificateRejected``.
"""

from __future__ import annotations


class SigningError(Exception):
    """Base of every error raised by ``signing``."""


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

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class KeyStoreError(SigningError):
    """The key could not be opened or used (file, token or remote service)."""


class WrongPassphrase(KeyStoreError):
    """The passphrase does not decrypt the key file."""


class WrongPin(KeyStoreError):
    """The token refused the PIN."""


class SignatureInvalid(SigningError):
    """A signature does not match the payload and the certificate's public key."""


class PayloadError(SigningError, ValueError):
    """The data handed to the payload builder cannot be signed as it is."""
