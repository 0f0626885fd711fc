"""The batch signing path: one chunk of records per transaction, tuples all the way.

``sign_chunk`` is what ``services.signing_batch_run`` runs for every chunk of a batch
(in the request for a small batch, in the Celery worker - and its forked helpers - for a
large one). Per chunk:

1. ONE query reads, for the chunk's ids, the records still unsigned that belong to an
   awaiting-signature case in the signer's scope (or correct a version signed in such a
   case), with every payload field, the case and the accepted police verification. On
   PostgreSQL the record rows are locked (``FOR UPDATE OF``), so a record signed
   meanwhile by another batch is re-checked and dropped, not signed twice.
2. The canonical payload is filled into a precompiled template
   (``canonical.record_payload_fast``: the same bytes as ``canonical_payload``), hashed,
   and the CMS signed attributes are the per-chunk template bytes around the digest.
3. The signatures go in with COPY (PostgreSQL) or ``bulk_create``; then ONE statement
   makes the records SIGNED and writes one audit event per record by ``INSERT ...
   SELECT`` from the signature rows just written.
4. The cases whose current doses are now all signed take the ``sign`` transition
   (``case_sign_bulk``: the state machine's ``cases_transition_bulk``, which writes the
   same CaseEvent and AuditEvent rows as ``case_transition``, set-wise).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from records.models import AuditEvent, InjectionRecord
from signing import bulk
from signing.canonical import police_fragment, record_payload_fast
from signing.cms import SignedAttributesTemplate, _utc_seconds
from signing.keystores import Signer
from signing.models import Signature
from vaxrecon.access import Scope
from vaxrecon.middleware import current_request_id
from verification.models import PoliceVerification
from verification.selectors import cases_in_scope
from verification.services.transitions import cases_transition_bulk
from verification.workflow import CaseStatus

UNSIGNED = (InjectionRecord.Status.RECORDED, InjectionRecord.Status.VERIFIED)
ACCEPTED = (PoliceVerification.Outcome.MATCH, PoliceVerification.Outcome.FOREIGN)

# Columns of one resolved row: 16 payload fields (record_payload_fast order), then the
# case id and the police verification (reference, outcome, at, ward of its case, officer).
_RESOLVE_SQL = """
WITH rec AS (
    SELECT r.id, r.version, r.previous_id, r.vaccine_id, r.dose_number, r.injection_date,
           r.lot_number, r.facility_id, r.citizen_id
    FROM records_injectionrecord r
    WHERE r.id {ids} AND r.status IN ({unsigned})
    {lock}
),
acase AS (
    SELECT rid, case_id FROM (
        SELECT t.injectionrecord_id AS rid, t.reconciliationcase_id AS case_id,
               ROW_NUMBER() OVER (PARTITION BY t.injectionrecord_id
                                  ORDER BY t.reconciliationcase_id DESC) AS n
        FROM verification_reconciliationcase_injections t
        WHERE t.injectionrecord_id IN (SELECT id FROM rec)
          AND t.reconciliationcase_id IN ({awaiting_cases})
    ) x WHERE n = 1
),
cpol AS (
    SELECT case_id, reference, outcome, at, ward_id, officer_id FROM (
        SELECT p.case_id, p.reference, p.outcome, p.at, k.ward_id, p.officer_id,
               ROW_NUMBER() OVER (PARTITION BY p.case_id ORDER BY p.at DESC, p.id DESC) AS n
        FROM verification_policeverification p
        JOIN verification_reconciliationcase k ON k.id = p.case_id
        WHERE p.case_id IN (SELECT case_id FROM acase) AND p.outcome IN ({accepted})
    ) y WHERE n = 1
),
prev AS (
    SELECT record_id, case_id, police_reference FROM (
        SELECT s.record_id, s.case_id, s.police_reference,
               ROW_NUMBER() OVER (PARTITION BY s.record_id ORDER BY s.signing_time DESC, s.id DESC) AS n
        FROM signing_signature s
        WHERE s.record_id IN (SELECT previous_id FROM rec
                              WHERE previous_id IS NOT NULL AND id NOT IN (SELECT rid FROM acase))
          AND s.case_id IN ({scope_cases})
    ) z WHERE n = 1
),
ppol AS (
    SELECT p.reference, p.outcome, p.at, k.ward_id, p.officer_id
    FROM verification_policeverification p
    JOIN verification_reconciliationcase k ON k.id = p.case_id
    WHERE p.reference IN (SELECT police_reference FROM prev)
)
SELECT r.id, r.version, r.previous_id, v.code, r.dose_number, r.injection_date, r.lot_number, f.code,
       c.full_name, c.sex, c.date_of_birth, c.birth_year, c.dob_precision, c.cccd, c.cmnd, c.nationality,
       COALESCE(a.case_id, pr.case_id),
       COALESCE(cp.reference, pp.reference), COALESCE(cp.outcome, pp.outcome),
       COALESCE(cp.at, pp.at), COALESCE(cp.ward_id, pp.ward_id), COALESCE(cp.officer_id, pp.officer_id)
