"""The HCERT wire format: CWT claims in a COSE_Sign1, CBOR, zlib, Base45, ``HC1:``.

No Django here: ``seal`` turns a payload and a signing key into the ``HC1:`` text, ``unseal``
takes the text apart (raising ``Malformed`` with what is wrong), ``signature_ok`` checks one
signature against a DSC. Verdicts (trust list, expiry, revocation) are ``certificates.verify``.

The layout (eHealth Network HCERT specification 1.0.5, §3):

* CWT claims map: 1 iss, 4 exp, 6 iat (seconds since the epoch), -260 {1: the DCC payload};
* COSE_Sign1 (tag 18): protected header {1: alg, 4: kid} (kid: first 8 bytes of SHA-256 of the
  DSC's DER), empty unprotected header, the claims as payload, the signature over the
  ``Sig_structure`` ["Signature1", protected, b"", payload]; ES256 as raw r||s (64 bytes),
  PS256 with MGF1-SHA-256 and a 32-byte salt.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from dataclasses import dataclass

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import Encoding

from certificates.base45 import Base45Error, b45decode, b45encode

PREFIX = "HC1:"
COSE_SIGN1_TAG = 18
ALG, KID = 1, 4
ES256, PS256 = -7, -37
ALGORITHMS = {"ES256": ES256, "PS256": PS256}
CLAIM_ISS, CLAIM_EXP, CLAIM_IAT, CLAIM_HCERT = 1, 4, 6, -260
DCC_V1 = 1
SCHEMA_VERSION = "1.3.0"
EC_HALF = 32  # P-256: r and s are 32 bytes each
ZLIB_WINDOW_BITS, ZLIB_MEM_LEVEL = 11, 4
ZLIB_HEADER = b"\x78\xda"  # deflate, 32 KiB window declared, level 9 (FCHECK makes it a multiple of 31)


class Malformed(ValueError):
    """The text is not an HCERT: what is wrong, in plain words."""


def kid_of(certificate: x509.Certificate) -> bytes:
    """The HCERT key identifier of a DSC: the first 8 bytes of SHA-256 of its DER."""
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).digest()[:8]


def claims(*, issuer: str, issued_at: int, expires_at: int, payload: dict) -> dict:
    """The CWT claims map of one certificate (times in whole seconds since the epoch)."""
    return {CLAIM_ISS: issuer, CLAIM_IAT: issued_at, CLAIM_EXP: expires_at,
            CLAIM_HCERT: {DCC_V1: payload}}


def _bstr(data: bytes) -> bytes:
    """``data`` as a CBOR byte string (major type 2, the shortest length form, as cbor2 writes it).

    The two fixed arrays around the payload (the Sig_structure and the COSE_Sign1) are framed here
    by hand instead of by two more cbor2 calls per certificate: the bulk issue's hot path. Their
    bytes are the same (tests/certificates/test_encodings.py compares them with cbor2's)."""
    size = len(data)
    if size < 24:
        head = bytes((0x40 | size,))
    elif size < 0x100:
        head = bytes((0x58, size))
    elif size < 0x10000:
        head = b"\x59" + size.to_bytes(2, "big")
    else:
        head = b"\x5a" + size.to_bytes(4, "big")
    return head + data


_SIG1_HEAD = b"\x84\x6aSignature1"  # array(4), text(10) "Signature1"
_COSE_HEAD = b"\xd2\x84"  # tag 18 (COSE_Sign1), array(4)


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    """CBOR of ["Signature1", protected, b"", payload]: the bytes a COSE_Sign1 signs."""
    return _SIG1_HEAD + _bstr(protected) + b"\x40" + _bstr(payload)


@functools.cache
def protected_header(algorithm: str, kid: bytes) -> bytes:
    """The protected header {1: alg, 4: kid}, CBOR (the same for every certificate of a DSC)."""
    return cbor2.dumps({ALG: ALGORITHMS[algorithm], KID: kid})


def to_be_signed(*, algorithm: str, kid: bytes, claims_map: dict) -> tuple[bytes, bytes, bytes]:
    """Return (protected header, payload, the bytes to sign) of a COSE_Sign1."""
    protected = protected_header(algorithm, kid)
    payload = cbor2.dumps(claims_map)
    return protected, payload, _sig_structure(protected, payload)


def cose_signature(algorithm: str, der_or_raw: bytes) -> bytes:
    """A signer's signature in COSE form: ECDSA DER -> r||s (RSA is already raw)."""
    if algorithm != "ES256":
        return der_or_raw
    r, s = utils.decode_dss_signature(der_or_raw)
    return r.to_bytes(EC_HALF, "big") + s.to_bytes(EC_HALF, "big")


def pack(protected: bytes, payload: bytes, signature: bytes) -> str:
    """The ``HC1:`` text of a signed COSE_Sign1."""
    cose = _COSE_HEAD + _bstr(protected) + b"\xa0" + _bstr(payload) + _bstr(signature)  # {}: 0xa0
    return PREFIX + b45encode(_zlib(cose))


def _zlib(data: bytes) -> bytes:
    """``data`` in the zlib format (RFC 1950), as ``zlib.compress(data, 9)`` would write it for a
    certificate: the usual header 78 DA (verifiers look for 0x78), the deflate stream, Adler-32.

    The deflate stream is made with a 2 KiB window and a small hash table (an HCERT's COSE is well
    under 2 KiB: the same bytes as with the default 32 KiB): setting up zlib's default sizes was
    most of the time of compressing 400 bytes. The header may declare the larger window: a
    decompressor only needs at least the window the stream uses."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -ZLIB_WINDOW_BITS, ZLIB_MEM_LEVEL)
    return ZLIB_HEADER + packer.compress(data) + packer.flush() + zlib.adler32(data).to_bytes(4, "big")


@dataclass(frozen=True)
class Unsealed:
    """An HCERT taken apart (nothing checked but its shape)."""

    algorithm: int
    kid: bytes
    protected: bytes
    payload: bytes
    signature: bytes
    claims: dict

    @property
    def dcc(self) -> dict:
        return self.claims[CLAIM_HCERT][DCC_V1]

    def signed_bytes(self) -> bytes:
        return _sig_structure(self.protected, self.payload)


def _cose_parts(text: str) -> list:
    if not text.startswith(PREFIX):
        raise Malformed(f"it does not start with {PREFIX}")
    try:
        data = b45decode(text[len(PREFIX):])
    except Base45Error as exc:
        raise Malformed(f"the text after {PREFIX} is not Base45: {exc}") from None
    if data[:1] == b"\x78":  # zlib's header; the spec allows an uncompressed COSE too
        try:
            data = zlib.decompress(data)
        except zlib.error:
            raise Malformed("the zlib data is damaged") from None
    try:
        cose = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError):
        raise Malformed("the content is not CBOR") from None
    if isinstance(cose, cbor2.CBORTag):
        if cose.tag != COSE_SIGN1_TAG:
            raise Malformed(f"CBOR tag {cose.tag} is not a COSE_Sign1 (18)")
        cose = cose.value
    if not (isinstance(cose, list | tuple) and len(cose) == 4 and isinstance(cose[0], bytes)
            and isinstance(cose[2], bytes) and isinstance(cose[3], bytes)):
        raise Malformed("the content is not a COSE_Sign1 structure")
    return cose


def unseal(text: str) -> Unsealed:
    """Take an ``HC1:`` text apart; raises ``Malformed`` saying what is wrong."""
    protected, unprotected, payload, signature = _cose_parts(text.strip())
    try:
        header = cbor2.loads(protected) if protected else {}
        claims_map = cbor2.loads(payload)
    except (cbor2.CBORDecodeError, ValueError):
        raise Malformed("the header or the claims are not CBOR") from None
    if not isinstance(header, dict) or not isinstance(claims_map, dict):
        raise Malformed("the header or the claims are not CBOR maps")
    kid = header.get(KID) or (unprotected or {}).get(KID)
    algorithm = header.get(ALG)
    if not isinstance(kid, bytes) or algorithm not in (ES256, PS256):
        raise Malformed("the header has no key identifier or no supported algorithm (ES256, PS256)")
    hcert = claims_map.get(CLAIM_HCERT)
    if not isinstance(hcert, dict) or not isinstance(hcert.get(DCC_V1), dict):
        raise Malformed("the claims hold no EU DCC payload (-260/1)")
    return Unsealed(algorithm, kid, protected, payload, signature, claims_map)


def signature_ok(unsealed: Unsealed, certificate: x509.Certificate) -> bool:
    """True when ``unsealed``'s signature was made by ``certificate``'s key with its algorithm."""
    key = certificate.public_key()
    data = unsealed.signed_bytes()
    try:
        if unsealed.algorithm == ES256 and isinstance(key, ec.EllipticCurvePublicKey):
            sig = unsealed.signature
            if len(sig) != 2 * EC_HALF:
                return False
            der = utils.encode_dss_signature(int.from_bytes(sig[:EC_HALF], "big"),
                                             int.from_bytes(sig[EC_HALF:], "big"))
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
            return True
        if unsealed.algorithm == PS256 and isinstance(key, rsa.RSAPublicKey):
            key.verify(unsealed.signature, data,
                       padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False


def revocation_hashes(uvci: str, signature: bytes, *, algorithm: str, country: str = "VN") -> dict:
    """The three EU revocation hashes (first 16 bytes of SHA-256, hex) of a certificate.

    SIGNATURE hashes the COSE signature's r half for ECDSA (its s can be rewritten without the
    key), the whole signature for RSA.
    """
    def first16(data: bytes) -> str:
        return hashlib.sha256(data).digest()[:16].hex()

    signed = signature[:EC_HALF] if algorithm in ("ES256", ES256) else signature
    return {"uvci_hash": first16(uvci.encode()),
            "country_uvci_hash": first16((country + uvci).encode()),
            "signature_hash": first16(signed)}
