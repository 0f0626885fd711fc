"""Steps 3 and 4 of the fast path: de-duplication against the file and the ledger, the
deterministic SQL link rule, and the landing of those links (ledger + injection record in one
statement per chunk)."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from records import normalize
from records.audit import record_event
from records.models import Citizen, InjectionRecord
from verification.imports.pg.stage import Session
from verification.imports.validation import INCOMPLETE, case_fields_missing
from verification.models import ImportedRow

SQL_LINK_CHUNK = 250_000  # lines per SQL-linking statement (one audit event each)
_SAME = ("c.name_key = f.fold AND c.date_of_birth = f.dob_date AND (f.sex_v IS NULL OR f.sex_v = c.sex) "
         "AND (f.phone = '' OR c.phone = '' OR f.phone = c.phone) "
         "AND (f.ward_id IS NULL OR c.ward_id IS NULL OR f.ward_id = c.ward_id)")


def completable_again(session: Session, facility) -> None:
    """An `incomplete` row that lacked only the commune, imported now for a facility (whose
    commune a case takes): out of the ledger, so that it is matched and lands."""
    if facility is None or facility.ward_id is None:
        return
    session.exec(f"""
        DELETE FROM {ImportedRow._meta.db_table} l USING vr_valid v
        WHERE l.source_record_id = v.rid AND l.content_hash = v.hash AND l.outcome = %(inc)s
          AND v.sex_v IS NOT NULL AND v.dob_year IS NOT NULL""",  # nosec B608 # constant SQL
        {"inc": INCOMPLETE})


def work(session: Session, *, ledger: bool = True) -> int:
    """vr_work: the first valid row of each (record id, content) not yet in the ledger,
    with `sql_link` = the citizen when the deterministic rule links it. Returns its size."""
    cit = Citizen._meta.db_table
    anti = (f"AND NOT EXISTS (SELECT 1 FROM {ImportedRow._meta.db_table} l "  # nosec B608 # constant SQL
            f"WHERE l.source_record_id = v.rid AND l.content_hash = v.hash)") if ledger else ""
    session.exec(f"""
        CREATE UNLOGGED TABLE vr_f AS
        SELECT DISTINCT ON (v.rid, v.hash) v.* FROM vr_valid v
        WHERE true {anti}
        ORDER BY v.rid, v.hash, v.line""")  # nosec B608 # constant SQL
    session.exec("ANALYZE vr_f")
    # The rule's index probes into the citizens, in two halves on two connections.
    session.exec("CREATE UNLOGGED TABLE vr_link (line int, id bigint)")
    session.halves(f"""
        INSERT INTO vr_link
        WITH f AS (SELECT * FROM vr_f WHERE {{part}}),
        cand AS (
          SELECT f.line, c.id, c.birth_year, c.name_key FROM f JOIN {cit} c ON c.cccd = f.idd
          WHERE length(f.idd) = 12 AND f.dob_prec = 'day' AND {_SAME}
          UNION ALL
          SELECT f.line, c.id, c.birth_year, c.name_key FROM f JOIN {cit} c ON c.cmnd = f.idd
          WHERE length(f.idd) = 9 AND f.dob_prec = 'day' AND {_SAME}
            AND NOT EXISTS (SELECT 1 FROM {cit} o WHERE o.cmnd = f.idd AND o.id <> c.id))
        SELECT cand.line, cand.id FROM cand
        WHERE NOT EXISTS (SELECT 1 FROM {cit} o WHERE o.birth_year = cand.birth_year
                            AND o.name_key = cand.name_key AND o.id <> cand.id)""",  # nosec B608 # fixed SQL
        {}, "vr_f")
    session.exec("""
        CREATE UNLOGGED TABLE vr_work AS
        SELECT f.*, link.id sql_link FROM vr_f f LEFT JOIN vr_link link ON link.line = f.line""")
    session.exec("DROP TABLE vr_f, vr_link")
    # The engine reads its batches by line range (without it, each batch was a full scan).
    session.exec("CREATE INDEX ON vr_work (line) WHERE sql_link IS NULL")
    session.exec("ANALYZE vr_work")
    return session.scalar("SELECT count(*) FROM vr_work")


def incomplete_again(session: Session, facility) -> int:
    """Rows the ledger holds as `incomplete` (no citizen matched them, and a case lacks a
    field) are not matched again: their error lines are repeated from the ledger. Returns how
    many lines got them."""
    ledger = ImportedRow._meta.db_table
    reasons = {e.column: e.reason for e in case_fields_missing(
        {"line": 0, "record_id": "", "sex": "", "birth": normalize.BirthDate(None, None, ""),
         "ward_code": None}, fallback_ward=None)}
    fallback = facility.ward_id if facility else None
    added = session.exec(f"""
        INSERT INTO vr_err (line, seq, record_id, col, val, reason)
        SELECT v.line, e.seq, v.rid, e.col, '', e.reason
        FROM (SELECT DISTINCT ON (v.rid, v.hash) v.* FROM vr_valid v
              JOIN {ledger} l
                ON l.source_record_id = v.rid AND l.content_hash = v.hash AND l.outcome = %(inc)s
              ORDER BY v.rid, v.hash, v.line) v,
        LATERAL (VALUES (100, 'sex', %(sex)s, v.sex_v IS NULL),
                        (101, 'date_of_birth', %(dob)s, v.dob_year IS NULL),
                        (102, 'ward_code', %(ward)s, v.ward_id IS NULL AND %(fallback)s::bigint IS NULL))
          e(seq, col, reason, cond)
        WHERE e.cond""",  # nosec B608 # constant SQL
        {"inc": INCOMPLETE, "sex": reasons["sex"], "dob": reasons["date_of_birth"],
                          "ward": reasons["ward_code"], "fallback": fallback})
    return session.scalar("SELECT count(DISTINCT line) FROM vr_err WHERE seq >= 100") if added else 0


# Each row's injection record id is drawn first, so that its ledger row (with the run's event
# and the line) names the record it becomes.
_LAND_SQL = """
    WITH src AS (
      SELECT w.*, nextval(pg_get_serial_sequence('{injections}', 'id')) injection_id FROM vr_work w
      WHERE sql_link IS NOT NULL AND line >= %(lo)s AND line < %(hi)s),
    new AS (
      INSERT INTO {ledger} (source_record_id, content_hash, job_id, outcome, created_at, import_event_id,
        line, injection_id)
      SELECT rid, hash, %(job)s, 'linked', %(now)s, %(event)s, line, injection_id FROM src
      ON CONFLICT (source_record_id, content_hash) DO NOTHING
      RETURNING source_record_id, content_hash, injection_id),
    ins AS (
      INSERT INTO {injections} (id, citizen_id, vaccine_id, dose_number, injection_date, lot_number,
        facility_id, source, status, version, source_record_id, created_by_id, created_at)
      SELECT n.injection_id, s.sql_link, s.vac_id, s.dose_n, s.inj_date, s.lot_t, %(facility)s, 'imported',
        'recorded', 1, s.rid, %(user)s, %(now)s
      FROM src s JOIN new n ON n.source_record_id = s.rid AND n.content_hash = s.hash
      RETURNING 1)
    SELECT (SELECT count(*) FROM src), (SELECT count(*) FROM ins),
           (SELECT min(line) FROM src), (SELECT max(line) FROM src)"""


def land_sql_links(session: Session, *, lander, result, progress) -> None:
    """The rows the SQL rule links land chunk by chunk, each chunk in its own transaction with
    one audit event; `progress()` after each."""
    sql = _LAND_SQL.format(ledger=ImportedRow._meta.db_table, injections=InjectionRecord._meta.db_table)
    lo, hi = session.fetch("SELECT min(line), max(line) FROM vr_work WHERE sql_link IS NOT NULL")[0]
    if lo is None:
        return
    job, facility = lander.job, lander.facility
    start = lo
    while start <= hi:
        end = start + SQL_LINK_CHUNK
        params = {"job": job.pk if job else None, "now": timezone.now(), "lo": start, "hi": end,
                  "facility": facility.pk if facility else None,
                  "user": lander.actor.pk if lander.actor else None}
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, {**params, "event": lander.event_id()})
            total, linked, first, last = cur.fetchone()
            if linked:
                record_event(actor=lander.actor, action="import.batch", object_type="verification.importjob",
                             object_id=job.pk if job else "",
                             after={"linked": linked, "review": 0, "none": 0, "skipped": total - linked,
                                    "first_line": first, "last_line": last, "rule": "sql",
                                    "facility": facility.pk if facility else None})
        result.linked += linked
        result.skipped += total - linked
        start = end
        progress()
