"""Landing a batch of matched rows, in one transaction per batch:

* ``linked`` -> an `InjectionRecord` (source "imported", `source_record_id` = record id);
* ``review`` -> a `MatchReview` with the candidates and their per-field reasons;
* ``none``   -> a `ReconciliationCase` (origin bulk import, for the clinic) with its
  `ClaimedDose`.

Every landed row is written to the `ImportedRow` ledger (unique record id + content hash),
so re-running a file adds nothing. On PostgreSQL a batch goes through COPY into a staging
table and one INSERT ... ON CONFLICT DO NOTHING statement writes the ledger and the
injection records together; elsewhere the ORM's bulk_create does the same work.

The audit trail gets one `import.file` event per run (who, the file's name, size and SHA-256,
the job), written with the first rows that land, and one `import.batch` event per landed
batch (counts and line range), not one per row: each row's ledger entry names the run's
event, its line and the injection record it became; a review and a case's opening event
name the event and the line too (README: "who created this record, from which file line").
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from records import normalize
from records.audit import record_event
from records.bulk import copy_rows, copy_text
from records.models import Facility, InjectionRecord
from verification.imports.validation import INCOMPLETE, RowError, split_unlandable
from verification.linkage import LINKED, NONE, REVIEW
from verification.models import ImportedRow, ImportJob, MatchReview, ReconciliationCase
from verification.services.transitions import NewCase, cases_open_bulk
from verification.workflow import SYSTEM

NOTHING_LANDED = {"linked": 0, "review": 0, "none": 0, "skipped": 0}


@dataclass
class ImportResult:
    total: int = 0
    processed: int = 0
    linked: int = 0
    review: int = 0
    unmatched: int = 0
    invalid: int = 0
    skipped: int = 0  # already imported (same record id and content)
    error_report: Path | None = None
    timings: list = field(default_factory=list)  # (step, seconds) of the fast path


def record_json(r: dict) -> dict:
    """A validated row as stored on a review or shown on a page."""
    birth = r["birth"]
    return {
        "line": r["line"], "record_id": r["record_id"], "full_name": normalize.normalize_name(r["full_name"]),
        "date_of_birth": birth.value.isoformat() if birth.value else "", "birth_year": birth.year,
        "dob_precision": birth.precision, "sex": r["sex"], "id_number": r["id_number"], "phone": r["phone"],
        "province_code": r["province_code"], "ward_code": r["ward_code"], "vaccine_id": r["vaccine_id"],
        "vaccine": r["vaccine"], "dose_number": r["dose_number"],
        "injection_date": r["injection_date"].isoformat(), "lot_number": r["lot_number"],
    }


def file_digest(path: Path | str) -> str:
    """SHA-256 of a file, hex: an auditor holding a copy can tell it is the one imported."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


