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
from datetime import date

import pytest
from django.utils import translation

from accounts.models import Role
from signing import pki, services, trust
from signing.keystores import Algorithm, FileKeySigner, Pkcs11Signer, Signer
from signing.models import SignerCertificate
from signing.softhsm import SoftHsm, find_softhsm_module
from tests.factories import CitizenFactory, InjectionRecordFactory, make_user
from tests.faults import django_on_private_cluster, private_cluster  # noqa: F401 - fixtures of the restart test
from verification.models import PoliceVerification, ReconciliationCase
from verification.workflow import CaseStatus

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


@pytest.fixture
def now() -> dt.datetime:
    """This test's now. Not once per session: a signer certificate made in the test starts
    five minutes before its own now, so on a slow run a session-wide now fell before it."""
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



# --- Django: trust store, signers with registered keys, cases awaiting signature -------


@pytest.fixture
def trust_store(db, root_ca: pki.CertAndKey, issuing_ca: pki.CertAndKey):
    """The test root trusted, the issuing CA known, and an empty CRL for each."""
    services.authority_register(certificate=root_ca.certificate, trusted=True, label="test root")
    services.authority_register(certificate=issuing_ca.certificate, label="test issuing CA")
    for ca in (root_ca, issuing_ca):
        services.crl_import(data=pki.create_crl(ca).public_bytes(pki.serialization.Encoding.DER))


@pytest.fixture
def signer_user(hanoi_facility):
    """Persona: the commune chairman of the Hà Nội ward (own scope)."""
    return make_user(Role.SIGNER, username="signer-hn", ward=hanoi_facility.ward)


@pytest.fixture
def other_signer_user(hcm_facility):
    """Persona: a signer of a commune in Hồ Chí Minh City (outsider)."""
    return make_user(Role.SIGNER, username="signer-hcm", ward=hcm_facility.ward)


@pytest.fixture
def register_file_key(trust_store, issuing_ca, file_identities):
    """Return a factory: (user, algorithm, **certificate options) -> SignerCertificate
    backed by an encrypted PKCS#12 opened with PASSPHRASE."""
    def factory(user, algorithm: Algorithm = Algorithm.ECDSA_P256_SHA256, **cert_options):
        key_type = KEY_TYPE[algorithm]
        if cert_options:  # a certificate of its own (validity etc.); EC keys are quick to make
            key = pki.generate_key(key_type)
            cert = pki.issue_signer_certificate(issuing_ca, key.public_key(), **SUBJECT, **cert_options)
            ident = pki.CertAndKey(cert, key)
        else:
            ident = file_identities[key_type]
        p12 = pki.export_pkcs12(ident, PASSPHRASE, [issuing_ca.certificate])
        if cert_options.get("not_after") and cert_options["not_after"] < dt.datetime.now(dt.UTC):
            # Registration refuses expired certificates; tests of expiry register it directly.
            return SignerCertificate.objects.create(
                **trust._cert_fields(ident.certificate), fingerprint=trust._fingerprint(ident.certificate),
                user=user, ward=user.profile.ward, facility=user.profile.facility,
                key_store=SignerCertificate.KeyStore.FILE, algorithm=algorithm.value, pkcs12=p12)
        return services.signer_certificate_import_pkcs12(user=user, data=p12, passphrase=PASSPHRASE,
                                                         algorithm=algorithm)

    return factory


@pytest.fixture
def register_token_key(trust_store, softhsm, issuing_ca):
    """Return a factory: (user, algorithm) -> SignerCertificate on the SoftHSM2 token (PIN USER_PIN)."""
    hsm, certs = softhsm

    def factory(user, algorithm: Algorithm = Algorithm.ECDSA_P256_SHA256):
        key_type = KEY_TYPE[algorithm]
        return services.signer_certificate_register(
            user=user, certificate=certs[key_type], chain=[issuing_ca.certificate],
            key_store=SignerCertificate.KeyStore.PKCS11, token_label=TOKEN, key_label=f"signer-{key_type}",
            algorithm=algorithm)

    return factory


def make_awaiting_case(*, facility, doses: int = 1, ward=None):
    """A case of a person living in ``ward`` (default the facility's), identity confirmed by
    the police, waiting for signature, with ``doses`` injection records. Returns (case, records)."""
    ward = ward or facility.ward
    citizen = CitizenFactory(ward=ward)
    records = [InjectionRecordFactory(citizen=citizen, facility=facility, dose_number=n,
                                      injection_date=date(2021, 7 + n, 1)) for n in range(1, doses + 1)]
    case = ReconciliationCase.objects.create(
        origin=ReconciliationCase.Origin.CLINIC_ENTRY, status=CaseStatus.AWAITING_SIGNATURE,
        full_name=citizen.full_name, birth_year=citizen.birth_year, date_of_birth=citizen.date_of_birth,
        sex=citizen.sex, id_number=citizen.cccd, ward=ward, facility=facility, citizen=citizen)
    case.injections.set(records)
    PoliceVerification.objects.create(case=case, source=PoliceVerification.Source.REGISTRY,
                                      outcome=PoliceVerification.Outcome.MATCH)
    return case, records


@pytest.fixture(name="make_awaiting_case")
def make_awaiting_case_fixture(reference_data):
    return make_awaiting_case


@pytest.fixture(autouse=True)
def english_messages(request):
    """Assertions read the English messages; the catalogue translates them to Vietnamese."""
    if "settings" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("settings").LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