FROM rec r
JOIN records_citizen c ON c.id = r.citizen_id
JOIN records_vaccineproduct v ON v.id = r.vaccine_id
LEFT JOIN records_facility f ON f.id = r.facility_id
LEFT JOIN acase a ON a.rid = r.id
LEFT JOIN cpol cp ON cp.case_id = a.case_id
LEFT JOIN prev pr ON pr.record_id = r.previous_id AND a.rid IS NULL
LEFT JOIN ppol pp ON pp.reference = pr.police_reference
WHERE COALESCE(cp.reference, pp.reference) IS NOT NULL
ORDER BY r.id
"""


def _subquery(qs) -> tuple[str, list]:
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _ids_clause(ids: Sequence[int]) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return "= ANY(%s::bigint[])", [list(ids)]
    return "IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]


def resolve_rows(ids: Sequence[int], scope: Scope) -> list[tuple]:
    """Return one tuple per record of ``ids`` ready to sign in ``scope`` (see ``_RESOLVE_SQL``)."""
    ids_sql, ids_params = _ids_clause(ids)
    awaiting_sql, awaiting_params = _subquery(
        cases_in_scope(scope=scope).filter(status=CaseStatus.AWAITING_SIGNATURE).order_by().values("pk"))
    scope_sql, scope_params = _subquery(cases_in_scope(scope=scope).order_by().values("pk"))
    sql = _RESOLVE_SQL.format(
        ids=ids_sql, unsigned=", ".join(["%s"] * len(UNSIGNED)),
        lock="FOR UPDATE OF r" if connection.vendor == "postgresql" else "",
        awaiting_cases=awaiting_sql, accepted=", ".join(["%s"] * len(ACCEPTED)), scope_cases=scope_sql)
    params = [*ids_params, *UNSIGNED, *awaiting_params, *ACCEPTED, *scope_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor != "postgresql":
        rows = [_sqlite_types(r) for r in rows]
    return rows


def _sqlite_types(row: tuple) -> tuple:
    # SQLite hands back dates and date-times of raw queries as text: give them the types
    # the ORM (and so the verifier's payload rebuild) gives them.
    row = list(row)
    for i in (5, 10):
        if isinstance(row[i], str):
            row[i] = parse_date(row[i])
    if isinstance(row[19], str):
        at = parse_datetime(row[19])
        row[19] = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return tuple(row)


@dataclass
class ChunkResult:
    signed: int
    skipped: int
    case_ids: set[int]


SIGNATURE_COLUMNS = ("record_id", "case_id", "police_reference", "payload_hash", "signature", "algorithm",
                     "certificate_id", "signing_time", "signed_by_id", "batch_id", "status")
AUDIT_COLUMNS = ("actor_id", "actor_label", "action", "object_type", "object_id", "before", "after", "at",
                 "request_id")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def sign_chunk(ids: Sequence[int], *, signer: Signer, template: SignedAttributesTemplate, user,
               scope: Scope, certificate_id: int, batch_id: int | None, audit: bool = True) -> ChunkResult:
    """Sign, store and audit the records of ``ids`` still ready in ``scope``; run inside a
    transaction. Returns counts and the ids of the cases the signed records belong to.

    ``audit=False`` is for measuring only (bench/sign_bench.py, "floor", in a transaction
    that is rolled back): the signatures and the records' status, no audit events and no
    case transition. Production callers never pass it."""
    rows = resolve_rows(ids, scope)
    now = timezone.now()
    when = _utc_seconds(now)
    around = template.around_digest(when)
    sha256, sign = hashlib.sha256, signer.sign
    police_of: dict[str, str] = {}
    out = []  # (record id, case id, police reference, hex hash, signature)
    for row in rows:
        reference = row[17]
        police = police_of.get(reference)
        if police is None:
            police = police_of[reference] = police_fragment(
                reference=reference, result=row[18], verified_at=row[19], ward=row[20], officer=row[21])
        digest = sha256(record_payload_fast(row[:16], police)).digest()
        attrs = around[0] + digest + around[1] if around else template.der(digest, when)
        out.append((row[0], row[16], reference, digest.hex(), sign(attrs)))
    if out:
        _write(out, algorithm=signer.algorithm.value, user=user, certificate_id=certificate_id,
               batch_id=batch_id, when=when, at=now, audit=audit)
    case_ids = {r[1] for r in out if r[1] is not None}
    if case_ids and audit:
        case_sign_bulk(case_ids, actor=user)
    return ChunkResult(signed=len(out), skipped=len(ids) - len(out), case_ids=case_ids)


def _write(out: list[tuple], *, algorithm: str, user, certificate_id: int, batch_id: int | None,
           when: dt.datetime, at: dt.datetime, audit: bool = True) -> None:
    label, request_id = user.get_username(), current_request_id()
    if connection.vendor != "postgresql":
        bulk.insert_rows(Signature, SIGNATURE_COLUMNS, (
            (rid, case_id, ref, digest, sig, algorithm, certificate_id, when, user.pk, batch_id,
             Signature.Status.VALID) for rid, case_id, ref, digest, sig in out))
        signed_ids = [r[0] for r in out]
        InjectionRecord.objects.filter(pk__in=signed_ids).update(status=InjectionRecord.Status.SIGNED)
        if not audit:
            return
        bulk.insert_rows(AuditEvent, AUDIT_COLUMNS, (
            (user.pk, label, "injection.sign", "records.injectionrecord", str(rid), None,
             {"status": InjectionRecord.Status.SIGNED, "payload_hash": digest, "police_reference": ref},
             at, request_id) for rid, _case, ref, digest, _sig in out))
        return
    esc = _COPY_ESCAPES
    sig_tail = "\t%s\t%d\t%s\t%d\t%s\tvalid\n" % (
        algorithm, certificate_id, when.isoformat(), user.pk, "\\N" if batch_id is None else batch_id)
    ref_text: dict[str, str] = {}
    sigs = []
    for rid, case_id, ref, digest, sig in out:
        text = ref_text.get(ref)
        if text is None:
            text = ref_text[ref] = ref.translate(esc)
        sigs.append("%d\t%s\t%s\t%s\t\\\\x%s%s" % (rid, "\\N" if case_id is None else case_id, text, digest,
                                                   sig.hex(), sig_tail))
    ids = [r[0] for r in out]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.copy_expert("COPY signing_signature (%s) FROM STDIN" % ", ".join(SIGNATURE_COLUMNS),
                        io.StringIO("".join(sigs)))
        if not audit:
            raw.execute(_RECORDS_SIGNED_SQL, {"ids": ids, "signed": InjectionRecord.Status.SIGNED.value})
            return
        raw.execute(_RECORDS_SIGNED_AUDITED_SQL, {
            "ids": ids, "signed": InjectionRecord.Status.SIGNED.value, "signer": user.pk, "label": label,
            "at": at, "request_id": request_id})


_RECORDS_SIGNED_SQL = ("UPDATE records_injectionrecord r SET status = %(signed)s "
                       "FROM unnest(%(ids)s::bigint[]) AS u(id) WHERE r.id = u.id")

# The records become SIGNED and each gets its ``injection.sign`` audit event, built from
# the signature row just written (the record's one valid signature: the partial unique
# index signature_one_valid_per_record, and the record was unsigned), in one statement.
# The "after" JSON is what the ORM path writes (status, payload_hash, police_reference;
# jsonb keeps no key order).
_RECORDS_SIGNED_AUDITED_SQL = """
WITH upd AS (
    UPDATE records_injectionrecord r SET status = %(signed)s
    FROM unnest(%(ids)s::bigint[]) AS u(id) WHERE r.id = u.id
)
INSERT INTO records_auditevent (actor_id, actor_label, action, object_type, object_id, before, after, at,
                                request_id)
SELECT %(signer)s, %(label)s, 'injection.sign', 'records.injectionrecord', s.record_id::text, NULL,
       jsonb_build_object('status', %(signed)s, 'payload_hash', s.payload_hash,
                          'police_reference', s.police_reference),
       %(at)s, %(request_id)s
FROM signing_signature s
WHERE s.record_id = ANY(%(ids)s::bigint[]) AND s.status = 'valid'
ORDER BY s.record_id
"""


# ------------------------------------------------------------------ case transitions

# A case is signed when every dose linked to it is: signed now, or superseded by a
# correction (its newer version is then the one signed).
DONE_RECORD_STATES = (InjectionRecord.Status.SIGNED, InjectionRecord.Status.SUPERSEDED)


def case_sign_bulk(case_ids: Iterable[int], *, actor) -> list[int]:
    """Take the ``sign`` transition for each case of ``case_ids`` that awaits signature and
    whose doses are all signed; returns the ids moved.

    The state machine's set-wise path (``cases_transition_bulk``: one statement on
    PostgreSQL). The caller has checked the signer's scope (only cases in it reach here).
    Must run inside a transaction.
    """
    return cases_transition_bulk(case_ids=case_ids, name="sign", actor=actor, doses_all_in=DONE_RECORD_STATES)
