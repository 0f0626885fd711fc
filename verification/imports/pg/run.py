"""One run of the PostgreSQL fast path, step by step (see the package docstring), and step 5:
the rows the SQL rule does not link go through the linkage engine in batches and land as on
the portable path."""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from pathlib import Path

from django.db import connection

from records import normalize
from vaxrecon.spreadsheets import csv_writer
from verification.imports.landing import land_matched, save_progress
from verification.imports.linking import FIT_SAMPLE, InlinePool, record_probe
from verification.imports.pg import classify, link, stage
from verification.imports.report import HEADER
from verification.models import ImportJob

_RECORD_SQL = """SELECT line, rid, name, sex_v, dob_date, dob_year, dob_prec, idd, phone, prov_eff, ward_id,
                        vac_id, vac_name, dose_n, inj_date, lot_t, hash
                 FROM {table} WHERE {where} ORDER BY line"""
_ERR_COLUMNS = "line, seq, record_id, col, val, reason"


def _record(row) -> dict:
    (line, rid, name, sex, dob_date, dob_year, dob_prec, idd, phone, prov, ward, vac_id, vac_name, dose,
     inj_date, lot, hash_) = row
    # The name as the file gives it (trimmed): the engine normalises it itself, and the
    # lander only for the rows that become reviews or cases (most rows are links).
    return {"line": line, "record_id": rid, "full_name": name, "sex": sex or "",
            "birth": normalize.BirthDate(dob_date, dob_year, dob_prec or ""), "id_number": idd,
            "phone": phone, "province_code": prov, "ward_code": ward, "vaccine_id": vac_id,
            "vaccine": vac_name, "dose_number": dose, "injection_date": inj_date, "lot_number": lot,
            "hash": hash_}


