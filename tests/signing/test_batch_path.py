"""The batch signing path: the one-query resolve, the set-wise case transition, the
audit rows as the ORM writes them, and the forked helpers on PostgreSQL. (That every
path of the set-wise transition writes what ``case_transition`` writes, JSON key by key,
is tested in tests/verification/test_cases_transition_bulk.py.)"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from records.models import AuditEvent, InjectionRecord
from signing import batchsign, cms, runner, services
from signing.keystores import FileKeySigner
from signing.models import Signature, SigningBatch
from tests.signing.conftest import PASSPHRASE, make_awaiting_case
from vaxrecon.access import scope_for
from verification.models import CaseEvent
from verification.services.transitions import case_transition
from verification.workflow import CaseStatus


def _events(case):
    event = CaseEvent.objects.get(case=case, transition="sign")
    audit = AuditEvent.objects.get(action="case.sign", object_id=str(case.pk))
    return ((event.actor_id, event.actor_label, event.transition, event.from_status, event.to_status,
             event.message, event.data),
            (audit.actor_id, audit.actor_label, audit.object_type, audit.before,
             {k: v for k, v in audit.after.items()}))


@pytest.mark.django_db
def test_the_set_wise_sign_transition_writes_what_case_transition_writes(signer_user, make_awaiting_case,
                                                                         hanoi_facility):
    one, records_one = make_awaiting_case(facility=hanoi_facility)
    two, records_two = make_awaiting_case(facility=hanoi_facility)
    InjectionRecord.objects.filter(pk__in=[r.pk for r in records_one + records_two]).update(
        status=InjectionRecord.Status.SIGNED)

    case_transition(case=one, name="sign", actor=signer_user)
    moved = batchsign.case_sign_bulk({two.pk}, actor=signer_user)

    assert moved == [two.pk]
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == two.status == CaseStatus.SIGNED
    (event_one, audit_one), (event_two, audit_two) = _events(one), _events(two)
    assert event_one == event_two
    # The snapshots differ only where the two cases differ (names, ids), not in shape or status.
    assert audit_one[:3] == audit_two[:3]
    assert set(audit_one[3]) == set(audit_two[3]) and set(audit_one[4]) == set(audit_two[4])
    assert audit_two[3]["status"] == CaseStatus.AWAITING_SIGNATURE
    assert audit_two[4]["status"] == CaseStatus.SIGNED


@pytest.mark.django_db
def test_the_set_wise_transition_leaves_cases_with_unsigned_doses(signer_user, make_awaiting_case,
                                                                  hanoi_facility):
    case, records = make_awaiting_case(facility=hanoi_facility, doses=2)
    InjectionRecord.objects.filter(pk=records[0].pk).update(status=InjectionRecord.Status.SIGNED)

    assert batchsign.case_sign_bulk({case.pk}, actor=signer_user) == []
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_SIGNATURE


@pytest.mark.django_db
def test_the_resolve_query_returns_only_records_ready_in_scope(signer_user, other_signer_user,
                                                                make_awaiting_case, hanoi_facility,
                                                                hcm_facility):
    case, records = make_awaiting_case(facility=hanoi_facility, doses=2)
    _other, outside = make_awaiting_case(facility=hcm_facility)
    rows = batchsign.resolve_rows([r.pk for r in records + outside], scope_for(signer_user))

    assert [r[0] for r in rows] == sorted(r.pk for r in records)
    police = case.verifications.get()
    for row, record in zip(rows, sorted(records, key=lambda r: r.pk)):
        assert row[16] == case.pk and row[17] == police.reference and row[20] == case.ward_id
        values = InjectionRecord.objects.filter(pk=record.pk).values(*services.RECORD_VALUES).get()
        pv = {"reference": police.reference, "outcome": police.outcome, "at": police.at,
              "case__ward_id": case.ward_id, "officer_id": police.officer_id}
        fragment = batchsign.police_fragment(reference=row[17], result=row[18], verified_at=row[19],
                                             ward=row[20], officer=row[21])
        assert batchsign.record_payload_fast(row[:16], fragment) == services.record_payload(values, pv)


@pytest.mark.django_db(transaction=True)
def test_a_large_batch_is_signed_by_forked_helpers_on_postgresql(settings, monkeypatch, signer_user,
                                                                  register_file_key, reference_data,
                                                                  hanoi_facility):
    if connection.vendor != "postgresql":
        pytest.skip("forked helpers run on PostgreSQL only (SQLite signs in one process)")
    settings.SIGNING_CHUNK, settings.SIGNING_PROCESSES, settings.SIGNING_SYNC_LIMIT = 3, 2, 10_000
    forked = []
    real_run_forked = runner._run_forked

    def spy(chunks, processes, work):
        forked.append((len(chunks), processes))
        return real_run_forked(chunks, processes, work)

    monkeypatch.setattr(runner, "_run_forked", spy)
    cert = register_file_key(signer_user)
    cases = [make_awaiting_case(facility=hanoi_facility, doses=2) for _ in range(7)]
    records = [r for _case, rs in cases for r in rs]

    batch = services.signing_start(user=signer_user, certificate_id=cert.pk,
                                   record_ids=[r.pk for r in records], secret=PASSPHRASE)

    assert (batch.status, batch.signed, batch.skipped) == (SigningBatch.Status.DONE, 14, 0), batch.message
    assert forked == [(5, 2)]
    assert Signature.objects.count() == 14
    assert all(r.ok for r in services.signatures_verify(Signature.objects.all()))
    for case, _records in cases:
        case.refresh_from_db()
        assert case.status == CaseStatus.SIGNED
        assert CaseEvent.objects.filter(case=case, transition="sign").count() == 1
    assert AuditEvent.objects.filter(action="injection.sign").count() == 14


@pytest.mark.django_db
def test_the_set_wise_transition_takes_only_awaiting_cases_and_notifies_after_commit(
        signer_user, make_awaiting_case, hanoi_facility, django_capture_on_commit_callbacks):
    ready, ready_records = make_awaiting_case(facility=hanoi_facility)
    ready.phone, ready.confirmed = "0912345678", True
    ready.save()
    closed, closed_records = make_awaiting_case(facility=hanoi_facility)
    closed.status = CaseStatus.CLOSED
    closed.save()
    InjectionRecord.objects.filter(pk__in=[r.pk for r in ready_records + closed_records]).update(
        status=InjectionRecord.Status.SIGNED)

    with django_capture_on_commit_callbacks() as callbacks:
        moved = batchsign.case_sign_bulk({ready.pk, closed.pk}, actor=signer_user)

    assert moved == [ready.pk]
    assert len(callbacks) == 1
    closed.refresh_from_db()
    assert closed.status == CaseStatus.CLOSED
    assert not CaseEvent.objects.filter(case=closed, transition="sign").exists()
    assert not AuditEvent.objects.filter(action="case.sign", object_id=str(closed.pk)).exists()


def _chunk(user, cert, ids, **options):
    signer = FileKeySigner.from_pkcs12(cert.pkcs12, PASSPHRASE)
    with transaction.atomic():
        template = cms.SignedAttributesTemplate(signer.certificate)
        return batchsign.sign_chunk(ids, signer=signer, template=template, user=user, scope=scope_for(user),
                                    certificate_id=cert.pk, batch_id=None, **options)


@pytest.mark.django_db
def test_each_signed_record_gets_one_audit_event_built_from_its_signature(signer_user, register_file_key,
                                                                          make_awaiting_case, hanoi_facility):
    """The ``injection.sign`` rows (INSERT ... SELECT from the signatures on PostgreSQL,
    Python rows on SQLite) carry what the ORM path writes: actor, record, status, the
    signature's payload hash and police reference; nothing for records not signed."""
    cert = register_file_key(signer_user)
    case, records = make_awaiting_case(facility=hanoi_facility, doses=3)
    already = records[0]
    InjectionRecord.objects.filter(pk=already.pk).update(status=InjectionRecord.Status.SIGNED)

    result = _chunk(signer_user, cert, [r.pk for r in records])

    assert (result.signed, result.skipped) == (2, 1)
    audits = {a.object_id: a for a in AuditEvent.objects.filter(action="injection.sign")}
    assert set(audits) == {str(r.pk) for r in records[1:]}
    for signature in Signature.objects.filter(record__in=records[1:]):
        audit = audits[str(signature.record_id)]
        assert (audit.actor_id, audit.actor_label, audit.object_type, audit.before) == (
            signer_user.pk, signer_user.username, "records.injectionrecord", None)
        assert audit.after == {"status": "signed", "payload_hash": signature.payload_hash,
                               "police_reference": signature.police_reference}
    case.refresh_from_db()
    assert case.status == CaseStatus.SIGNED


@pytest.mark.django_db
def test_the_measuring_mode_without_audit_writes_only_signatures_and_statuses(
        signer_user, register_file_key, make_awaiting_case, hanoi_facility):
    """``audit=False`` (the bench's floor, never production): signatures and record
    statuses only; no audit event, no case transition."""
    cert = register_file_key(signer_user)
    case, records = make_awaiting_case(facility=hanoi_facility, doses=2)
    audits_before = AuditEvent.objects.count()

    result = _chunk(signer_user, cert, [r.pk for r in records], audit=False)

    assert result.signed == 2
    assert Signature.objects.filter(record__in=records).count() == 2
    statuses = InjectionRecord.objects.filter(pk__in=[r.pk for r in records]).values_list("status", flat=True)
    assert set(statuses) == {InjectionRecord.Status.SIGNED}
    assert AuditEvent.objects.count() == audits_before
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_SIGNATURE
    assert not CaseEvent.objects.filter(case=case, transition="sign").exists()
