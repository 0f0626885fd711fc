"""The linkage engine over the citizens in the database (the dry run over a file is `matchfile`).

The engine itself (`verification.linkage`) is pure Python; this module feeds it the
citizen table and turns its results into what commands and imports need.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing as mp
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Count, F, Func, Q, Value
from django.db.models.functions import Concat

from records import normalize
from records.models import Citizen, Ward
from verification.linkage import (
    CITIZEN_ROW_FIELDS,
    CitizenIndex,
    Engine,
    LinkageConfig,
    MatchResult,
    RegistryCounts,
)
from verification.linkage.engine import fork_pool
from verification.linkage.training import fit_m

FIT_SAMPLE = 5_000
SHARED_COUNTS_MAX = 500  # values of one kind whose counts `_counted` shares through the cache
CANDIDATES_SHOWN = 5
IDENTITY_COLUMNS = ("full_name", "date_of_birth", "sex", "id_number", "phone", "province_code", "ward_code")


def linkage_config() -> LinkageConfig:
    """Thresholds from the settings; a setting left empty keeps the engine's default."""
    overrides = {name: value for name, value in (
        ("link_threshold", getattr(settings, "LINKAGE_LINK_THRESHOLD", None)),
        ("link_probability", getattr(settings, "LINKAGE_LINK_PROBABILITY", None)),
        ("review_threshold", getattr(settings, "LINKAGE_REVIEW_THRESHOLD", None)),
        ("min_margin", getattr(settings, "LINKAGE_MIN_MARGIN", None))) if value is not None}
    return dataclasses.replace(LinkageConfig(), **overrides)


def load_citizen_index() -> CitizenIndex:
    """Every citizen in the database, indexed by primary key.

    Uses the engine's own PostgreSQL loader when it has one (it may read with COPY);
    otherwise streams `values_list` through a server-side cursor.
    """
    loader = getattr(CitizenIndex, "from_postgres", None)
    if loader is not None and connection.vendor == "postgresql":
        try:
            connection.ensure_connection()
            return loader(connection.connection)
        except TypeError:  # a different signature than expected: fall back, stay correct
            pass
    rows = Citizen.objects.values_list(*CITIZEN_ROW_FIELDS).order_by().iterator(chunk_size=20_000)
    return CitizenIndex.from_rows(rows)


def calibrated_index(pks: Iterable[int], *, full_name: str = "") -> CitizenIndex:
    """These citizens (a case's block) as an index that scores them as the whole registry
    would: its N and term frequencies are the registry's (`registry_counts`), so a pair gets
    the score `load_citizen_index` would give it, without loading a million citizens."""
    rows = Citizen.objects.filter(pk__in=list(pks)).values_list(*CITIZEN_ROW_FIELDS)
    index = CitizenIndex.from_rows(rows, estimate_u=False)
    index.calibrate(registry_counts(index, full_name=full_name))
    return index


def _key(kind: str, value) -> str:
    """A cache key for a count of `value` (names hold spaces, which cache keys should not)."""
    return f"linkage:{kind}:" + hashlib.blake2b(str(value).encode(), digest_size=12).hexdigest()


def _counted(qs, key: str, values) -> dict:
    """How many rows of `qs` hold each of `values` in `key` (absent: 0), each value's count
    shared through the cache as `_shared`'s are. COUNT(*), not of the id: the index on `key`
    answers it alone (a ward of 4,500 citizens read 4,685 heap pages for COUNT(id), 150 ms)."""
    values = sorted({v for v in values if v})
    if not values:
        return {}
    # A case page's block has a few values; a shard's index tens of thousands, counted once a run.
    age = settings.LINKAGE_REGISTRY_SIZE_MAX_AGE if len(values) <= SHARED_COUNTS_MAX else 0
    names = {v: _key(key, v) for v in values}
    cached = cache.get_many(list(names.values())) if age else {}
    counts = {v: cached[names[v]] for v in values if names[v] in cached}
    missing = [v for v in values if v not in counts]
    if missing:
        found = dict(qs.filter(**{f"{key}__in": missing}).order_by().values(key)
                     .annotate(n=Count("*")).values_list(key, "n"))
        fresh = {v: found.get(v, 0) for v in missing}
        counts.update(fresh)
        if age:
            cache.set_many({names[v]: n for v, n in fresh.items()}, age)
    return {v: n for v, n in counts.items() if n}


