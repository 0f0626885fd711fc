"""Issuing a certificate from signed records: the payload, the COSE signature checked by an
independent implementation (pycose), idempotency, refusals and audit events."""

from __future__ import annotations

import datetime as dt
import zlib
from datetime import date

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from django.utils import translation
from pycose.keys import EC2Key, RSAKey
from pycose.messages import Sign1Message

from certificates import dsc as dscs
from certificates import qr, services
from certificates.base45 import b45decode
from certificates.models import CertificateRecord, DocumentSigner, VaccinationCertificate
from certificates.verify import LABELS, Verdict
from records.models import AuditEvent, InjectionRecord, VaccineProduct
from tests.certificates.conftest import USER_PIN
from vaxrecon.errors import InvalidInput, ServiceUnavailable

pytestmark = pytest.mark.django_db


def independent_decode(hc1: str, certificate) -> dict:
    """Decode with pycose (not our code): returns the CWT claims once the signature checks."""
    assert hc1.startswith("HC1:")
    message = Sign1Message.decode(zlib.decompress(b45decode(hc1[4:])))
    pem = certificate.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    message.key = (EC2Key if message.phdr[next(iter(message.phdr))].fullname == "ES256" else RSAKey
                   ).from_pem_public_key(pem)
    assert message.verify_signature()
    return cbor2.loads(message.payload)


def vaccination(citizen, dsc) -> dict:
    """The ``v`` entry of the citizen's certificate, decoded independently."""
    hc1 = services.certificate_issue(citizen=citizen).certificate.hc1
    return independent_decode(hc1, dsc.certificate)[-260][1]["v"][0]


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
def test_a_certificate_round_trips_through_an_independent_cose_implementation(
        algorithm, register_dsc, signed_citizen):
    dsc = register_dsc(algorithm)
    citizen, records = signed_citizen(doses=2, full_name="Nguyễn Thị Ánh", sex="F",
                                      date_of_birth=date(1985, 3, 9), cccd="001185000123")

    cert = services.certificate_issue(citizen=citizen).certificate

    claims = independent_decode(cert.hc1, dsc.certificate)
    assert claims[1] == "VN"
    issued = dt.datetime.fromtimestamp(claims[6], dt.UTC)
    expires = dt.datetime.fromtimestamp(claims[4], dt.UTC)
    assert 360 <= (expires - issued).days <= 366
    payload = claims[-260][1]
    assert payload["nam"] == {"fn": "Nguyễn", "fnt": "NGUYEN", "gn": "Thị Ánh", "gnt": "THI<ANH"}
    assert payload["dob"] == "1985-03-09" and payload["ver"] == "1.3.0"
    last = max(records, key=lambda r: r.injection_date)
    assert payload["v"] == [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528",
                             "ma": "ORG-100030215", "dn": 2, "sd": 2, "dt": last.injection_date.isoformat(),
                             "co": "VN", "is": "Ministry of Health of Viet Nam", "ci": cert.uvci}]
    message = Sign1Message.decode(zlib.decompress(b45decode(cert.hc1[4:])))
    assert message.phdr_encoded  # kid in the protected header: the first 8 bytes of SHA-256 of the DSC
    assert cbor2.loads(message.phdr_encoded)[4] == bytes.fromhex(dsc.kid)
    assert dsc.kid == dscs.kid_of(dsc.certificate).hex()


def test_the_qr_code_is_alphanumeric_at_level_q_and_its_png_is_an_image(dsc, signed_citizen):
    citizen, _records = signed_citizen()
    hc1 = services.certificate_issue(citizen=citizen).certificate.hc1
    code = qr.qr_code(hc1)
    assert (code.mode, code.error) == ("alphanumeric", "Q")
    assert qr.qr_png(hc1).startswith(b"\x89PNG")


def test_dob_is_only_the_year_when_that_is_all_we_know(dsc, signed_citizen):
    citizen, _records = signed_citizen(date_of_birth=None, birth_year=1950, dob_precision="year")
    cert = services.certificate_issue(citizen=citizen).certificate
    assert independent_decode(cert.hc1, dsc.certificate)[-260][1]["dob"] == "1950"


def test_a_booster_after_two_doses_is_three_of_three_and_janssen_is_one_of_one(dsc, signed_citizen):
    citizen, _records = signed_citizen(doses=3)
    v = vaccination(citizen, dsc)
    assert (v["dn"], v["sd"]) == (3, 3)

    janssen, records = signed_citizen(doses=1)
    InjectionRecord.objects.filter(pk=records[0].pk).update(vaccine=VaccineProduct.objects.get(code="janssen"))
    v = vaccination(janssen, dsc)
    assert (v["dn"], v["sd"], v["mp"]) == (1, 1, "EU/1/20/1525")


def test_vero_cell_carries_the_current_code_bbibp_corv(dsc, signed_citizen):
    citizen, records = signed_citizen(doses=1)
    InjectionRecord.objects.filter(pk=records[0].pk).update(vaccine=VaccineProduct.objects.get(code="sinopharm"))
    v = vaccination(citizen, dsc)
    assert (v["mp"], v["vp"]) == ("BBIBP-CorV", "J07BX03")


