"""A development PKI on disk: a root and an issuing CA standing in for the national root
and a licensed public CA, and signer certificates issued from them.

Development only. The CA keys are written unencrypted (mode 0600) so that commands and
``seed_demo`` can issue certificates without a CA passphrase; production never has CA
keys on the platform: it imports roots (``pki_trust_root``), signers' PKCS#12 files
(``pki_import_p12``) and CRLs (``pki_import_crl``) from the real CAs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.contrib.auth import get_user_model

from signing import pki, services
from signing.models import SignerCertificate
from vaxrecon.access import FACILITY, PROVINCE, WARD, scope_for

ROOT_CERT, ROOT_KEY, ROOT_CRL = "root.pem", "root.key.pem", "root.crl.pem"
ISSUING_CERT, ISSUING_KEY, ISSUING_CRL = "issuing.pem", "issuing.key.pem", "issuing.crl.pem"
CRL_DAYS = 30


def _write_key(path: Path, key: pki.PrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _write_cert(path: Path, cert) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _load(directory: Path, cert_name: str, key_name: str) -> pki.CertAndKey:
    cert = pki.load_certificates((directory / cert_name).read_bytes())[0]
    key = serialization.load_pem_private_key((directory / key_name).read_bytes(), None)
    return pki.CertAndKey(cert, key)  # type: ignore[arg-type]


def init_dev_ca(directory: str | Path) -> tuple[pki.CertAndKey, pki.CertAndKey, bool]:
    """Return (root, issuing CA, created): made now, or loaded when the directory has them.

    Also (re)writes empty CRLs for both CAs valid ``CRL_DAYS`` days.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    created = not (directory / ISSUING_KEY).exists()
    if created:
        # Backdated a year so records signed "last month" in demos fall inside the validity.
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
        root = pki.create_root_ca(not_before=start, valid_days=3650 + 365)
        issuing = pki.create_issuing_ca(root, not_before=start, valid_days=1825 + 365)
        _write_cert(directory / ROOT_CERT, root.certificate)
        _write_key(directory / ROOT_KEY, root.key)
        _write_cert(directory / ISSUING_CERT, issuing.certificate)
        _write_key(directory / ISSUING_KEY, issuing.key)
    root, issuing = load_dev_ca(directory)
    if created or not (directory / ISSUING_CRL).exists():
        write_crl(directory, revoked=())
    return root, issuing, created


def load_dev_ca(directory: str | Path) -> tuple[pki.CertAndKey, pki.CertAndKey]:
    directory = Path(directory)
    if not (directory / ISSUING_KEY).exists():
        raise FileNotFoundError(f"No development CA in {directory}; run `manage.py pki_init_dev` first.")
    return _load(directory, ROOT_CERT, ROOT_KEY), _load(directory, ISSUING_CERT, ISSUING_KEY)


def write_crl(directory: str | Path, *, revoked=()) -> tuple[Path, Path]:
    """Write fresh CRLs of the root (nothing revoked) and the issuing CA (``revoked``:
    (serial, date, reason) tuples). Returns their paths."""
    directory = Path(directory)
    root, issuing = load_dev_ca(directory)
    nxt = dt.datetime.now(dt.UTC) + dt.timedelta(days=CRL_DAYS)
    root_crl = pki.create_crl(root, next_update=nxt)
    issuing_crl = pki.create_crl(issuing, revoked, next_update=nxt)
    (directory / ROOT_CRL).write_bytes(root_crl.public_bytes(serialization.Encoding.PEM))
    (directory / ISSUING_CRL).write_bytes(issuing_crl.public_bytes(serialization.Encoding.PEM))
    return directory / ROOT_CRL, directory / ISSUING_CRL


def new_passphrase() -> str:
    """A random passphrase to print once for a development key file."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def signer_subject(user) -> dict[str, str]:
    """O/OU/CN for a user's certificate from their scope (commune, facility or province)."""
    scope = scope_for(user)
    profile = user.profile
    person = user.get_full_name() or user.get_username()
    if scope.kind == WARD:
        ward = profile.ward
        return {"organisation": f"UBND {ward.name}", "unit": f"{ward.name}, {ward.province.name}",
                "person": person}
    if scope.kind == FACILITY:
        facility = profile.facility
        return {"organisation": facility.name, "unit": f"{facility.name} ({facility.code})", "person": person}
    if scope.kind == PROVINCE:
        return {"organisation": f"Sở Y tế {profile.province.name}", "unit": profile.province.name,
                "person": person}
    raise ValueError("this user has no signing scope")


def issue_file_signer(issuing: pki.CertAndKey, *, user, passphrase: str, key_type: str = "ec",
                      valid_days: int = 730, not_before: dt.datetime | None = None) -> tuple[bytes, object]:
    """Return (encrypted PKCS#12 bytes, certificate) of a new signer key for ``user``."""
    key = pki.generate_key(key_type)
    cert = pki.issue_signer_certificate(issuing, key.public_key(), valid_days=valid_days,
                                        not_before=not_before, email=user.email or None,
                                        **signer_subject(user))
    return pki.export_pkcs12(pki.CertAndKey(cert, key), passphrase, [issuing.certificate],
                             friendly_name=user.get_username()), cert


def register_dev_ca(directory: str | Path, *, actor=None) -> None:
    """Put the development root in the trust store, the issuing CA beside it, and their
    CRLs (refreshable from the files). Idempotent."""
    directory = Path(directory)
    root, issuing = load_dev_ca(directory)
    services.authority_register(certificate=root.certificate, trusted=True,
                                label="VaxRecon Development Root CA", actor=actor)
    services.authority_register(certificate=issuing.certificate, label="VaxRecon Development Issuing CA",
                                actor=actor)
    for name in (ROOT_CRL, ISSUING_CRL):
        path = (directory / name).resolve()
        with contextlib.suppress(services.InvalidInput):  # already holding this or a newer list
            services.crl_import(data=path.read_bytes(), source=str(path), actor=actor)


def seed_demo_signer(*, username: str, passphrase: str) -> tuple[Path | None, str]:
    """Give the demo signer a development certificate (idempotent).

    Creates the development CA under ``SIGNING_PKI_DIR`` when missing, trusts it, and
    issues ``<dir>/signers/<username>.p12`` once. Returns (path, passphrase), or
    (None, "") when the user does not exist.
    """
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return None, ""
    directory = Path(settings.SIGNING_PKI_DIR)
    _root, issuing, _created = init_dev_ca(directory)
    register_dev_ca(directory)
    path = directory / "signers" / f"{username}.p12"
    if not SignerCertificate.objects.filter(user=user, active=True).exists():
        data, _cert = issue_file_signer(issuing, user=user, passphrase=passphrase)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o600)
        services.signer_certificate_import_pkcs12(user=user, data=data, passphrase=passphrase)
    return path, passphrase
