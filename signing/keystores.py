"""Signing keys behind one interface: an encrypted file, a PKCS#11 token, a remote service.

Every ``Signer`` produces signatures in the same wire format whatever holds the key:
ECDSA as DER ``Ecdsa-Sig-Value`` (what cryptography, OpenSSL and CMS use), RSA as the
raw modulus-sized block. So ``verify_signature`` and the CMS export do not care where
the key lives.

Passphrases and PINs are arguments of the constructor only: they are used to open the
key and not kept on the object (the Django layer asks for them once per batch).
"""

from __future__ import annotations

import abc
import hashlib
import threading
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from django.utils.translation import gettext as _

from .errors import KeyStoreError, SignatureInvalid, WrongPassphrase, WrongPin
from .pki import PrivateKey, load_certificates, load_pkcs12


class Algorithm(StrEnum):
    """Signature algorithms accepted for vaccination records (stored as the value)."""

    ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
    RSA_PSS_SHA256 = "rsa-pss-sha256"
    RSA_PKCS1V15_SHA256 = "rsa-pkcs1v15-sha256"


# PSS salt = digest length: the interoperable choice (RFC 8017 recommendation, what
# CAdES/PAdES validators expect); also what the CMS export declares.
PSS_SALT_LENGTH = 32
MIN_RSA_BITS = 2048
# DER prefix of DigestInfo{sha256, digest}; CKM_RSA_PKCS signs DigestInfo, not the hash.
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def _check_key_fits(public_key: Any, algorithm: Algorithm) -> None:
    if algorithm is Algorithm.ECDSA_P256_SHA256:
        if not (isinstance(public_key, ec.EllipticCurvePublicKey)
                and isinstance(public_key.curve, ec.SECP256R1)):
            raise KeyStoreError(_("ECDSA P-256 signing needs a P-256 key and certificate."))
    else:
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise KeyStoreError(_("RSA signing needs an RSA key and certificate."))
        if public_key.key_size < MIN_RSA_BITS:
            raise KeyStoreError(_("RSA keys must have at least %(bits)s bits.") % {"bits": MIN_RSA_BITS})


def default_algorithm(certificate: x509.Certificate) -> Algorithm:
    """Return the algorithm to use with ``certificate``'s key (RSA defaults to PSS)."""
    if isinstance(certificate.public_key(), rsa.RSAPublicKey):
        return Algorithm.RSA_PSS_SHA256
    return Algorithm.ECDSA_P256_SHA256


class Signer(abc.ABC):
    """A key that signs payloads for one certificate.

    ``sign(payload)`` returns the signature over SHA-256(payload); ``sign_digest``
    signs an already computed SHA-256 digest (the CMS export and remote services use
    it). ``chain`` holds intermediate certificates shipped with the key, if any.
    """

    certificate: x509.Certificate
    algorithm: Algorithm
    chain: list[x509.Certificate]

    def sign(self, payload: bytes) -> bytes:
        """Return the signature of ``payload`` (hashed here with SHA-256)."""
        return self.sign_digest(hashlib.sha256(payload).digest())

    @abc.abstractmethod
    def sign_digest(self, digest: bytes) -> bytes:
        """Return the signature of a 32-byte SHA-256 ``digest``."""

    def close(self) -> None:
        """Release the key (log out of a token); a no-op for file keys."""
        return None

    def __enter__(self) -> Signer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_digest(digest: bytes) -> None:
    if len(digest) != 32:
        raise ValueError("sign_digest expects a 32-byte SHA-256 digest")


