"""Fixtures of the certificate tests: a CSCA and DSCs (file and SoftHSM2 token), citizens whose
doses are really signed through the signing room (trust store and signer from tests/signing)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization

from certificates import dsc as dscs
from signing import pki, services
from tests.signing.conftest import (  # noqa: F401 - fixtures reused by name
    PASSPHRASE,
    USER_PIN,
    english_messages,
    file_identities,
    issuing_ca,
    make_awaiting_case,
    make_awaiting_case_fixture,
    register_file_key,
    require_tool,
    require_tool_fixture,
    root_ca,
    signer_user,
    softhsm,
    trust_store,
)

DSC_SECRET = "mật khẩu DSC 2022"
YEAR = dt.timedelta(days=365)


@pytest.fixture(scope="session")
def csca() -> pki.CertAndKey:
    return dscs.create_csca(not_before=dt.datetime.now(dt.UTC) - YEAR)


@pytest.fixture(scope="session")
def dsc_identities(csca) -> dict[str, pki.CertAndKey]:
    """One DSC per algorithm (RSA keygen is slow: once a session)."""
    out = {}
    for algorithm, key_type in (("ES256", "ec"), ("PS256", "rsa")):
        key = pki.generate_key(key_type)
        out[algorithm] = pki.CertAndKey(dscs.issue_dsc(csca, key.public_key(),
                                                       not_before=dt.datetime.now(dt.UTC) - YEAR), key)
    return out


@pytest.fixture
def hcert_settings(settings, tmp_path, csca):
    """The DSC secret and the CSCA key file as an operator sets them."""
    key_file = tmp_path / "csca.key.pem"
    key_file.write_bytes(csca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    settings.CERTIFICATES_DSC_SECRET = DSC_SECRET
    settings.CERTIFICATES_CSCA_KEY_FILE = str(key_file)
    return settings


@pytest.fixture
def register_dsc(db, hcert_settings, csca, dsc_identities):
    """Return a factory: algorithm -> a registered file DSC (the CSCA registered first)."""
    dscs.csca_register(certificate=csca.certificate, label="test CSCA")

    def factory(algorithm: str = "ES256", identity: pki.CertAndKey | None = None):
        ident = identity or dsc_identities[algorithm]
        data = pki.export_pkcs12(ident, DSC_SECRET, [csca.certificate])
        return dscs.dsc_register_pkcs12(data=data, passphrase=DSC_SECRET)

    return factory


@pytest.fixture
def dsc(register_dsc):
    return register_dsc("ES256")


@pytest.fixture
def sign_records(signer_user, register_file_key):  # noqa: F811 - the imported fixtures
    """Return a function: records -> signed through the signing room's service."""
    certificate = register_file_key(signer_user)

    def sign(records):
        batch = services.signing_start(user=signer_user, certificate_id=certificate.pk,
                                       record_ids=[r.pk for r in records], secret=PASSPHRASE)
        assert batch.signed == len(records), batch.message
        for record in records:
            record.refresh_from_db()
        return records

    return sign


@pytest.fixture
def signed_citizen(make_awaiting_case, hanoi_facility, sign_records):  # noqa: F811 - as above
    """A citizen (Nguyễn Văn Hùng by default) with two Pfizer doses, both signed."""
    def make(doses: int = 2, **citizen):
        case, records = make_awaiting_case(facility=hanoi_facility, doses=doses)
        if citizen:
            for name, value in citizen.items():
                setattr(case.citizen, name, value)
            case.citizen.save()
        sign_records(records)
        return case.citizen, records

    return make
