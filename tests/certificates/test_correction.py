"""A correction of a signed record revokes the certificates built on it (in the correction's
transaction); once the corrected dose is signed, the next issue makes a new certificate with a
new UVCI and the citizen is told by SMS."""

from __future__ import annotations

from datetime import date

import pytest

from certificates import services
from certificates.models import VaccinationCertificate
from certificates.verify import Verdict, verify_hc1
from records.models import AuditEvent, InjectionRecord
from records.services import injection_record_correct
from vaxrecon.errors import InvalidInput
from verification import sms
from verification.models import PoliceVerification, ReconciliationCase
from verification.workflow import CaseStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox():
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def test_a_correction_revokes_the_certificate_and_audits_it(dsc, signed_citizen, clinic_user):
    citizen, records = signed_citizen()
    old = services.certificate_issue(citizen=citizen).certificate

    injection_record_correct(record=records[1], actor=clinic_user, lot_number="FK9999")

    old.refresh_from_db()
    assert old.status == VaccinationCertificate.Status.REVOKED and old.revoked_at is not None
    assert verify_hc1(old.hc1).verdict is Verdict.REVOKED
    event = AuditEvent.objects.get(action="certificate.revoke")
    assert (event.actor, event.object_id) == (clinic_user, str(old.pk))
    assert event.after["record_id"] == records[1].pk and event.after["uvci"] == old.uvci


def test_a_correction_of_a_record_of_no_certificate_revokes_nothing(dsc, signed_citizen, clinic_user):
    citizen, _records = signed_citizen()
    cert = services.certificate_issue(citizen=citizen).certificate
    _other, other_records = signed_citizen()

    injection_record_correct(record=other_records[0], actor=clinic_user, lot_number="FK9999")

    cert.refresh_from_db()
    assert cert.status == VaccinationCertificate.Status.VALID
    assert not AuditEvent.objects.filter(action="certificate.revoke").exists()


def test_after_the_correction_is_signed_a_new_certificate_with_a_new_uvci_is_issued_and_sms_sent(
        dsc, signed_citizen, sign_records, clinic_user, outbox, django_capture_on_commit_callbacks):
    citizen, records = signed_citizen()
    old = services.certificate_issue(citizen=citizen).certificate
    corrected = injection_record_correct(record=records[1], actor=clinic_user,
                                         injection_date=date(2021, 9, 2))

    with pytest.raises(InvalidInput, match="not signed yet"):
        services.certificate_issue(citizen=citizen)
    sign_records([corrected])  # a correction of a signed record is signed again in the same scope
    with django_capture_on_commit_callbacks(execute=True):
        new = services.certificate_issue(citizen=citizen)

    assert new.created and new.certificate.uvci != old.uvci and new.certificate.replaces_id == old.pk
    assert verify_hc1(new.certificate.hc1).verdict is Verdict.VALID
    assert verify_hc1(new.certificate.hc1).dcc["v"][0]["dt"] == "2021-09-02"
    assert verify_hc1(old.hc1).verdict is Verdict.REVOKED
    [message] = outbox
    assert message.phone == citizen.phone and new.certificate.uvci in message.text


def test_a_new_signed_dose_replaces_the_certificate_without_revoking_it(
        dsc, signed_citizen, sign_records, hanoi_facility, outbox):
    citizen, records = signed_citizen()
    first = services.certificate_issue(citizen=citizen).certificate
    booster = InjectionRecord.objects.create(citizen=citizen, vaccine=records[0].vaccine, dose_number=3,
                                             injection_date=date(2022, 3, 1), facility=hanoi_facility)
    case = ReconciliationCase.objects.create(
        origin=ReconciliationCase.Origin.CLINIC_ENTRY, status=CaseStatus.AWAITING_SIGNATURE,
        full_name=citizen.full_name, birth_year=citizen.birth_year, date_of_birth=citizen.date_of_birth,
        sex=citizen.sex, id_number=citizen.cccd, ward=hanoi_facility.ward, facility=hanoi_facility,
        citizen=citizen)
    case.injections.set([booster])
    PoliceVerification.objects.create(case=case, source=PoliceVerification.Source.REGISTRY,
                                      outcome=PoliceVerification.Outcome.MATCH)
    sign_records([booster])

    second = services.certificate_issue(citizen=citizen)

    first.refresh_from_db()
    assert second.created and second.certificate.replaces_id == first.pk
    assert first.status == VaccinationCertificate.Status.REPLACED
    assert verify_hc1(first.hc1).verdict is Verdict.VALID  # still true for the doses it names
    assert verify_hc1(second.certificate.hc1).dcc["v"][0]["dn"] == 3
    assert not outbox  # nothing was wrong with the first one