def _shared(name: str, count):
    """`count()`, shared through the cache for LINKAGE_REGISTRY_SIZE_MAX_AGE seconds: these
    figures read thousands of rows or all of them, and a few citizens more or less do not move
    a log2 weight."""
    age = settings.LINKAGE_REGISTRY_SIZE_MAX_AGE
    value = cache.get(name) if age else None
    if value is None:
        value = count()
        if age:
            cache.set(name, value, age)
    return value


def _table(qs, key: str) -> dict:
    """How many rows of `qs` hold each value of `key`: one scan for all its values."""
    return dict(qs.order_by().values(key).annotate(n=Count("pk")).values_list(key, "n"))


def _by_ward() -> tuple[int, dict, dict]:
    """(the registry's size, citizens by province, citizens by ward; None: no ward), from one
    scan of the ward index (COUNT(*): no heap read) and the ward list. Counting by province
    through the join read every citizen's row, and the size was a scan of its own: 76 + 420-570
    ms on the national set, this 150-210 ms (EXPLAIN ANALYZE)."""
    wards = dict(Citizen.objects.order_by().values("ward_id").annotate(n=Count("*"))
                 .values_list("ward_id", "n"))
    province_of = dict(Ward.objects.values_list("code", "province_id"))
    provinces: dict = {}
    for ward, n in wards.items():
        province = province_of.get(ward)
        provinces[province] = provinces.get(province, 0) + n
    return sum(wards.values()), provinces, wards