class Lander:
    """Writes one batch of matched rows; backend-specific ledger + injection records."""

    def __init__(self, *, facility: Facility | None, actor, job: ImportJob | None, path: Path | str):
        self.facility = facility
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.job = job
        self.path = Path(path)
        self.postgres = connection.vendor == "postgresql"
        self.label = self.actor.get_username() if self.actor else SYSTEM
        self._event_id: int | None = None

    def event_id(self) -> int:
        """The run's `import.file` audit event, which every row it lands names with its line:
        who imported, when, the file (name, size, SHA-256), the job and facility. Written with
        the first rows that land (in their transaction), so a run that lands nothing leaves none."""
        if self._event_id is None:
            self._event_id = record_event(
                actor=self.actor, action="import.file", object_type="verification.importjob",
                object_id=self.job.pk if self.job else "",
                after={"file": self.job.original_name if self.job else self.path.name,
                       "bytes": self.path.stat().st_size, "sha256": file_digest(self.path),
                       "facility": self.facility.pk if self.facility else None}).pk
        return self._event_id

    def land(self, rows: list[tuple[dict, object]]) -> dict[str, int]:
        """rows: (record, MatchResult). Returns counts of what landed (linked/review/none/skipped)."""
        with transaction.atomic():
            if self.postgres:
                fresh_keys, linked = self._ledger_and_injections_postgres(rows)
            else:
                fresh_keys, linked = self._ledger_and_injections_orm(rows)
            fresh = [(r, m) for r, m in rows if (r["record_id"], r["hash"]) in fresh_keys]
            reviews = [(r, m) for r, m in fresh if m.decision == REVIEW]
            unmatched = [(r, m) for r, m in fresh if m.decision == NONE]
            self._reviews(reviews)
            self._cases(unmatched)
            counts = {"linked": linked, "review": len(reviews), "none": len(unmatched),
                      "skipped": len(rows) - len(fresh)}
            if fresh:
                record_event(actor=self.actor, action="import.batch", object_type="verification.importjob",
                             object_id=self.job.pk if self.job else "",
                             after={**counts, "first_line": rows[0][0]["line"],
                                    "last_line": rows[-1][0]["line"],
                                    "facility": self.facility.pk if self.facility else None})
        return counts

    def record_incomplete(self, records: list[dict]) -> None:
        """Rows that matched nobody and lack a field a case needs: into the ledger with the
        outcome `incomplete` (nothing else lands), so that re-importing the same file repeats
        their errors without matching them again. A completed row has other content, hence
        another hash, and is matched then."""
        if records:
            now, event = timezone.now(), self.event_id()
            ImportedRow.objects.bulk_create(
                [ImportedRow(source_record_id=r["record_id"], content_hash=r["hash"], job=self.job,
                             outcome=INCOMPLETE, created_at=now, import_event_id=event, line=r["line"])
                 for r in records], batch_size=2000, ignore_conflicts=True)

    # -- ledger + injection records ------------------------------------------------------------

    def _ledger_and_injections_postgres(self, rows) -> tuple[set, int]:
        buf = io.StringIO()
        for r, m in rows:
            buf.write("\t".join(copy_text(v) for v in (
                r["record_id"], r["hash"], m.decision, m.citizen_id if m.decision == LINKED else None,
                r["vaccine_id"], r["dose_number"], r["injection_date"], r["lot_number"], r["line"])))
            buf.write("\n")
        buf.seek(0)
        ledger, injections = ImportedRow._meta.db_table, InjectionRecord._meta.db_table
        params = {"job": self.job.pk if self.job else None, "now": timezone.now(),
                  "facility": self.facility.pk if self.facility else None,
                  "user": self.actor.pk if self.actor else None, "event": self.event_id()}
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS import_staging (source_record_id varchar(64), "
                "content_hash varchar(64), decision varchar(10), citizen_id bigint, vaccine_id bigint, "
                "dose_number smallint, injection_date date, lot_number varchar(30), line int) "
                "ON COMMIT DELETE ROWS")
            # Inside an outer transaction (a test, a caller's atomic block) ON COMMIT has not
            # emptied it yet: a previous batch's rows must not land again.
            cursor.execute("TRUNCATE import_staging")
            cursor.cursor.copy_expert("COPY import_staging FROM STDIN WITH (FORMAT text)", buf)
            # Data-modifying CTEs run exactly once: the ledger decides which rows are new,
            # and only those become injection records, in one statement. A linked row's record
            # id is drawn first, so that its ledger row names the record it becomes.
            cursor.execute(
                f"""WITH src AS (
                      SELECT s.*, CASE WHEN s.decision = 'linked'
                        THEN nextval(pg_get_serial_sequence('{injections}', 'id')) END injection_id
                      FROM import_staging s),
                    new AS (
                      INSERT INTO {ledger} (source_record_id, content_hash, job_id, outcome, created_at,
                        import_event_id, line, injection_id)
                      SELECT source_record_id, content_hash, %(job)s, decision, %(now)s, %(event)s, line,
                        injection_id FROM src
                      ON CONFLICT (source_record_id, content_hash) DO NOTHING
                      RETURNING source_record_id, content_hash, outcome, injection_id),
                    linked AS (
                      INSERT INTO {injections} (id, citizen_id, vaccine_id, dose_number, injection_date,
                        lot_number, facility_id, source, status, version, source_record_id, created_by_id,
                        created_at)
                      SELECT n.injection_id, s.citizen_id, s.vaccine_id, s.dose_number, s.injection_date,
                        s.lot_number, %(facility)s, 'imported', 'recorded', 1, s.source_record_id, %(user)s,
                        %(now)s
                      FROM src s JOIN new n
                        ON n.source_record_id = s.source_record_id AND n.content_hash = s.content_hash
                      WHERE s.decision = 'linked'
                      RETURNING 1)
                    SELECT source_record_id, content_hash, outcome FROM new""",  # nosec B608 # constant SQL
                params)
            fresh = cursor.fetchall()
        return {(a, b) for a, b, _o in fresh}, sum(1 for *_k, o in fresh if o == LINKED)

    def _ledger_and_injections_orm(self, rows) -> tuple[set, int]:
        keys = [(r["record_id"], r["hash"]) for r, _m in rows]
        seen = set(ImportedRow.objects.filter(source_record_id__in={k[0] for k in keys})
                   .values_list("source_record_id", "content_hash"))
        now, event = timezone.now(), self.event_id()
        fresh = [(r, m) for r, m in rows if (r["record_id"], r["hash"]) not in seen]
        linked = InjectionRecord.objects.bulk_create([InjectionRecord(
            citizen_id=m.citizen_id, vaccine_id=r["vaccine_id"], dose_number=r["dose_number"],
            injection_date=r["injection_date"], lot_number=r["lot_number"], facility=self.facility,
            source=InjectionRecord.Source.IMPORTED, source_record_id=r["record_id"], created_by=self.actor,
            created_at=now) for r, m in fresh if m.decision == LINKED], batch_size=2000)
        records = iter(linked)
        ImportedRow.objects.bulk_create(
            [ImportedRow(source_record_id=r["record_id"], content_hash=r["hash"], job=self.job,
                         outcome=m.decision, created_at=now, import_event_id=event, line=r["line"],
                         injection=next(records) if m.decision == LINKED else None) for r, m in fresh],
            batch_size=2000)
        return {(r["record_id"], r["hash"]) for r, _m in fresh}, len(linked)

    # -- reviews and cases -----------------------------------------------------------------

    def _reviews(self, rows) -> None:
        """One open MatchReview per row: COPY on PostgreSQL, bulk_create elsewhere (the same rows)."""
        if not rows:
            return
        now, event = timezone.now(), self.event_id()
        reviews = [(self.job.pk if self.job else None, self.facility.pk if self.facility else None,
                    r["record_id"], record_json(r),
                    [{"citizen_id": c.citizen_id, "score": round(c.score, 2), "reasons": c.reason_dicts()}
                     for c in m.candidates]) for r, m in rows]
        if not self.postgres:
            MatchReview.objects.bulk_create([MatchReview(
                job_id=job, facility_id=facility, source_record_id=rid, record=record, candidates=candidates,
                created_at=now, import_event_id=event) for job, facility, rid, record, candidates in reviews],
                batch_size=1000)
            return
        copy_rows(MatchReview._meta.db_table, "job_id, facility_id, source_record_id, record, candidates, "
                  "status, note, created_at, import_event_id",
                  [(job, facility, rid, _json(record), _json(candidates), MatchReview.Status.OPEN, "", now,
                    event) for job, facility, rid, record, candidates in reviews])

    def _cases(self, rows) -> None:
        """One case per row, opened by the state machine's `import` opening (set-wise)."""
        cases_open_bulk(name="import", actor=self.actor, origin=ReconciliationCase.Origin.BULK_IMPORT,
                        cases=[self._new_case(r) for r, _m in rows])

    def _new_case(self, r: dict) -> NewCase:
        birth = r["birth"]
        name = normalize.normalize_name(r["full_name"])  # idempotent; the fast path brings it raw
        facility = self.facility.pk if self.facility else None
        return NewCase(
            fields={"full_name": name, "name_key": normalize.fold_name(name), "date_of_birth": birth.value,
                    "birth_year": birth.year, "dob_precision": birth.precision, "sex": r["sex"],
                    "id_number": r["id_number"], "phone": r["phone"],
                    "ward_id": r["ward_code"] or (self.facility.ward_id if self.facility else None),
                    "facility_id": facility, "confirmed": True},
            dose={"vaccine_id": r["vaccine_id"], "vaccine_text": r["vaccine"][:60],
                  "dose_number": r["dose_number"], "injection_date": r["injection_date"],
                  "facility_id": facility, "lot_number": r["lot_number"]},
            data={"job": self.job.pk if self.job else None, "line": r["line"], "record_id": r["record_id"],
                  "import_event": self.event_id()})


