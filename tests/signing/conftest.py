"""Shared PKI and key-store fixtures for the signing tests (no database).

SoftHSM2 and the openssl binary are real dependencies of these tests. Where one is
missing the tests that need it are skipped with the reason shown, unless
VAXRECON_REQUIRE_TOOLS=1 (set it in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator

import pytest

from signing import pki
from signing.keystores import Algorithm, FileKeySigner, Pkcs11Signer, Signer
from signing.softhsm import SoftHsm, find_softhsm_module

TOKEN = "vaxrecon-test"
USER_PIN = "246810"
SO_PIN = "13579111"
PASSPHRASE = "đúng mật khẩu 2021"
KEY_TYPE = {Algorithm.ECDSA_P256_SHA256: "ec", Algorithm.RSA_PSS_SHA256: "rsa",
            Algorithm.RSA_PKCS1V15_SHA256: "rsa"}
YEAR = dt.timedelta(days=365)
SUBJECT = {"organisation": "UBND xã Tân Phú", "unit": "Xã Tân Phú, Đồng Nai",
           "person": "Nguyễn Thị Hồng Nhung"}


def require_tool(available: bool, what: str) -> None:
    """Skip (or fail under VAXRECON_REQUIRE_TOOLS=1) when a needed tool is missing."""
    if available:
        return
    if os.environ.get("VAXRECON_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{what} is required (VAXRECON_REQUIRE_TOOLS=1) but not installed")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(name="require_tool", scope="session")
def require_tool_fixture() -> Callable[[bool, str], None]:
    return require_tool


@pytest.fixture(scope="session")
def subject() -> dict[str, str]:
    """The signer certificate subject used throughout: O, OU, CN."""
    return dict(SUBJECT)


@pytest.fixture(scope="session")
def root_ca() -> pki.CertAndKey:
    # Backdated so signatures "made last month" fall inside the CAs' validity.
    return pki.create_root_ca(not_before=dt.datetime.now(dt.UTC) - YEAR)


@pytest.fixture(scope="session")
def issuing_ca(root_ca: pki.CertAndKey) -> pki.CertAndKey:
    return pki.create_issuing_ca(root_ca,
                                 not_before=dt.datetime.now(dt.UTC) - YEAR)


@pytest.fixture(scope="session")
def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture(scope="session")
def file_identities(issuing_ca: pki.CertAndKey) -> dict[str, pki.CertAndKey]:
    """One file key + signer certificate per key type, made once (RSA keygen is slow)."""
    out = {}
    for key_type in ("ec", "rsa"):
        key = pki.generate_key(key_type)
        cert = pki.issue_signer_certificate(issuing_ca, key.public_key(), **SUBJECT)
        out[key_type] = pki.CertAndKey(cert, key)
    return out


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory,
            issuing_ca: pki.CertAndKey) -> tuple[SoftHsm, dict[str, object]]:
    """A SoftHSM2 token holding one EC and one RSA key, each with its certificate."""
    module = find_softhsm_module()
    require_tool(module is not None and shutil.which("softhsm2-util") is not None, "SoftHSM2")
    hsm = SoftHsm.create(tmp_path_factory.mktemp("softhsm"))
    hsm.init_token(TOKEN, user_pin=USER_PIN, so_pin=SO_PIN)
    certs = {kt: hsm.provision_signer(issuing_ca, token_label=TOKEN, user_pin=USER_PIN,
                                      key_label=f"signer-{kt}", key_type=kt, **SUBJECT)
             for kt in ("ec", "rsa")}
    return hsm, certs


@pytest.fixture
def make_signer(request: pytest.FixtureRequest,
                file_identities: dict[str, pki.CertAndKey],
                issuing_ca: pki.CertAndKey) -> Iterator[Callable[[str, Algorithm], Signer]]:
    """Return a factory: (store "file"|"token", algorithm) -> an open Signer."""
    opened: list[Signer] = []

    def factory(store: str, algorithm: Algorithm) -> Signer:
        key_type = KEY_TYPE[algorithm]
        if store == "file":
            ident = file_identities[key_type]
            p12 = pki.export_pkcs12(ident, PASSPHRASE, [issuing_ca.certificate])
            signer: Signer = FileKeySigner.from_pkcs12(p12, PASSPHRASE, algorithm=algorithm)
        else:
            hsm, _ = request.getfixturevalue("softhsm")
            signer = Pkcs11Signer(module_path=hsm.module_path, token_label=TOKEN, pin=USER_PIN,
                                  key_label=f"signer-{key_type}", algorithm=algorithm)
        opened.append(signer)
        return signer

    yield factory
    for signer in opened:
        signer.close()

