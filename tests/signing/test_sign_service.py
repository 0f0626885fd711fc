"""Batch signing through the service: key stores, algorithms, refusals, scope, corrections."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from django.core.cache import caches

from records.models import AuditEvent, InjectionRecord
from records.services import injection_record_correct
from signing import pki, sealing, services, tasks
from signing.errors import CertificateRejected, WrongPassphrase, WrongPin
from signing.keystores import Algorithm
from signing.models import AuthorityCertificate, Signature, SigningBatch
from signing.selectors import records_awaiting_signature
from tests.signing.conftest import PASSPHRASE, USER_PIN
from vaxrecon.access import scope_for
from vaxrecon.celery import app
from vaxrecon.errors import NotAllowed, NotFoundInScope
from verification.models import TaskOutbox
from verification.workflow import CaseStatus

pytestmark = pytest.mark.django_db


def sign(user, cert, records, secret=PASSPHRASE):
    return services.signing_start(user=user, certificate_id=cert.pk, record_ids=[r.pk for r in records],
                                  secret=secret)


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_it_signs_and_verifies_with_a_file_key(algorithm, signer_user, register_file_key, make_awaiting_case,
                                               hanoi_facility):
    cert = register_file_key(signer_user, algorithm)
    case, records = make_awaiting_case(facility=hanoi_facility, doses=2)

    batch = sign(signer_user, cert, records)

    assert (batch.status, batch.signed, batch.skipped) == (SigningBatch.Status.DONE, 2, 0)
    reports = list(services.signatures_verify(Signature.objects.all()))
    assert [r.ok for r in reports] == [True, True], [r.checks for r in reports]
    assert {s.algorithm for s in Signature.objects.all()} == {algorithm.value}


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_it_signs_and_verifies_with_a_token_key(algorithm, signer_user, register_token_key,
                                                make_awaiting_case, hanoi_facility):
    cert = register_token_key(signer_user, algorithm)
    _case, records = make_awaiting_case(facility=hanoi_facility)

    batch = sign(signer_user, cert, records, secret=USER_PIN)

    assert batch.signed == 1
    report = services.signature_verify(Signature.objects.get())
    assert report.ok, report.checks


def test_signing_marks_records_signed_moves_the_case_and_writes_audit_events(
        signer_user, register_file_key, make_awaiting_case, hanoi_facility):
    cert = register_file_key(signer_user)
    case, records = make_awaiting_case(facility=hanoi_facility, doses=2)

    sign(signer_user, cert, records)

    case.refresh_from_db()
    assert case.status == CaseStatus.SIGNED
    statuses = InjectionRecord.objects.filter(pk__in=[r.pk for r in records]).values_list("status", flat=True)
    assert set(statuses) == {InjectionRecord.Status.SIGNED}
    signature = Signature.objects.filter(record=records[0]).get()
    assert signature.police_reference == case.verifications.get().reference
    assert (signature.signed_by, signature.certificate, signature.case) == (signer_user, cert, case)
    assert AuditEvent.objects.filter(action="injection.sign", actor=signer_user).count() == 2
    assert AuditEvent.objects.filter(action="case.sign", object_id=str(case.pk)).exists()


def test_a_case_stays_awaiting_until_all_its_doses_are_signed(signer_user, register_file_key,
                                                              make_awaiting_case, hanoi_facility):
    cert = register_file_key(signer_user)
    case, records = make_awaiting_case(facility=hanoi_facility, doses=2)

    sign(signer_user, cert, records[:1])

    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_SIGNATURE


def test_a_wrong_passphrase_is_a_clear_error_and_signs_nothing(signer_user, register_file_key,
                                                               make_awaiting_case, hanoi_facility):
    cert = register_file_key(signer_user)
    _case, records = make_awaiting_case(facility=hanoi_facility)

    with pytest.raises(WrongPassphrase, match="passphrase does not open"):
        sign(signer_user, cert, records, secret="not the passphrase")

    assert not Signature.objects.exists() and not SigningBatch.objects.exists()
    assert InjectionRecord.objects.get(pk=records[0].pk).status == InjectionRecord.Status.RECORDED


def test_a_wrong_pin_is_a_clear_error_and_signs_nothing(signer_user, register_token_key, make_awaiting_case,
                                                        hanoi_facility):
    cert = register_token_key(signer_user)
    _case, records = make_awaiting_case(facility=hanoi_facility)

    with pytest.raises(WrongPin, match="refused the PIN"):
        sign(signer_user, cert, records, secret="000000")

    assert not Signature.objects.exists()


def test_it_refuses_an_expired_certificate(signer_user, register_file_key, make_awaiting_case,
                                           hanoi_facility):
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
    cert = register_file_key(signer_user, not_before=long_ago, not_after=long_ago + dt.timedelta(days=30))
    _case, records = make_awaiting_case(facility=hanoi_facility)

    with pytest.raises(CertificateRejected, match="expired") as exc:
        sign(signer_user, cert, records)

    assert exc.value.reason == CertificateRejected.EXPIRED
    assert not Signature.objects.exists()


def test_it_refuses_a_revoked_certificate(signer_user, register_file_key, make_awaiting_case, hanoi_facility,
                                          issuing_ca):
    cert = register_file_key(signer_user)
    crl = pki.create_crl(issuing_ca, [(cert.certificate.serial_number,
                                       dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
                                       x509.ReasonFlags.key_compromise)])
    services.crl_import(data=crl.public_bytes(pki.serialization.Encoding.PEM))
    _case, records = make_awaiting_case(facility=hanoi_facility)

    with pytest.raises(CertificateRejected, match="revoked"):
        sign(signer_user, cert, records)

    assert not Signature.objects.exists()


def test_it_refuses_a_certificate_whose_root_is_no_longer_trusted(signer_user, register_file_key,
                                                                  make_awaiting_case, hanoi_facility):
    cert = register_file_key(signer_user)
    AuthorityCertificate.objects.filter(kind="root").update(trusted=False)
    _case, records = make_awaiting_case(facility=hanoi_facility)

    with pytest.raises(CertificateRejected) as exc:
        sign(signer_user, cert, records)

    assert exc.value.reason == CertificateRejected.UNTRUSTED
    assert not Signature.objects.exists()


def test_an_untrusted_certificate_cannot_be_registered(signer_user, trust_store):
    stranger_root = pki.create_root_ca(common_name="Unknown Root")
    key = pki.generate_key("ec")
    cert = pki.issue_signer_certificate(stranger_root, key.public_key(), organisation="X", unit="Y",
                                        person="Z")
    p12 = pki.export_pkcs12(pki.CertAndKey(cert, key), PASSPHRASE)

    with pytest.raises(CertificateRejected, match="No trusted issuer"):
        services.signer_certificate_import_pkcs12(user=signer_user, data=p12, passphrase=PASSPHRASE)


def test_a_signer_cannot_sign_records_outside_their_scope(signer_user, other_signer_user, register_file_key,
                                                          make_awaiting_case, hanoi_facility, hcm_facility):
    cert = register_file_key(signer_user)
    _own, own_records = make_awaiting_case(facility=hanoi_facility)
    _other, other_records = make_awaiting_case(facility=hcm_facility)

    with pytest.raises(NotFoundInScope, match="not awaiting your signature"):
        sign(signer_user, cert, own_records + other_records)

    assert not Signature.objects.exists()


def test_sign_all_takes_only_the_records_in_scope(signer_user, register_file_key, make_awaiting_case,
                                                  hanoi_facility, hcm_facility):
    cert = register_file_key(signer_user)
    _own, own_records = make_awaiting_case(facility=hanoi_facility, doses=2)
    make_awaiting_case(facility=hcm_facility)

    batch = services.signing_start(user=signer_user, certificate_id=cert.pk, record_ids=None,
                                   secret=PASSPHRASE, select_all=True)

    assert batch.signed == 2
    assert set(Signature.objects.values_list("record_id", flat=True)) == {r.pk for r in own_records}


def test_other_roles_cannot_sign(clinic_user, signer_user, register_file_key, make_awaiting_case,
                                 hanoi_facility):
    cert = register_file_key(signer_user)
    _case, records = make_awaiting_case(facility=hanoi_facility)

    with pytest.raises(NotAllowed):
        sign(clinic_user, cert, records)


def test_a_signer_cannot_use_someone_elses_certificate(signer_user, other_signer_user, register_file_key,
                                                       make_awaiting_case, hcm_facility):
    cert = register_file_key(signer_user)
    _case, records = make_awaiting_case(facility=hcm_facility)

    with pytest.raises(NotFoundInScope):
        sign(other_signer_user, cert, records)


def test_a_correction_supersedes_the_signature_and_the_new_version_awaits_a_new_one(
        signer_user, register_file_key, make_awaiting_case, hanoi_facility, clinic_user):
    cert = register_file_key(signer_user)
    _case, records = make_awaiting_case(facility=hanoi_facility)
    sign(signer_user, cert, records)
    old_signature = Signature.objects.get()

    new = injection_record_correct(record=records[0], actor=clinic_user, lot_number="FK9999")

    old_signature.refresh_from_db()
    assert old_signature.status == Signature.Status.SUPERSEDED
    assert services.signature_verify(old_signature).ok  # still valid for the old version
    assert list(records_awaiting_signature(scope=scope_for(signer_user))) == [new]
    batch = sign(signer_user, cert, [new])
    assert batch.signed == 1
    new_signature = Signature.objects.get(record=new)
    assert new_signature.status == Signature.Status.VALID
    assert new_signature.police_reference == old_signature.police_reference
    assert services.signature_verify(new_signature).ok


@pytest.fixture
def eager_celery(settings):
    """Tasks run in-process (also when a broker is configured): these tests look at the hand-over."""
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield
    app.conf.task_always_eager = previous


def test_a_large_batch_goes_to_celery_with_the_passphrase_sealed(
        eager_celery, signer_user, register_file_key, make_awaiting_case, hanoi_facility, settings,
        django_capture_on_commit_callbacks):
    settings.SIGNING_SYNC_LIMIT = 1
    cert = register_file_key(signer_user)
    _case, records = make_awaiting_case(facility=hanoi_facility, doses=3)
    with django_capture_on_commit_callbacks(execute=True):
        batch = sign(signer_user, cert, records)

    assert batch.status == SigningBatch.Status.QUEUED
    (batch_id, sealed), = TaskOutbox.objects.filter(task=tasks.sign_batch.name, sent_at__isnull=False
                                                    ).values_list("args", flat=True)
    assert batch_id == batch.pk
    assert PASSPHRASE not in sealed and PASSPHRASE.encode().hex() not in sealed
    batch.refresh_from_db()
    assert (batch.status, batch.signed) == (SigningBatch.Status.DONE, 3)


def test_a_queued_batch_whose_key_expired_fails_without_signing(
        eager_celery, signer_user, register_file_key, make_awaiting_case, hanoi_facility, settings,
        django_capture_on_commit_callbacks):
    settings.SIGNING_SYNC_LIMIT = 1
    cert = register_file_key(signer_user)
    _case, records = make_awaiting_case(facility=hanoi_facility, doses=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = sign(signer_user, cert, records)
    caches["signing"].delete(sealing.secret_cache_key(batch.pk))  # the TTL ran out before a worker started
    for callback in callbacks:
        callback()

    batch.refresh_from_db()
    assert batch.status == SigningBatch.Status.FAILED
    assert "passphrase" in batch.message
    assert not Signature.objects.exists()
