"""`import_citizens`: load the population registry export into `Citizen`, idempotently."""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from records import normalize
from records.audit import record_event
from records.bulk import copy_text
from records.models import Citizen
from verification.imports.files import REGISTRY_COLUMNS, open_table
from verification.imports.report import ErrorReport
from verification.imports.validation import Lookups, validate_registry_row

BATCH = 20_000
COPY_COLUMNS = ("cccd", "cmnd", "full_name", "name_key", "date_of_birth", "birth_year", "dob_precision",
                "sex", "ward_id", "phone", "nationality", "created_at", "updated_at")


@dataclass
class CitizenImportResult:
    total: int = 0
    added: int = 0
    existing: int = 0  # already there (same CCCD): left unchanged
    invalid: int = 0
    error_report: Path | None = None


def _citizen_values(c: dict, now) -> tuple:
    birth = c["birth"]
    return (c["cccd"], c["cmnd"], c["full_name"], normalize.fold_name(c["full_name"]), birth.value,
            birth.year, birth.precision, c["sex"], c["ward_code"], c["phone"], "VN", now, now)


def _flush_postgres(batch: list[dict]) -> int:
    now = timezone.now()
    buf = io.StringIO()
    for c in batch:
        buf.write("\t".join(copy_text(v) for v in _citizen_values(c, now)))
        buf.write("\n")
    buf.seek(0)
    table = Citizen._meta.db_table
    cols = ", ".join(COPY_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS citizen_staging ON COMMIT DELETE ROWS AS "
                       f"SELECT {cols} FROM {table} WITH NO DATA")  # nosec B608 # constant SQL
        cursor.cursor.copy_expert(f"COPY citizen_staging ({cols}) FROM STDIN WITH (FORMAT text)", buf)
        cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM citizen_staging "
                       "ON CONFLICT (cccd) DO NOTHING")  # nosec B608 # constant SQL
        return cursor.rowcount


def _flush_orm(batch: list[dict]) -> int:
    now = timezone.now()
    with transaction.atomic():
        existing = set(Citizen.objects.filter(cccd__in=[c["cccd"] for c in batch])
                       .values_list("cccd", flat=True))
        fresh = [Citizen(**dict(zip(COPY_COLUMNS, _citizen_values(c, now)))) for c in batch
                 if c["cccd"] not in existing]
        Citizen.objects.bulk_create(fresh, batch_size=2000)
        return len(fresh)


def _close_connection() -> None:
    connection.close()  # looked up in the calling thread: its own connection


class _Writer:
    """Lands the batches. On PostgreSQL outside an outer transaction, in `WRITERS` threads of
    their own (each with its own connection, batches dealt round-robin) while the caller reads
    and checks the next batch, at most `AHEAD` batches behind: the index maintenance of one
    batch (most of an import's time: a registry row enters seven B-trees at random places)
    runs beside another's and beside the Python row checks, on two cores. Batches never hold
    the same CCCD (the caller keeps the first of the file), so the order they commit in
    cannot change what lands. Otherwise in line. `done()` is called with (batch size, rows
    added) for each landed batch, in file order."""

    WRITERS = 2
    AHEAD = 3

    def __init__(self, done: Callable[[int, int], None]):
        self.postgres = connection.vendor == "postgresql"
        self.done = done
        threaded = self.postgres and not connection.in_atomic_block
        # One single-thread pool per writer, so each connection is closed by its own thread.
        self.pools = [ThreadPoolExecutor(1) for _ in range(self.WRITERS)] if threaded else []
        self.pending: deque[tuple[int, Future]] = deque()
        self.sent = 0

    def submit(self, batch: list[dict]) -> None:
        if not self.pools:
            self.done(len(batch), _flush_postgres(batch) if self.postgres else _flush_orm(batch))
            return
        while len(self.pending) >= self.AHEAD:
            self._collect()
        pool = self.pools[self.sent % len(self.pools)]
        self.sent += 1
        self.pending.append((len(batch), pool.submit(_flush_postgres, batch)))

    def _collect(self) -> None:
        size, future = self.pending.popleft()
        self.done(size, future.result())

    def close(self) -> None:
        """Waits for every batch (raising the first failure) and closes the threads' connections."""
        if not self.pools:
            return
        try:
            while self.pending:
                self._collect()
        finally:
            for _size, future in self.pending:
                future.cancel()
            for pool in self.pools:
                pool.submit(_close_connection).result()  # the thread's own connection
                pool.shutdown(wait=True)


def import_citizens(*, path: Path | str, error_report: Path | str, actor=None,
                    progress: Callable[[int, int], None] | None = None) -> CitizenImportResult:
    """Add the registry's citizens that are not there yet (matched on CCCD); a citizen
    already present is left as it is. Invalid rows go to `error_report` with line, column
    and reason. Returns the counts. Raises MalformedFile (nothing written) for a bad file."""
    table = open_table(path, REGISTRY_COLUMNS)
    lookups = Lookups.load()
    result = CitizenImportResult(total=table.total, error_report=Path(error_report))
    batch: list[dict] = []
    seen: set[int] = set()  # the file's CCCDs so far (as numbers: 1M take about 60 MB)
    done = 0

    def landed(size: int, added: int) -> None:
        result.added += added
        result.existing += size - added

    writer = _Writer(landed)
    try:
        with ErrorReport(error_report) as report:
            for line, row in table.rows():
                done += 1
                citizen, errors = validate_registry_row(line, row, lookups)
                if errors:
                    report.add(errors)
                elif (key := int(citizen["cccd"])) in seen:
                    result.existing += 1  # the same CCCD twice in the file: the first wins
                else:
                    seen.add(key)
                    batch.append(citizen)
                    if len(batch) >= BATCH:
                        writer.submit(batch)
                        batch = []
                        if progress:
                            progress(done, table.total)
            if batch:
                writer.submit(batch)
            result.invalid = report.rows
    finally:
        writer.close()
    if progress:
        progress(done, table.total)
    record_event(actor=actor, action="citizen.import", object_type="records.citizen", object_id="",
                 after={"file": Path(path).name, "rows": result.total, "added": result.added,
                        "existing": result.existing, "invalid": result.invalid})
    return result