class FileKeySigner(Signer):
    """A key from an encrypted PKCS#12 file, or an encrypted PEM key plus certificate.

    Raises ``WrongPassphrase`` if the passphrase does not open the key and
    ``KeyStoreError`` if key and certificate do not belong together.
    """

    def __init__(self, key: PrivateKey, certificate: x509.Certificate, *,
                 chain: list[x509.Certificate] | None = None,
                 algorithm: Algorithm | None = None) -> None:
        self.algorithm = algorithm or default_algorithm(certificate)
        _check_key_fits(certificate.public_key(), self.algorithm)
        if key.public_key() != certificate.public_key():
            raise KeyStoreError(_("The key does not belong to the certificate."))
        self._key = key
        self.certificate = certificate
        self.chain = chain or []

    @classmethod
    def from_pkcs12(cls, data: bytes, passphrase: str, *,
                    algorithm: Algorithm | None = None) -> FileKeySigner:
        """Return a signer for the key and certificate in a PKCS#12 (.p12/.pfx) file."""
        key, cert, extra = load_pkcs12(data, passphrase)
        return cls(key, cert, chain=extra, algorithm=algorithm)

    @classmethod
    def from_pem(cls, key_pem: bytes, cert_pem: bytes, passphrase: str, *,
                 algorithm: Algorithm | None = None) -> FileKeySigner:
        """Return a signer for an encrypted PEM private key and its certificate (+chain)."""
        try:
            key = serialization.load_pem_private_key(key_pem, passphrase.encode() or None)
        except TypeError as exc:  # no passphrase for an encrypted key, or the reverse
            if b"ENCRYPTED" in key_pem:
                raise WrongPassphrase(_("This key file needs its passphrase.")) from exc
            raise KeyStoreError(_("The key file is not passphrase-protected; "
                                  "unencrypted keys are refused.")) from exc
        except ValueError as exc:
            if b"ENCRYPTED" in key_pem:
                raise WrongPassphrase(_("The passphrase does not open this key file.")) from exc
            raise KeyStoreError(_("The key file could not be read.")) from exc
        if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            raise KeyStoreError(_("Only ECDSA and RSA keys are supported."))
        certs = load_certificates(cert_pem)
        return cls(key, certs[0], chain=certs[1:], algorithm=algorithm)

    def sign(self, payload: bytes) -> bytes:
        # One call into OpenSSL instead of hashing in Python first: the hot path.
        return _sign_with_key(self._key, self.algorithm, payload, prehashed=False)

    def sign_digest(self, digest: bytes) -> bytes:
        _check_digest(digest)
        return _sign_with_key(self._key, self.algorithm, digest, prehashed=True)


def _sign_with_key(key: PrivateKey, algorithm: Algorithm, data: bytes, *, prehashed: bool) -> bytes:
    hash_alg: Any = utils.Prehashed(hashes.SHA256()) if prehashed else hashes.SHA256()
    if algorithm is Algorithm.ECDSA_P256_SHA256:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key.sign(data, ec.ECDSA(hash_alg))
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(data, _rsa_padding(algorithm), hash_alg)


def _rsa_padding(algorithm: Algorithm) -> padding.AsymmetricPadding:
    if algorithm is Algorithm.RSA_PSS_SHA256:
        return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH)
    return padding.PKCS1v15()