def registry_counts(index: CitizenIndex, *, full_name: str = "", every_ends: bool = False) -> RegistryCounts:
    """How many citizens of the registry share each value the citizens of `index` hold; the
    "family given" of `full_name` (the record's name) is counted only when a citizen of
    another name shares it (the one comparison that reads it, and a scan). `every_ends`
    (a shard of the registry): every "family given" pair, from one count of the whole table."""
    people = Citizen.objects
    years = [int(y) for y in np.unique(index.year) if y]
    days = [date(d // 10000, d // 100 % 100, d % 100) for d in (int(d) for d in np.unique(index.dob)) if d]
    phones = [str(int(p))[1:] for p in np.unique(index.phone) if p]
    dobs: dict = {}
    for year in years:  # every date of the year at once, cached per year
        dobs.update(_shared(f"linkage:dobs:{year}", lambda y=year: _table(people.filter(birth_year=y),
                                                                           "date_of_birth")))
    population, provinces, by_ward = _shared("linkage:by-ward", _by_ward)
    counts = RegistryCounts(
        population=population,
        provinces=provinces,
        years=_shared("linkage:years", lambda: _table(people, "birth_year")),
        dobs={int(day.strftime("%Y%m%d")): dobs.get(day, 0) for day in days},
        names=_counted(people, "name_key", index.names),
        wards={w: by_ward[w] for w in (int(w) for w in np.unique(index.ward) if w) if by_ward.get(w)},
        phones={int("1" + phone): n for phone, n in _counted(people, "phone", phones).items()})
    if every_ends:
        counts.ends = _shared("linkage:ends", _ends_table)
    words = normalize.fold_name(full_name).split()
    ends = f"{words[0]} {words[-1]}" if len(words) > 1 else ""
    if ends in index.ends_ids and any(name != " ".join(words) for name in index.names):
        counts.ends[ends] = _shared(_key("ends", ends), lambda: people.filter(Q(name_key=ends) | Q(
            name_key__startswith=f"{words[0]} ", name_key__endswith=f" {words[-1]}")).count())
    return counts


def _ends_table() -> dict[str, int]:
    """How many citizens hold each "family given" (first and last word of the folded name)."""
    ends = Func(F("name_key"), Value(" "), Value(1), function="split_part", output_field=CharField())
    last = Func(F("name_key"), Value("^.* "), Value(""), function="regexp_replace", output_field=CharField())
    pairs = Citizen.objects.annotate(ends=Concat(ends, Value(" "), last, output_field=CharField()))
    return _table(pairs, "ends")


def default_workers() -> int:
    # A daemonic process (Celery prefork child) cannot fork a pool.
    if mp.current_process().daemon:
        return 1
    return 2


@dataclass
class Matcher:
    """An engine ready for a batch of records; `match(records)` keeps input order."""

    engine: Engine
    workers: int = 1

    def match(self, records: list[Mapping]) -> list[MatchResult]:
        if not records:
            return []
        workers = self.workers if len(records) >= 1000 else 1  # a pool costs more than it saves
        return list(self.engine.match_many(records, workers=workers))

    @contextmanager
    def pool(self):
        """For a stream of batches: `submit(records)` returns a handle whose `get()` gives the
        results. With 2+ workers the engine gets that many forked processes of its own
        (sharing the index copy-on-write), each matching a whole batch, so that this
        process can land one batch while the next ones are matched. Otherwise `get()`
        matches in this process."""
        if self.workers <= 1 or "fork" not in mp.get_all_start_methods():
            yield InlinePool(self)
            return
        global _POOL_ENGINE  # noqa: PLW0603 - the forked children inherit it instead of a pickled copy per task
        _POOL_ENGINE = self.engine
        try:
            # Children never touch the database and leave through os._exit: the parent's
            # connection socket they inherit is not closed by them.
            with fork_pool(self.workers) as pool:
                yield _Pooled(pool)
        finally:
            _POOL_ENGINE = None


_POOL_ENGINE = None


def _pool_match(records: list[Mapping]) -> list[MatchResult]:
    return list(_POOL_ENGINE.match_many(records, workers=1))


class _Handle:
    def __init__(self, get):
        self.get = get


class InlinePool:
    def __init__(self, matcher: Matcher):
        self.matcher = matcher

    def submit(self, records: list[Mapping]) -> _Handle:
        return _Handle(lambda: self.matcher.match(records))


class _Pooled:
    def __init__(self, pool):
        self.pool = pool

    def submit(self, records: list[Mapping]) -> _Handle:
        if not records:
            return _Handle(list)
        return _Handle(self.pool.apply_async(_pool_match, (list(records),)).get)


def build_matcher(*, sample: list[Mapping] | None = None, fit: bool = True, workers: int | None = None,
                  index: CitizenIndex | None = None) -> Matcher:
    """A matcher over the database's citizens. With `fit`, the m-probabilities are
    re-estimated on `sample` (records of the file being matched; no labels needed)."""
    index = index if index is not None else load_citizen_index()
    config = linkage_config()
    if fit and sample and index.size:
        config = fit_m(index, sample, config)
    return Matcher(Engine(index, config), workers=default_workers() if workers is None else workers)


def probe_of(row: Mapping) -> dict:
    """The identity columns the engine reads, nothing else (records cross processes)."""
    return {name: row.get(name) for name in IDENTITY_COLUMNS}


def record_probe(record: Mapping) -> dict:
    """The engine's view of a validated record (see `validation.validate_report_row`)."""
    birth = record["birth"]
    return {"full_name": record["full_name"], "date_of_birth": birth.value or birth.year,
            "sex": record["sex"], "id_number": record["id_number"], "phone": record["phone"],
            "province_code": record["province_code"], "ward_code": record["ward_code"]}


def external_ids(pks: Iterable[int]) -> dict[int, str]:
    """pk -> the citizen's CCCD (the registry's citizen id), or the CMND when there is none."""
    out: dict[int, str] = {}
    pks = list(set(pks))
    for start in range(0, len(pks), 10_000):
        for pk, cccd, cmnd in Citizen.objects.filter(pk__in=pks[start:start + 10_000]).values_list(
                "pk", "cccd", "cmnd"):
            out[pk] = cccd or cmnd
    return out


MATCH_OUTPUT_COLUMNS = ("record_id", "decision", "citizen_id", "score", "candidates", "ties")