def _json(value) -> str:
    """A JSONField's value as its column stores it (the model's encoder)."""
    return json.dumps(value, cls=DjangoJSONEncoder)


def save_progress(job: ImportJob | None, result: ImportResult) -> None:
    """The job's counters, as the progress page shows them."""
    if job is not None:
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=result.processed, linked_rows=result.linked, review_rows=result.review,
            unmatched_rows=result.unmatched, invalid_rows=result.invalid, skipped_rows=result.skipped)


def land_matched(lander: Lander, result: ImportResult, batch: list[dict], matches: list, *,
                 fallback_ward: int | None) -> list[list[RowError]]:
    """Lands a matched batch and adds its counts to `result`; the unmatched rows a case cannot
    be made of go to the ledger as `incomplete`. Returns those rows' errors (one list per row)."""
    landing, incomplete, problems = split_unlandable(batch, matches, fallback_ward=fallback_ward)
    with transaction.atomic():  # the whole batch or none of it (a killed worker leaves no half)
        # Into the ledger as `incomplete`: a re-run repeats their errors without matching.
        lander.record_incomplete(incomplete)
        counts = lander.land(landing) if landing else NOTHING_LANDED
    result.linked += counts["linked"]
    result.review += counts["review"]
    result.unmatched += counts["none"]
    result.skipped += counts["skipped"]
    return problems


__all__ = ["ImportResult", "Lander", "land_matched", "record_json", "save_progress"]