class Pkcs11Signer(Signer):
    """A private key on a PKCS#11 token (USB token, HSM; SoftHSM2 in tests).

    Opens a logged-in session on construction; use as a context manager or call
    ``close()``. A session must not be shared between threads or processes: each Celery
    worker opens its own. Raises ``WrongPin`` when the token refuses the PIN and
    ``KeyStoreError`` when the token, the key or the certificate cannot be found, or the
    key does not match the certificate.
    """

    def __init__(self, *, module_path: str, token_label: str, pin: str, key_label: str,
                 certificate: x509.Certificate | None = None,
                 algorithm: Algorithm | None = None) -> None:
        self._token = _TokenTurn(module_path, token_label)
        try:
            self._open(module_path=module_path, token_label=token_label, pin=pin, key_label=key_label,
                       certificate=certificate, algorithm=algorithm)
        except BaseException:
            self._token.release()
            raise

    def _open(self, *, module_path: str, token_label: str, pin: str, key_label: str,
              certificate: x509.Certificate | None, algorithm: Algorithm | None) -> None:
        # Imported here: pkcs11 costs ~35 ms to import, and file-key deployments never need it.
        import pkcs11  # noqa: PLC0415 - see above
        from pkcs11 import Attribute, ObjectClass  # noqa: PLC0415 - see above

        self._pkcs11 = pkcs11
        try:
            lib = pkcs11.lib(module_path)
            token = lib.get_token(token_label=token_label)
        except pkcs11.NoSuchToken as exc:
            raise KeyStoreError(_("No token labelled '%(label)s' is connected.")
                                % {"label": token_label}) from exc
        except (RuntimeError, OSError, pkcs11.PKCS11Error) as exc:
            raise KeyStoreError(_("The PKCS#11 module could not be loaded: %(error)s")
                                % {"error": exc}) from exc
        try:
            self._session = token.open(user_pin=pin)
        except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange) as exc:
            raise WrongPin(_("The token refused the PIN.")) from exc
        except pkcs11.PinLocked as exc:
            raise WrongPin(_("The token is locked after too many wrong PINs; "
                             "ask the security officer to unlock it.")) from exc
        try:
            self._key = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY,
                                              label=key_label)
            if certificate is None:
                obj = next(self._session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE,
                                                      Attribute.LABEL: key_label}), None)
                if obj is None:
                    raise KeyStoreError(_("No certificate labelled '%(label)s' on the token.")
                                        % {"label": key_label})
                certificate = x509.load_der_x509_certificate(obj[Attribute.VALUE])
        except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned) as exc:
            self._session.close()
            raise KeyStoreError(_("No single private key labelled '%(label)s' on the token.")
                                % {"label": key_label}) from exc
        except KeyStoreError:
            self._session.close()
            raise
        self.certificate = certificate
        self.algorithm = algorithm or default_algorithm(certificate)
        self.chain = []
        try:
            _check_key_fits(certificate.public_key(), self.algorithm)
            # A wrong key would only show at verification time; one probe signature
            # now turns that into an immediate, clear error.
            probe = hashlib.sha256(b"vaxrecon key probe").digest()
            verify_digest_signature(certificate, self.algorithm, probe, self.sign_digest(probe))
        except SignatureInvalid as exc:
            self.close()
            raise KeyStoreError(_("The key on the token does not match the certificate.")) from exc
        except KeyStoreError:
            self.close()
            raise

    def sign_digest(self, digest: bytes) -> bytes:
        _check_digest(digest)
        mech = self._pkcs11.Mechanism
        try:
            if self.algorithm is Algorithm.ECDSA_P256_SHA256:
                # SoftHSM 2.6 has no CKM_ECDSA_SHA256: sign the hash with plain CKM_ECDSA.
                raw = self._key.sign(digest, mechanism=mech.ECDSA)
                half = len(raw) // 2  # PKCS#11 returns r || s; CMS/OpenSSL want DER
                return utils.encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                                  int.from_bytes(raw[half:], "big"))
            if self.algorithm is Algorithm.RSA_PSS_SHA256:
                return self._key.sign(digest, mechanism=mech.RSA_PKCS_PSS, mechanism_param=(
                    mech.SHA256, self._pkcs11.MGF.SHA256, PSS_SALT_LENGTH))
            return self._key.sign(SHA256_DIGEST_INFO_PREFIX + digest, mechanism=mech.RSA_PKCS)
        except self._pkcs11.PKCS11Error as exc:
            raise KeyStoreError(_("The token could not sign: %(error)s")
                                % {"error": type(exc).__name__}) from exc

    def close(self) -> None:
        session, self._session = getattr(self, "_session", None), None
        if session is not None:
            session.close()
        self._token.release()


# PKCS#11 keeps one login state per process and token: while a session of this process is logged
# in, another session's C_Login on the same token answers CKR_USER_ALREADY_LOGGED_IN without
# looking at its PIN. Production's gunicorn threads may open two signers on one token at once, so
# a process holds a token's session one signer at a time: the next waits for the first to close
# (an interactive batch takes about a second) and gives up with a clear error after
# TOKEN_WAIT_SECONDS. Other processes (workers, Celery) have login states of their own.
TOKEN_WAIT_SECONDS = 30
_turns: dict[tuple[str, str], tuple[threading.Lock, list]] = {}
_turns_guard = threading.Lock()


