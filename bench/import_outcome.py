"""What an import landed, in a form two runs can be compared by: one digest per table.

    .venv/bin/python bench/import_outcome.py DB [--out FILE]

Reads the database DB (PostgreSQL on 127.0.0.1, user postgres) and prints, for the injection
records, the ledger, the match reviews, the cases with their claimed doses and timeline events,
and the import's batch audit events, the row count and the MD5 of their content in a fixed order,
without what differs between two runs of the same file by design: ids (a case's doses and events
are listed with the case, a record by its source record id), tracking codes and timestamps (a
case's deadline is kept as its distance from the submission). The references a run's rows make
to its own `import.file` audit event (issue 16) are left out too, so that a run before that
change compares with one after it. `--out` writes the ordered content itself, for a diff.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess

PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-AtX"]
QUERIES = {
    "injection records": """
        SELECT source_record_id, citizen_id, vaccine_id, dose_number, injection_date, lot_number,
               facility_id, source, status, version, created_by_id
        FROM records_injectionrecord ORDER BY source_record_id, citizen_id, injection_date, dose_number""",
    "ledger": """
        SELECT l.source_record_id, l.content_hash, l.outcome, l.job_id
        FROM verification_importedrow l ORDER BY l.source_record_id, l.content_hash""",
    "match reviews": """
        SELECT source_record_id, job_id, facility_id, record, candidates, status, note
        FROM verification_matchreview ORDER BY source_record_id, record->>'line'""",
    "cases": """
        SELECT (e.data->>'line')::int line, k.origin, k.status, k.full_name, k.name_key, k.date_of_birth,
               k.birth_year, k.dob_precision, k.sex, k.id_number, k.phone, k.nationality, k.ward_id,
               k.facility_id, k.citizen_id, k.confirmed, k.reject_reason, k.reject_note, k.info_request,
               k.police_values, k.claimed_by_id, k.claim_expires_at, k.closed_at,
               k.deadline_at - k.submitted_at deadline
        FROM verification_reconciliationcase k
        JOIN verification_caseevent e ON e.case_id = k.id AND e.transition = 'import'
        ORDER BY line""",
    "claimed doses": """
        SELECT (e.data->>'line')::int line, d.vaccine_id, d.vaccine_text, d.dose_number, d.injection_date,
               d.facility_id, d.lot_number, d.injection_id
        FROM verification_claimeddose d
        JOIN verification_caseevent e ON e.case_id = d.case_id AND e.transition = 'import'
        ORDER BY line, d.id""",
    "case events": """
        SELECT (o.data->>'line')::int line, e.actor_id, e.actor_label, e.transition, e.from_status,
               e.to_status, e.message, e.data - 'import_event'
        FROM verification_caseevent e
        JOIN verification_caseevent o ON o.case_id = e.case_id AND o.transition = 'import'
        ORDER BY line, e.id""",
    "batch audit events": """
        SELECT actor_id, actor_label, action, object_type, object_id, before, after
        FROM records_auditevent WHERE action = 'import.batch'
        ORDER BY (after->>'first_line')::int, after->>'rule' NULLS LAST""",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db")
    ap.add_argument("--out")
    args = ap.parse_args()
    out = open(args.out, "w", encoding="utf-8") if args.out else None  # noqa: SIM115 - closed below
    try:
        for name, sql in QUERIES.items():
            text = subprocess.run(PSQL + ["-d", args.db, "-c", sql], check=True, capture_output=True,
                                  text=True).stdout
            rows = text.count("\n")
            digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
            print(f"{name}: {rows:,} rows, md5 {digest}")
            if out:
                out.write(f"== {name}\n{text}")
    finally:
        if out:
            out.close()


if __name__ == "__main__":
    main()
