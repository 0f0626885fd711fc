"""Fast synthetic data for demos and benchmarks: COPY on PostgreSQL, bulk_create elsewhere."""

from __future__ import annotations

import io
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from records import demo
from records.models import Citizen, Facility, InjectionRecord, VaccineProduct, Ward
from records.normalize import fold_name

BATCH = 20_000


def copy_text(value) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def copy_rows(table: str, columns: str, rows) -> None:
    """COPY `rows` (tuples of Python values, in the order of `columns`) into `table`."""
    buf = io.StringIO()
    for values in rows:
        buf.write("\t".join(copy_text(v) for v in values))
        buf.write("\n")
    buf.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT text)", buf)


def _citizen_rows(n: int, seed: int, wards: list[Ward]) -> Iterator[tuple]:
    rng = random.Random(seed)
    for i in range(n):
        sex = "F" if rng.random() < 0.51 else "M"
        name = demo.random_name(rng, sex)
        birth = demo.random_birth(rng)
        ward = wards[rng.randrange(len(wards))]
        # Serial from the index keeps CCCDs unique and the run deterministic.
        cccd = (demo.make_cccd(ward.province_id, sex, birth.year, (i * 7919 + seed) % 1_000_000)
                if i < 1_000_000 else None)
        year_only = rng.random() < 0.03
        yield (
            cccd, "" if rng.random() < 0.6 else f"{rng.randrange(10**8, 10**9)}", name, fold_name(name),
            None if year_only else birth, birth.year, "year" if year_only else "day", sex, ward.code,
            demo.random_phone(rng) if rng.random() < 0.85 else "", "VN",
        )


CITIZEN_COLUMNS = ["cccd", "cmnd", "full_name", "name_key", "date_of_birth", "birth_year",
                   "dob_precision", "sex", "ward_id", "phone", "nationality"]


def _copy(table: str, columns: list[str], rows: list[tuple]) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row))
        buf.write("\n")
    buf.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)", buf
        )


DOSE_COLUMNS = ["citizen_id", "vaccine_id", "dose_number", "injection_date", "lot_number",
                "facility_id", "source", "status", "version", "source_record_id", "created_at"]


def _insert_citizens(rows: list[tuple], now, *, postgres: bool) -> None:
    if postgres:
        _copy(Citizen._meta.db_table, [*CITIZEN_COLUMNS, "created_at", "updated_at"],
              [(*row, now, now) for row in rows])
    else:
        Citizen.objects.bulk_create(
            [Citizen(**dict(zip(CITIZEN_COLUMNS, row)), created_at=now) for row in rows], batch_size=2000)


def _insert_doses(rows: list[tuple], *, postgres: bool) -> None:
    if postgres:
        _copy(InjectionRecord._meta.db_table, DOSE_COLUMNS, rows)
    else:
        InjectionRecord.objects.bulk_create(
            [InjectionRecord(**dict(zip(DOSE_COLUMNS, row))) for row in rows], batch_size=2000)


@dataclass
class _Doses:
    """What generated citizens' doses are drawn from: one random stream for the whole run."""

    rng: random.Random
    vaccines: dict[str, int]
    facilities_by_ward: dict[int, list[int]]
    all_facilities: list[int]

    def rows(self, citizens: list[tuple], now) -> list[tuple]:
        """The dose rows of citizens just inserted (found again by their CCCD)."""
        cccds = [row[0] for row in citizens if row[0]]
        ids = dict(Citizen.objects.filter(cccd__in=cccds).values_list("cccd", "id"))
        return [dose for row in citizens if row[0] in ids for dose in self._of(ids[row[0]], row[8], now)]

    def _of(self, citizen_id: int, ward_id: int, now) -> list[tuple]:
        rng = self.rng
        code, interval = demo.VACCINE_SCHEDULES[rng.randrange(len(demo.VACCINE_SCHEDULES))]
        n_doses = 1 if code == "janssen" else rng.choice([1, 2, 2, 2, 3, 3])
        facility = rng.choice(self.facilities_by_ward.get(ward_id) or self.all_facilities)
        return [(citizen_id, self.vaccines[code], k, when, demo.random_lot(rng), facility,
                 "administered", "recorded", 1, "", now)
                for k, when in enumerate(demo.injection_dates(rng, interval, n_doses), start=1)]


def _dose_source(seed: int) -> _Doses:
    facilities_by_ward: dict[int, list[int]] = {}
    for f in Facility.objects.filter(active=True).values("id", "ward_id"):
        facilities_by_ward.setdefault(f["ward_id"], []).append(f["id"])
    return _Doses(rng=random.Random(seed + 1),
                  vaccines=dict(VaccineProduct.objects.values_list("code", "id")),
                  facilities_by_ward=facilities_by_ward,
                  all_facilities=[f for ids in facilities_by_ward.values() for f in ids])


def _land(citizens: list[tuple], doses: _Doses | None, *, postgres: bool) -> tuple[int, int]:
    """One batch in one transaction: the citizens, then their doses. Returns the counts added."""
    now = timezone.now()
    with transaction.atomic():
        _insert_citizens(citizens, now, postgres=postgres)
        dose_rows = doses.rows(citizens, now) if doses else []
        if doses:
            _insert_doses(dose_rows, postgres=postgres)
    return len(citizens), len(dose_rows)


def _new_batches(rows: Iterator[tuple], existing: set[str]) -> Iterator[tuple[list[tuple], int]]:
    """The rows whose CCCD is not there yet, BATCH at a time, each batch with the count of rows
    read so far; the last batch (perhaps empty) comes when the rows run out."""
    batch: list[tuple] = []
    done = 0
    for row in rows:
        done += 1
        if row[0] is not None and row[0] in existing:
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch, done
            batch = []
    yield batch, done


def generate(
    *, citizens: int, seed: int = 2021, with_doses: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Create up to `citizens` synthetic citizens (and their doses) that are not there yet.

    Deterministic for a seed: a second run finds every CCCD present and adds nothing.
    Returns (citizens added, doses added).
    """
    wards = list(Ward.objects.filter(facilities__isnull=False).distinct()) or list(Ward.objects.all()[:50])
    source = _dose_source(seed)
    doses = source if with_doses and source.all_facilities else None
    existing = set(Citizen.objects.exclude(cccd=None).values_list("cccd", flat=True).iterator())
    postgres = connection.vendor == "postgresql"
    added_c = added_d = 0
    for batch, done in _new_batches(_citizen_rows(citizens, seed, wards), existing):
        if batch:
            landed_c, landed_d = _land(batch, doses, postgres=postgres)
            added_c, added_d = added_c + landed_c, added_d + landed_d
        if progress:
            progress(done, citizens)
    return added_c, added_d


def terminal_progress(label: str) -> Callable[[int, int], None]:
    """A progress printer: rows done, rate and time left, on one terminal line."""
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = done / elapsed
        left = (total - done) / rate if rate and total else 0
        sys.stderr.write(f"\r{label}: {done:,}/{total:,} rows, {rate:,.0f}/s, {left:,.0f}s left   ")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


__all__ = ["generate", "terminal_progress"]
