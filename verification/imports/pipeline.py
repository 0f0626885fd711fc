"""`import_records`: a facility's injection log (CSV or XLSX) -> records, reviews, cases.

The procedure, one step per name:

1. read: the file is checked and its rows streamed (`files`);
2. validate: each row by the rule table `records.rules` (`validation`; bad rows -> the error
   report, `report`);
3. de-duplicate: one row per (record id, content) of the file, and none the `ImportedRow`
   ledger has already seen;
4. match: the rest against the citizens (`linking`, the linkage engine);
5. land: links, reviews and cases, batch by batch (`landing`).

Two backends do these steps with the same outcome: on PostgreSQL the set-wise fast path
(`pg`: COPY, SQL validation from the same rule table, SQL de-duplication and deterministic
links, the engine for the rest), elsewhere (or with ``fast=False``) the portable path here,
row by row in Python.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from verification.imports.files import REPORT_COLUMNS, open_table
from verification.imports.landing import ImportResult, Lander, land_matched, save_progress
from verification.imports.linking import FIT_SAMPLE, Matcher, build_matcher, load_citizen_index, record_probe
from verification.imports.pg.run import FastImport
from verification.imports.report import ErrorReport
from verification.imports.validation import (
    INCOMPLETE,
    Lookups,
    case_fields_missing,
    content_hash,
    same_id_other_content,
    validate_report_row,
)
from verification.models import ImportedRow, ImportJob

BATCH = 10_000


def import_records(
    *, path: Path | str, error_report: Path | str, facility=None, actor=None, job: ImportJob | None = None,
    progress: Callable[[int, int], None] | None = None, batch_size: int = BATCH, workers: int | None = None,
    fit: bool = True, matcher: Matcher | None = None, fast: bool | None = None,
) -> ImportResult:
    """Import a log file; returns the counts. Invalid rows are listed in `error_report`
    (line, record id, column, value, reason); valid rows land as `landing` describes. Raises
    MalformedFile, with nothing written, for a file that is not such a table.
    `job`, when given, is kept up to date (`processed_rows` and the counts) after every batch.
    `fast` (default: on PostgreSQL) takes the set-based path of `pg`; `fast=False`
    forces the row-by-row portable path, which gives the same outcome.
    """
    if fast is None:
        fast = connection.vendor == "postgresql"
    options = {"path": path, "error_report": error_report, "facility": facility, "actor": actor, "job": job,
               "progress": progress, "batch_size": batch_size, "workers": workers, "fit": fit,
               "matcher": matcher}
    if fast:
        return _fast_run(**options).run()
    return _PortableRun(**options).run()


# -- the portable path ----------------------------------------------------------------------------

class _PortableRun:
    def __init__(self, *, path, error_report, facility, actor, job, progress, batch_size, workers, fit,
                 matcher):
        self.table = open_table(path, REPORT_COLUMNS)  # 1. read (checks the whole file first)
        self.lookups = Lookups.load()
        self.result = ImportResult(total=self.table.total, error_report=Path(error_report))
        self.lander = Lander(facility=facility, actor=actor, job=job, path=path)
        self.fallback_ward = facility.ward_id if facility else None
        self.job, self.progress, self.batch_size = job, progress, batch_size
        self.matcher, self.workers, self.fit = matcher, workers, fit
        if job is not None:
            ImportJob.objects.filter(pk=job.pk).update(total_rows=self.table.total)

    def _validated(self, report: ErrorReport):
        """2. validate: (done, record) of each valid row; the others' errors go to the report,
        with a valid row whose record id an earlier valid row of the file has with other content."""
        first_seen: dict[str, tuple[int, str]] = {}  # record id -> (line, content hash)
        for done, (line, row) in enumerate(self.table.rows(), start=1):
            record, errors = validate_report_row(line, row, self.lookups)
            if errors:
                report.add(errors)
                yield done, None
                continue
            record["hash"] = content_hash(row, REPORT_COLUMNS)
            first = first_seen.setdefault(record["record_id"], (line, record["hash"]))
            if first[1] != record["hash"]:
                report.add([same_id_other_content(line, record["record_id"], first[0])])
                yield done, None
                continue
            yield done, record

    def _fit_sample(self) -> list[dict]:
        sample = []
        for line, row in self.table.rows():
            record, _errors = validate_report_row(line, row, self.lookups)
            if record:
                sample.append(record_probe(record))
            if len(sample) >= FIT_SAMPLE:
                break
        return sample

    def run(self) -> ImportResult:
        with ErrorReport(self.result.error_report) as report:
            if self.matcher is None:
                self.matcher = build_matcher(sample=self._fit_sample(), fit=self.fit, workers=self.workers)
            batch: list[dict] = []
            done = 0
            for done, record in self._validated(report):
                if record is None:
                    continue
                batch.append(record)
                if len(batch) >= self.batch_size:
                    self._flush(batch, report)
                    batch = []
                    self._report_progress(done, report)
            self._flush(batch, report)
            self._report_progress(done, report)
        return self.result

    def _report_progress(self, done: int, report: ErrorReport) -> None:
        self.result.processed = done
        self.result.invalid = report.rows
        save_progress(self.job, self.result)
        if self.progress:
            self.progress(done, self.table.total)

    def _flush(self, batch: list[dict], report: ErrorReport) -> None:
        """3. de-duplicate, 4. match and 5. land one batch."""
        if not batch:
            return
        new, skipped = self._deduplicate(batch, report)
        matches = self.matcher.match([record_probe(r) for r in new])  # 4. match
        for errors in land_matched(self.lander, self.result, new, matches, fallback_ward=self.fallback_ward):
            report.add(errors)
        self.result.skipped += skipped

    def _deduplicate(self, batch: list[dict], report: ErrorReport) -> tuple[list[dict], int]:
        """The batch's rows the ledger has not seen, one per (record id, content); and how many
        were skipped. A row the ledger holds as incomplete repeats its errors without matching."""
        unique: dict[tuple, dict] = {}
        for r in batch:
            unique.setdefault((r["record_id"], r["hash"]), r)
        rows = list(unique.values())
        seen = self._ledger_outcomes(rows)
        new = [r for r in rows if (r["record_id"], r["hash"]) not in seen]
        again = [r for r in rows if seen.get((r["record_id"], r["hash"])) == INCOMPLETE]
        for r in again:  # matched nobody last time and still lacks a field: same errors, no matching
            report.add(case_fields_missing(r, fallback_ward=self.fallback_ward))
        return new, len(batch) - len(new) - len(again)

    def _ledger_outcomes(self, rows: list[dict]) -> dict[tuple, str]:
        """(record id, hash) -> outcome of the rows already in the ledger. An incomplete row that
        lacked only the commune, now imported for a facility, leaves the ledger to be matched again."""
        seen = {(rid, h): outcome for rid, h, outcome in ImportedRow.objects.filter(
            source_record_id__in={r["record_id"] for r in rows}).values_list(
            "source_record_id", "content_hash", "outcome")}
        for r in rows:
            key = (r["record_id"], r["hash"])
            if seen.get(key) == INCOMPLETE and not case_fields_missing(r, fallback_ward=self.fallback_ward):
                ImportedRow.objects.filter(
                    source_record_id=key[0], content_hash=key[1], outcome=INCOMPLETE
                ).delete()
                del seen[key]
        return seen


# -- the PostgreSQL fast path ---------------------------------------------------------------------

def _fast_run(*, path, error_report, facility, actor, job, progress, batch_size, workers, fit, matcher):
    if connection.vendor != "postgresql":
        raise RuntimeError("The fast import path needs PostgreSQL.")
    result = ImportResult(error_report=Path(error_report))
    Path(error_report).parent.mkdir(parents=True, exist_ok=True)

    def matcher_factory(sample, index=None):
        return matcher if matcher is not None else build_matcher(sample=sample, fit=fit, workers=workers,
                                                                 index=index)

    # On a plain run the citizen index loads in a thread while SQL links land; not when the
    # caller brings a matcher, nor inside an outer transaction (another connection would not
    # see its uncommitted citizens).
    loader = load_citizen_index if matcher is None and not connection.in_atomic_block else None
    return FastImport(path=path, report_path=error_report, result=result,
                      lander=Lander(facility=facility, actor=actor, job=job, path=path),
                      lookups=Lookups.load(),
                      progress=progress, batch_size=batch_size, matcher_factory=matcher_factory,
                      index_loader=loader)


def check_sql_links(*, path, sample: int = 20_000, workers: int | None = None, fit: bool = True) -> dict:
    """Benchmark aid: validates `path` and applies the SQL linking rule ignoring the ledger,
    then asks the engine about a random sample of those links. Writes nothing."""
    with tempfile.TemporaryDirectory() as tmp:
        run = _fast_run(path=path, error_report=Path(tmp) / "errors.csv", facility=None, actor=None, job=None,
                        progress=None, batch_size=BATCH, workers=workers, fit=fit, matcher=None)
        return run.dry_check(sample)


__all__ = ["BATCH", "check_sql_links", "import_records"]