class FastImport:
    """One run of the fast path; `run()` fills the ImportResult given by the caller."""

    def __init__(self, *, path, report_path, result, lander, lookups, progress, batch_size, matcher_factory,
                 index_loader=None):
        self.path = Path(path)
        self.report_path = Path(report_path)
        self.result = result
        self.lander = lander
        self.lookups = lookups
        self.facility = lander.facility
        self.job = lander.job
        self.progress = progress
        self.batch_size = batch_size
        self.matcher_factory = matcher_factory
        self.session = stage.Session()
        self.timings = result.timings  # (step, seconds), in order
        self.index_loader = index_loader  # loads the engine's citizen index (own connection, own thread)
        self._matcher_obj = None
        self._index_future = None
        self._index_pool = None

    @contextmanager
    def _step(self, name: str):
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings.append((name, time.monotonic() - started))

    def _report_progress(self, done: int | None = None):
        r = self.result
        r.processed = done if done is not None else min(
            r.total, r.invalid + r.skipped + r.linked + r.review + r.unmatched)
        save_progress(self.job, r)
        if self.progress:
            self.progress(r.processed, r.total)

    # -- steps 1 to 4 ----------------------------------------------------------------------------

    def _validate(self, *, ledger: bool) -> int:
        """Steps 1 and 2; returns the number of valid rows (the rows already imported aside)."""
        s, r = self.session, self.result
        with self._step("setup"):
            s.setup()
            fold = classify.folding(s)
        with self._step("staging COPY"):
            exprs, blank = stage.stage(s, self.path)
        with self._step("vaccine lookup"):
            stage.load_vaccines(s, self.lookups, exprs["vaccine"], blank)
        with self._step("rows already imported"):
            known = classify.known_rows(s, exprs, blank, ledger=ledger)
        with self._step("cleaning (vr_rows)"):
            classify.classify(s, exprs, blank, fold)
            r.total = s.scalar("SELECT count(*) FROM vr_rows") + known
            if self.job is not None:
                ImportJob.objects.filter(pk=self.job.pk).update(total_rows=r.total)
            s.exec("ANALYZE vr_rows")
        with self._step("unusual names in Python"):
            classify.unusual_names(s)
        with self._step("error lines"):
            classify.sql_errors(s, self.lookups.today)
        with self._step("unusual rows in Python"):
            classify.unusual_rows(s, self.lookups)
        with self._step("valid rows"):
            classify.valid_rows(s)
            classify.same_id_conflicts(s)
            return s.scalar("SELECT count(*) FROM vr_valid")

    def _prepare(self, *, ledger: bool = True):
        s, r = self.session, self.result
        valid = self._validate(ledger=ledger)
        with self._step("ledger anti-join and link rule"):
            if ledger:
                link.completable_again(s, self.facility)
            r.skipped += valid - link.work(s, ledger=ledger) + s.scalar("SELECT count(*) FROM vr_known")
            if ledger:
                r.skipped -= link.incomplete_again(s, self.facility)
            r.invalid = s.scalar("SELECT count(DISTINCT line) FROM vr_err")
        if self.index_loader and s.scalar("SELECT count(*) FROM vr_work WHERE sql_link IS NULL"):
            # The engine will be needed: its citizen index loads (on another connection) while
            # this one lands the SQL-rule links.
            self._index_pool = ThreadPoolExecutor(1)
            self._index_future = self._index_pool.submit(self._load_index)

    def _load_index(self):
        try:
            return self.index_loader()
        finally:
            connection.close()  # this thread's own connection

    # -- 5. the engine for the rest --------------------------------------------------------------

    def _batches(self):
        """The rows left to the engine, a batch at a time. In pieces by line: a server-side cursor
        cannot stay open across the batches' own transactions, and memory stays flat."""
        last = 0
        while rows := self.session.fetch(_RECORD_SQL.format(
                table="vr_work", where="sql_link IS NULL AND line > %(after)s") + " LIMIT %(n)s",
                {"after": last, "n": self.batch_size}):
            last = rows[-1][0]
            yield [_record(r) for r in rows]

    def _engine_rows(self):
        if not self.session.scalar("SELECT count(*) FROM vr_work WHERE sql_link IS NULL"):
            return
        with self._step("engine: citizen index and fit"):
            matcher = self._matcher()
        fallback_ward = self.facility.ward_id if self.facility else None
        t_read = t_match = t_land = 0.0
        pending: deque = deque()
        batches = self._batches()
        # With a pool, the engine's processes match the next batches while this one lands.
        ahead = max(getattr(matcher, "workers", 1), 1) + 1
        pool_cm = matcher.pool() if hasattr(matcher, "pool") else nullcontext(InlinePool(matcher))
        with pool_cm as pool:
            while True:
                t0 = time.monotonic()
                while len(pending) < ahead and (batch := next(batches, None)) is not None:
                    pending.append((batch, pool.submit([record_probe(r) for r in batch])))
                if not pending:
                    break
                batch, handle = pending.popleft()
                t1 = time.monotonic()
                results = handle.get()
                t2 = time.monotonic()
                problems = [e for errors in land_matched(self.lander, self.result, batch, results,
                                                         fallback_ward=fallback_ward) for e in errors]
                self._report_errors(problems)
                self.result.invalid += len({e.line for e in problems})
                self._report_progress()
                t_read, t_match, t_land = t_read + t1 - t0, t_match + t2 - t1, t_land + time.monotonic() - t2
        self.timings.extend([("engine: rows read", t_read), ("engine: matching", t_match),
                             ("engine: landing", t_land)])

    def _report_errors(self, problems):
        if problems:
            self.session.copy_in("vr_err", _ERR_COLUMNS, [(e.line, k + 100, e.record_id, e.column, e.value,
                                                           e.reason) for k, e in enumerate(problems)])

    def _matcher(self):
        if self._matcher_obj is None:
            sample = [record_probe(_record(r)) for r in self.session.fetch(
                _RECORD_SQL.format(table="vr_valid", where="true") + f" LIMIT {FIT_SAMPLE}")]
            index = self._index_future.result() if self._index_future is not None else None
            self._matcher_obj = self.matcher_factory(sample, index=index)
        return self._matcher_obj

    def check_sql_links(self, n: int) -> dict:
        """The engine's decision on a random sample of the rows the SQL rule links."""
        rows = self.session.fetch(_RECORD_SQL.replace("ORDER BY line", "ORDER BY random()").format(
            table="vr_work", where="sql_link IS NOT NULL") + " LIMIT %(n)s", {"n": n})
        links = dict(self.session.fetch("SELECT line, sql_link FROM vr_work WHERE line = ANY(%(lines)s)",
                                        {"lines": [r[0] for r in rows]}))
        records = [_record(r) for r in rows]
        results = self._matcher().match([record_probe(r) for r in records])
        out = {"checked": len(records), "engine_linked_same": 0, "engine_linked_other": 0, "engine_review": 0,
               "engine_none": 0}
        for r, m in zip(records, results):
            if m.decision == "linked":
                out["engine_linked_same" if m.citizen_id == links[r["line"]] else "engine_linked_other"] += 1
            else:
                out[f"engine_{m.decision}"] += 1
        return out

    # -- the run ---------------------------------------------------------------------------------

    def _write_report(self):
        with open(self.report_path, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv_writer(fh)
            writer.writerow(HEADER)
            for line, rid, col, val, reason in self.session.stream(
                    "SELECT line, record_id, col, val, reason FROM vr_err ORDER BY line, seq"):
                writer.writerow((line, rid, col, val, reason))

    def run(self):
        r = self.result
        try:
            self._prepare()
            self._report_progress()
            with self._step("SQL-rule links landed"):
                link.land_sql_links(
                    self.session, lander=self.lander, result=r, progress=self._report_progress
                )
            self._engine_rows()
            with self._step("error report file"):
                self._write_report()
            self._report_progress(r.total)
        finally:
            self._drop()
        return r

    def dry_check(self, n: int) -> dict:
        """Validation and the SQL rule without the ledger, nothing landed: how the engine
        decides a sample of the rows the rule links (for benchmarks)."""
        try:
            self._prepare(ledger=False)
            linked = self.session.scalar("SELECT count(*) FROM vr_work WHERE sql_link IS NOT NULL")
            return {"rows": self.result.total, "sql_linked": linked, **self.check_sql_links(n)}
        finally:
            self._drop()

    def _drop(self):
        if self._index_pool is not None:
            self._index_pool.shutdown(wait=True)
            self._index_pool = self._index_future = None
        self.session.drop()
