"""Signatures against plain SQL: the database refuses every change but a supersession; every
field of the signed payload changed in the database is caught by ``verify_signatures``; and
``verify_signatures --all`` also checks the other way (what is marked signed has a valid
signature, and the reverse). The bulk signing path's audit rows are in the audit chain."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Role
from records.models import AuditEvent, VaccineProduct
from records.services import injection_record_correct
from signing import canonical, services
from signing.models import Signature
from tests.factories import InjectionRecordFactory, make_user
from tests.signing.conftest import PASSPHRASE
from tests.tampering import around_the_guards, command_result
from verification.models import ReconciliationCase
from verification.workflow import CaseStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(signer_user, register_file_key, make_awaiting_case, hanoi_facility):
    """Two cases signed by the Hà Nội signer (two doses, one dose); returns (cases, records)."""
    cert = register_file_key(signer_user)
    made = [make_awaiting_case(facility=hanoi_facility, doses=2), make_awaiting_case(facility=hanoi_facility)]
    records = [r for _case, rs in made for r in rs]
    services.signing_start(user=signer_user, certificate_id=cert.pk, record_ids=[r.pk for r in records],
                           secret=PASSPHRASE)
    return [case for case, _rs in made], records


def run(*args) -> tuple[str, int]:
    return command_result("verify_signatures", *args)


def sql(statement: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def superuser_sql(statement: str, params=()) -> None:
    with around_the_guards() as cursor:
        cursor.execute(statement, params)


# --- the database guard on signatures ----------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE signing_signature SET payload_hash = repeat('0', 64) WHERE id = %s",
    "UPDATE signing_signature SET signing_time = signing_time - interval '1 day' WHERE id = %s"
    if connection.vendor == "postgresql" else
    "UPDATE signing_signature SET signing_time = '2021-01-01 00:00:00' WHERE id = %s",
    "UPDATE signing_signature SET status = 'superseded', superseded_at = signing_time, "
    "police_reference = 'X' WHERE id = %s",
    "UPDATE signing_signature SET status = 'superseded' WHERE id = %s",
    "DELETE FROM signing_signature WHERE id = %s",
])
def test_plain_sql_cannot_change_or_delete_a_signature(signed, statement):
    signature = Signature.objects.filter(record=signed[1][0]).get()

    with pytest.raises(IntegrityError, match="signing_signature"):
        sql(statement, [signature.pk])

    stored = Signature.objects.get(pk=signature.pk)
    assert (stored.payload_hash, stored.status, stored.signing_time) == (
        signature.payload_hash, signature.status, signature.signing_time)


def test_the_supersession_is_the_one_change_allowed_and_only_once(signed):
    signature = Signature.objects.filter(record=signed[1][0]).get()

    sql("UPDATE signing_signature SET status = 'superseded', superseded_at = %s WHERE id = %s",
        [timezone.now(), signature.pk])
    with pytest.raises(IntegrityError):
        sql("UPDATE signing_signature SET status = 'valid', superseded_at = NULL WHERE id = %s",
            [signature.pk])
    with pytest.raises(IntegrityError):
        sql("UPDATE signing_signature SET superseded_at = %s WHERE id = %s", [timezone.now(), signature.pk])

    assert Signature.objects.get(pk=signature.pk).status == Signature.Status.SUPERSEDED


# --- every signed payload field, changed in the database -----------------------------------------


TAMPERS = {
    # payload field: (table, SQL changing it for the signed record ``r``); %(x)s from _values()
    ("record", "id"): "UPDATE signing_signature SET record_id = %(other_record)s "
                      "WHERE record_id = %(record)s",
    ("record", "version"): "UPDATE records_injectionrecord SET version = 7 WHERE id = %(record)s",
    ("record", "previous_id"): "UPDATE records_injectionrecord SET previous_id = %(other_record)s "
                               "WHERE id = %(record)s",
    ("record", "vaccine"): "UPDATE records_injectionrecord SET vaccine_id = %(other_vaccine)s "
                           "WHERE id = %(record)s",
    ("record", "dose_number"): "UPDATE records_injectionrecord SET dose_number = 4 WHERE id = %(record)s",
    ("record", "injection_date"): "UPDATE records_injectionrecord SET injection_date = '2021-12-24' "
                                  "WHERE id = %(record)s",
    ("record", "lot_number"): "UPDATE records_injectionrecord SET lot_number = 'FORGED1' "
                              "WHERE id = %(record)s",
    ("record", "facility"): "UPDATE records_injectionrecord SET facility_id = %(other_facility)s "
                            "WHERE id = %(record)s",
    ("identity", "full_name"): "UPDATE records_citizen SET full_name = 'Lê Văn Giả' WHERE id = %(citizen)s",
    ("identity", "sex"): "UPDATE records_citizen SET sex = CASE sex WHEN 'M' THEN 'F' ELSE 'M' END "
                         "WHERE id = %(citizen)s",
    ("identity", "date_of_birth"): "UPDATE records_citizen SET date_of_birth = '1950-01-01' "
                                   "WHERE id = %(citizen)s",
    ("identity", "birth_year"): "UPDATE records_citizen SET birth_year = 1950 WHERE id = %(citizen)s",
    ("identity", "dob_precision"): "UPDATE records_citizen SET dob_precision = CASE dob_precision "
                                   "WHEN 'day' THEN 'year' ELSE 'day' END WHERE id = %(citizen)s",
    ("identity", "cccd"): "UPDATE records_citizen SET cccd = '079099000001' WHERE id = %(citizen)s",
    ("identity", "cmnd"): "UPDATE records_citizen SET cmnd = '123456789' WHERE id = %(citizen)s",
    ("identity", "nationality"): "UPDATE records_citizen SET nationality = 'LA' WHERE id = %(citizen)s",
    ("police", "reference"): "UPDATE signing_signature SET police_reference = %(other_reference)s "
                             "WHERE record_id = %(record)s",
    ("police", "result"): "UPDATE verification_policeverification SET outcome = 'foreign' "
                          "WHERE reference = %(reference)s",
    ("police", "verified_at"): "UPDATE verification_policeverification SET at = %(later)s "
                               "WHERE reference = %(reference)s",
    ("police", "ward"): "UPDATE verification_reconciliationcase SET ward_id = %(other_ward)s "
                        "WHERE id = %(case)s",
    ("police", "officer"): "UPDATE verification_policeverification SET officer_id = %(officer)s "
                           "WHERE reference = %(reference)s",
}


def test_every_field_of_the_signed_payload_has_a_tamper_case():
    fields = {("record", f) for f in canonical.RECORD_FIELDS}
    fields |= {("identity", f) for f in canonical.IDENTITY_FIELDS}
    fields |= {("police", f) for f in canonical.POLICE_FIELDS}

    assert set(TAMPERS) == fields


def _values(cases, records, hcm_facility) -> dict:
    record = records[0]
    signature = Signature.objects.get(record=record)
    other_signature = Signature.objects.exclude(case=cases[0]).first()
    return {"record": record.pk, "citizen": record.citizen_id, "case": cases[0].pk,
            "other_record": InjectionRecordFactory(citizen=records[2].citizen, facility=hcm_facility).pk,
            "reference": signature.police_reference,
            "other_reference": other_signature.police_reference,
            "other_vaccine": VaccineProduct.objects.exclude(pk=record.vaccine_id).first().pk,
            "other_facility": hcm_facility.pk,
            "other_ward": hcm_facility.ward_id, "later": signature.signing_time,
            "officer": make_user(Role.COMMUNE_POLICE, username="police-x", ward=cases[0].ward).pk}


@pytest.mark.parametrize("field", sorted(TAMPERS))
def test_a_signed_payload_field_changed_in_the_database_is_caught(signed, hcm_facility, field):
    cases, records = signed
    untouched, _code = run("--all")
    superuser_sql(TAMPERS[field], _values(cases, records, hcm_facility))

    out, code = run("--all")

    assert "FAIL" not in untouched
    assert code == 1
    assert re.search(rf"FAIL record {records[0].pk}\b", out), out
    assert "FAIL payload: The record in the database differs from what was signed." in out, out


# --- the other direction: what is marked signed -----------------------------------------------


def test_a_deleted_signature_row_is_reported_from_the_record_marked_signed(signed):
    cases, records = signed
    superuser_sql("DELETE FROM signing_signature WHERE record_id = %s", [records[2].pk])

    out, code = run("--all")

    assert code == 1
    assert (f"FAIL record {records[2].pk}: Record {records[2].pk} is marked signed but has no valid "
            "signature.") in out
    assert "2 signature(s) checked: 2 valid, 0 failed." in out  # the forward pass alone saw nothing
    assert f"Case {cases[1].pk} is marked signed but no signature was made in it." in out


def test_a_record_set_to_signed_by_sql_is_reported(signed, hanoi_facility, make_awaiting_case):
    _case, (unsigned,) = make_awaiting_case(facility=hanoi_facility)
    sql("UPDATE records_injectionrecord SET status = 'signed' WHERE id = %s", [unsigned.pk])

    out, code = run("--all")

    assert code == 1
    assert f"Record {unsigned.pk} is marked signed but has no valid signature." in out


def test_a_signed_record_set_back_to_recorded_by_sql_is_reported(signed):
    _cases, records = signed
    sql("UPDATE records_injectionrecord SET status = 'recorded' WHERE id = %s", [records[1].pk])

    out, code = run("--all")

    assert code == 1
    assert f"Record {records[1].pk} has a valid signature but is marked “Recorded”." in out


def test_a_case_set_to_signed_by_sql_is_reported(signed, hanoi_facility, make_awaiting_case):
    case, (record,) = make_awaiting_case(facility=hanoi_facility)
    sql("UPDATE verification_reconciliationcase SET status = 'signed' WHERE id = %s", [case.pk])

    out, code = run("--all")

    assert code == 1
    assert f"Case {case.pk} is marked signed but no signature was made in it." in out
    assert f"Case {case.pk} is marked signed but its record {record.pk} is “Recorded”." in out


def test_an_untouched_signed_set_has_no_mismatch_and_exits_zero(signed):
    cases, _records = signed

    out, code = run("--all")

    assert code == 0, out
    assert "marked signed checked against their signatures: 0 mismatch(es)." in out
    statuses = ReconciliationCase.objects.filter(pk__in=[c.pk for c in cases]).values_list("status",
                                                                                          flat=True)
    assert set(statuses) == {CaseStatus.SIGNED}


def test_a_correction_after_signing_is_not_a_mismatch(signed, clinic_user):
    _cases, records = signed
    injection_record_correct(record=records[2], actor=clinic_user, lot_number="FK9999")

    out, code = run("--all")

    assert code == 0, out


# --- the bulk signing path writes chained audit rows ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_bulk_signing_path_writes_its_audit_rows_into_an_unbroken_chain(signed):
    if connection.vendor != "postgresql":
        pytest.skip("the audit chain is kept on PostgreSQL only")
    out = StringIO()

    call_command("verify_audit_chain", stdout=out)

    signing_rows = AuditEvent.objects.filter(action__in=["injection.sign", "case.sign"])
    assert signing_rows.count() == 5
    assert not signing_rows.filter(chain_hash__isnull=True).exists()
    assert "0 problem(s)" in out.getvalue()


def test_a_deleted_police_verification_is_named_by_its_reference(signed):
    _cases, records = signed
    reference = Signature.objects.get(record=records[0]).police_reference
    superuser_sql("DELETE FROM verification_policeverification WHERE reference = %s", [reference])

    out, code = run("--all")

    assert code == 1
    assert re.search(rf"FAIL record {records[0].pk}\b", out), out
    # Records 1 and 2 were verified in one police round (one reference); record 3 in another.
    assert out.count(f"     FAIL payload: The police verification {reference} no longer exists.\n") == 2, out
    assert "3 signature(s) checked: 1 valid, 2 failed." in out