class _TokenTurn:
    """This process's turn at one token, taken on construction; ``release`` is idempotent."""

    def __init__(self, module_path: str, token_label: str) -> None:
        with _turns_guard:
            turn = _turns.setdefault((module_path, token_label), (threading.Lock(), [None]))
        self._lock, self._holder = turn
        self._held = False
        if self._holder[0] == threading.get_ident():
            raise KeyStoreError(_("The token '%(label)s' is already open for another signing in this "
                                  "request; close it first.") % {"label": token_label})
        if not self._lock.acquire(timeout=TOKEN_WAIT_SECONDS):
            raise KeyStoreError(_("The token '%(label)s' is busy with another signing on this server; "
                                  "try again in a moment.") % {"label": token_label})
        self._holder[0] = threading.get_ident()
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._holder[0] = None
            self._lock.release()


class RemoteHashSigner(Signer):
    """Interface for a remote signing service that signs a hash (e.g. a CA's cloud HSM).

    No such service exists to test against yet, so this class only fixes the contract;
    ``sign_digest`` raises ``KeyStoreError``. A concrete subclass implements
    ``_request_signature`` with this HTTP exchange::

        POST {base_url}/v1/sign-hash
        Authorization: Bearer <token obtained per batch after the signer's OTP>
        {"credential_id": "...", "hash_algorithm": "2.16.840.1.101.3.4.2.1",
         "signature_algorithm": "ecdsa-p256-sha256" | "rsa-pss-sha256" | "rsa-pkcs1v15-sha256",
         "hashes": ["<base64 SHA-256 digest>", ...]}
        200 {"signatures": ["<base64 signature in Signer wire format>", ...]}
        401/403 -> WrongPin-like refusal; other errors -> KeyStoreError.

    (The shape follows the Cloud Signature Consortium API ``signatures/signHash``.)
    The caller verifies every returned signature against ``certificate`` before
    storing it, as ``Pkcs11Signer`` does with its probe.
    """

    def __init__(self, *, base_url: str, credential_id: str, certificate: x509.Certificate,
                 algorithm: Algorithm | None = None) -> None:
        self.base_url = base_url
        self.credential_id = credential_id
        self.certificate = certificate
        self.algorithm = algorithm or default_algorithm(certificate)
        self.chain = []

    def sign_digest(self, digest: bytes) -> bytes:
        _check_digest(digest)
        return self._request_signature(digest)

    def _request_signature(self, digest: bytes) -> bytes:
        raise KeyStoreError(_("Remote signing is not available: no remote signing service "
                              "is configured for this deployment."))


def verify_digest_signature(certificate: x509.Certificate, algorithm: Algorithm | str,
                            digest: bytes, signature: bytes) -> None:
    """Return None if ``signature`` signs the SHA-256 ``digest``; else raise ``SignatureInvalid``."""
    _verify(certificate, Algorithm(algorithm), digest, signature, prehashed=True)


def verify_signature(certificate: x509.Certificate, algorithm: Algorithm | str,
                     payload: bytes, signature: bytes) -> None:
    """Return None if ``signature`` signs ``payload`` with ``certificate``'s key.

    Raises ``SignatureInvalid`` (plain message) when it does not, including when the
    algorithm does not fit the key. This checks the mathematics only; whether the
    certificate could be trusted at signing time is ``pki.verify_chain``.
    """
    _verify(certificate, Algorithm(algorithm), payload, signature, prehashed=False)


def _verify(certificate: x509.Certificate, algorithm: Algorithm, data: bytes,
            signature: bytes, *, prehashed: bool) -> None:
    public_key = certificate.public_key()
    hash_alg: Any = utils.Prehashed(hashes.SHA256()) if prehashed else hashes.SHA256()
    try:
        _check_key_fits(public_key, algorithm)
        if algorithm is Algorithm.ECDSA_P256_SHA256:
            assert isinstance(public_key, ec.EllipticCurvePublicKey)
            public_key.verify(signature, data, ec.ECDSA(hash_alg))
        else:
            assert isinstance(public_key, rsa.RSAPublicKey)
            public_key.verify(signature, data, _rsa_padding(algorithm), hash_alg)
    except (InvalidSignature, KeyStoreError) as exc:
        raise SignatureInvalid(_("The signature does not match the signed data and the "
                                 "signer's certificate.")) from exc