def test_issuing_again_for_the_same_records_returns_the_same_certificate(dsc, signed_citizen):
    citizen, records = signed_citizen()
    first = services.certificate_issue(citizen=citizen)
    again = services.certificate_issue(citizen=citizen)

    assert first.created and not again.created
    assert again.certificate.pk == first.certificate.pk and again.certificate.hc1 == first.certificate.hc1
    assert VaccinationCertificate.objects.count() == 1
    assert set(CertificateRecord.objects.values_list("record_id", flat=True)) == {r.pk for r in records}
    assert AuditEvent.objects.filter(action="certificate.issue").count() == 1


def test_issuing_writes_an_audit_event_without_personal_data(dsc, signed_citizen, signer_user):
    citizen, records = signed_citizen()
    cert = services.certificate_issue(citizen=citizen, actor=signer_user).certificate
    event = AuditEvent.objects.get(action="certificate.issue")
    assert (event.actor, event.object_id) == (signer_user, str(cert.pk))
    assert event.after["uvci"] == cert.uvci and event.after["records"] == sorted(r.pk for r in records)
    assert event.after["kid"] == dsc.kid
    assert citizen.cccd not in str(event.after) and citizen.full_name not in str(event.after)


def test_a_citizen_with_an_unsigned_dose_gets_no_certificate_and_nothing_is_written(
        dsc, signed_citizen, hanoi_facility):
    citizen, _records = signed_citizen()
    InjectionRecord.objects.create(citizen=citizen, vaccine=VaccineProduct.objects.get(code="pfizer"),
                                   dose_number=3, injection_date=date(2022, 3, 1), facility=hanoi_facility)
    with pytest.raises(InvalidInput, match="1 of this citizen's doses are not signed yet"):
        services.certificate_issue(citizen=citizen)
    assert not VaccinationCertificate.objects.exists()
    assert not AuditEvent.objects.filter(action="certificate.issue").exists()


def test_without_a_valid_document_signer_nothing_is_issued(dsc, signed_citizen):
    DocumentSigner.objects.update(not_after=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    citizen, _records = signed_citizen()
    with pytest.raises(ServiceUnavailable, match="No document signer certificate is valid now"):
        services.certificate_issue(citizen=citizen)
    assert not VaccinationCertificate.objects.exists()


def test_a_dsc_on_a_softhsm_token_signs_certificates(hcert_settings, csca, softhsm, signed_citizen, settings):
    hsm, _certs = softhsm
    dscs.csca_register(certificate=csca.certificate)
    cert = hsm.provision_signer(csca, token_label="vaxrecon-test", user_pin=USER_PIN, key_label="dsc-ec",
                                key_type="ec", extended_key_usage=dscs.DSC_EKUS, **dscs.DSC_SUBJECT)
    dsc = dscs.dsc_register_token(certificate=cert, token_label="vaxrecon-test", key_label="dsc-ec")
    settings.CERTIFICATES_DSC_SECRET = USER_PIN
    citizen, _records = signed_citizen()

    issued = services.certificate_issue(citizen=citizen).certificate

    assert dsc.key_store == "pkcs11" and issued.signer == dsc
    assert independent_decode(issued.hc1, cert)[-260][1]["v"][0]["ci"] == issued.uvci


def test_bulk_issue_covers_everyone_ready_once(dsc, signed_citizen, hanoi_facility):
    ready = [signed_citizen()[0] for _ in range(3)]
    not_ready, _records = signed_citizen()
    InjectionRecord.objects.create(citizen=not_ready, vaccine=VaccineProduct.objects.get(code="pfizer"),
                                   dose_number=3, injection_date=date(2022, 3, 1), facility=hanoi_facility)

    result = services.certificates_issue_all()
    again = services.certificates_issue_all()

    assert (result.issued, result.unchanged, result.refused) == (3, 0, 1)
    assert (again.issued, again.unchanged, again.refused) == (0, 3, 1)
    assert set(VaccinationCertificate.objects.values_list("citizen_id", flat=True)) == {c.pk for c in ready}
    assert AuditEvent.objects.filter(action="certificate.issue").count() == 3


def test_the_refusal_and_the_verdicts_read_in_vietnamese(dsc, signed_citizen, hanoi_facility):
    citizen, _records = signed_citizen()
    InjectionRecord.objects.create(citizen=citizen, vaccine=VaccineProduct.objects.get(code="pfizer"),
                                   dose_number=3, injection_date=date(2022, 3, 1), facility=hanoi_facility)
    with translation.override("vi"), pytest.raises(InvalidInput, match="1 mũi tiêm của công dân này chưa"):
        services.certificate_issue(citizen=citizen)
    with translation.override("vi"):
        assert str(LABELS[Verdict.REVOKED]) == "Đã bị thu hồi"
