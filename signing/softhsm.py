"""SoftHSM2 tokens for tests and development: a software stand-in for a signer's USB token.

The realistic path is followed: the key pair is generated *on the token* (the private
key never leaves it), the development issuing CA certifies the public key, and the
certificate is stored on the token beside the key, as a public CA's token holds it.

SoftHSM reads ``SOFTHSM2_CONF`` when the PKCS#11 library is initialised, so
``SoftHsm.create`` sets it for the whole process and re-initialises an already loaded
library. Use one SoftHSM directory per process (tests: one per session).

Development use::

    python -m signing.softhsm var/softhsm   # prints the SOFTHSM2_CONF line to export
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .pki import CertAndKey, PublicKey, create_issuing_ca, create_root_ca, issue_signer_certificate

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",                    # Debian/Ubuntu softhsm2
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


def find_softhsm_module() -> str | None:
    """Return the SoftHSM2 PKCS#11 module path (``SIGNING_PKCS11_MODULE``, the setting's
    environment variable, wins), or None."""
    configured = os.environ.get("SIGNING_PKCS11_MODULE")
    if configured:
        return configured if Path(configured).exists() else None
    return next((p for p in MODULE_CANDIDATES if Path(p).exists()), None)


def _reinitialise_loaded_library(module_path: str) -> None:
    """Make an already loaded library re-read SOFTHSM2_CONF and rescan its slots."""
    import pkcs11  # noqa: PLC0415 - pkcs11 costs ~35 ms to import; only token users pay it

    loaded = getattr(pkcs11, "_loaded", {}).get(module_path)
    if loaded is not None and loaded.initialized:
        loaded.reinitialize()  # closes every open session of this module


@dataclass(frozen=True)
class SoftHsm:
    """A SoftHSM2 token directory and the configuration pointing at it."""

    directory: Path
    conf_path: Path
    module_path: str

    @classmethod
    def create(cls, directory: str | Path, module_path: str | None = None) -> SoftHsm:
        """Return a SoftHSM2 set-up in ``directory`` (created), and point this process at it."""
        module = module_path or find_softhsm_module()
        if module is None:
            raise RuntimeError("SoftHSM2 is not installed (apt-get install softhsm2).")
        directory = Path(directory).resolve()
        tokens = directory / "tokens"
        tokens.mkdir(parents=True, exist_ok=True)
        conf = directory / "softhsm2.conf"
        conf.write_text(f"directories.tokendir = {tokens}\n"
                        "objectstore.backend = file\n"
                        "log.level = ERROR\n"
                        "slots.removable = false\n")
        os.environ["SOFTHSM2_CONF"] = str(conf)
        _reinitialise_loaded_library(module)
        return cls(directory=directory, conf_path=conf, module_path=module)

    def init_token(self, label: str, *, user_pin: str, so_pin: str) -> None:
        """Initialise a new token ``label`` in the next free slot with the given PINs."""
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", label,
             "--pin", user_pin, "--so-pin", so_pin],
            check=True, capture_output=True, text=True,
            env={**os.environ, "SOFTHSM2_CONF": str(self.conf_path)})
        # A library loaded before the token existed does not see the new slot.
        _reinitialise_loaded_library(self.module_path)

    def generate_key(self, *, token_label: str, user_pin: str, key_label: str,
                     key_type: str = "ec") -> PublicKey:
        """Generate a non-extractable signing key pair on the token; return its public key.

        ``key_type`` is ``"ec"`` (P-256) or ``"rsa"`` (2048 bits).
        """
        import pkcs11  # noqa: PLC0415 - pkcs11 costs ~35 ms to import; only token users pay it
        from pkcs11 import Attribute, KeyType  # noqa: PLC0415 - as above
        from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters  # noqa: PLC0415

        token = pkcs11.lib(self.module_path).get_token(token_label=token_label)
        private_template = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}
        key_id = key_label.encode()
        with token.open(user_pin=user_pin, rw=True) as session:
            if key_type == "ec":
                params = session.create_domain_parameters(
                    KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                    local=True)
                pub, _ = params.generate_keypair(store=True, label=key_label, id=key_id,
                                                 private_template=private_template)
                return serialization.load_der_public_key(encode_ec_public_key(pub))  # type: ignore[return-value]
            if key_type == "rsa":
                pub, _ = session.generate_keypair(KeyType.RSA, 2048, store=True, label=key_label,
                                                  id=key_id, private_template=private_template)
                return rsa.RSAPublicNumbers(
                    int.from_bytes(pub[Attribute.PUBLIC_EXPONENT], "big"),
                    int.from_bytes(pub[Attribute.MODULUS], "big")).public_key()
        raise ValueError(f"unknown key type {key_type!r}")

    def store_certificate(self, *, token_label: str, user_pin: str, label: str,
                          certificate: x509.Certificate) -> None:
        """Store ``certificate`` on the token under ``label`` (same label and id as its key)."""
        import pkcs11  # noqa: PLC0415 - pkcs11 costs ~35 ms to import; only token users pay it
        from pkcs11 import Attribute, CertificateType, ObjectClass  # noqa: PLC0415 - as above

        token = pkcs11.lib(self.module_path).get_token(token_label=token_label)
        with token.open(user_pin=user_pin, rw=True) as session:
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: label,
                Attribute.ID: label.encode(),
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
            })

    def provision_signer(self, issuer: CertAndKey, *, token_label: str, user_pin: str,
                         key_label: str, key_type: str = "ec", organisation: str, unit: str,
                         person: str, **certificate_options: object) -> x509.Certificate:
        """Generate a key on the token, certify it with ``issuer``, store the certificate.

        Returns the signer certificate. ``certificate_options`` go to
        ``pki.issue_signer_certificate`` (validity, key usage, email).
        """
        public_key = self.generate_key(token_label=token_label, user_pin=user_pin,
                                       key_label=key_label, key_type=key_type)
        cert = issue_signer_certificate(issuer, public_key, organisation=organisation,
                                        unit=unit, person=person,
                                        **certificate_options)  # type: ignore[arg-type]
        self.store_certificate(token_label=token_label, user_pin=user_pin, label=key_label,
                               certificate=cert)
        return cert


def main(argv: list[str]) -> int:
    """Create a development token with an ECDSA signer; print how to use it."""
    directory = Path(argv[0] if argv else "var/softhsm")
    hsm = SoftHsm.create(directory)
    hsm.init_token("vaxrecon-dev", user_pin="123456", so_pin="12345678")
    root = create_root_ca()
    issuing = create_issuing_ca(root)
    hsm.provision_signer(issuing, token_label="vaxrecon-dev", user_pin="123456",
                         key_label="signer", organisation="UBND phường Bến Nghé",
                         unit="Phường Bến Nghé", person="Người ký thử nghiệm")
    (directory / "root.pem").write_bytes(root.certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "issuing.pem").write_bytes(
        issuing.certificate.public_bytes(serialization.Encoding.PEM))
    print(f"export SOFTHSM2_CONF={hsm.conf_path}")
    print(f"module={hsm.module_path} token=vaxrecon-dev pin=123456 key=signer")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
