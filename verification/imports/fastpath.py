"""The PostgreSQL fast path of `import_records`: COPY, validate, de-duplicate and link in SQL.

0. The work tables are UNLOGGED tables in a schema of this run (dropped at the end), not
   TEMP tables: a second connection can then take half of the rows of the two costly
   statements (cleaning, error lines), so that PostgreSQL uses both cores.
1. The file goes into a staging table of text columns with its line numbers: a plain
   CSV is sent to ``COPY ... (FORMAT csv)`` as it is (when a quick byte scan shows that
   every record is one physical line, so line numbers stay exact); anything else (XLSX,
   quoted newlines, short rows...) is streamed row by row from the reader into COPY.
2. One set-based statement cleans and checks every row with the same rules and messages
   as `validation.validate_report_row`. A row whose cells are not all in simple forms
   (non-ASCII digits, odd spaces in a date...) is validated by that Python function
   instead, so both paths agree exactly. Vaccine names are resolved once per distinct
   text with the Python lookup; names outside the Vietnamese/Latin alphabet are folded
   once per distinct name in Python. Invalid rows go to an error table, written out as
   the report (line order) at the end.
3. Content hashes (md5 of the cells, as `validation.content_hash`) are computed in SQL;
   repeated rows and rows already in the `ImportedRow` ledger are dropped with an anti-join.
4. Deterministic linking: a row whose 12-digit CCCD (or 9-digit CMND held by exactly one
   citizen) belongs to a citizen with the same folded name and the same full date of
   birth, with no conflicting sex, phone or commune, and whose (name, birth year) is
   shared by no other citizen, is linked in SQL (ledger + injection record in one
   statement). This is stricter than the engine's ``linked``; `bench/import_speed.py`
   re-checks a sample against the engine.
5. Everything else (reviews, cases, links that need scoring) goes through the linkage
   engine in batches and lands as on the Python path (`injections._Lander`).
"""

from __future__ import annotations

import csv
import io
import secrets
import time
import unicodedata
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from records import normalize
from records.audit import record_event
from records.models import Citizen, InjectionRecord, Province, Ward
from verification.imports.citizens import copy_text
from verification.imports.files import (
    CSV,
    REPORT_COLUMNS,
    MalformedFile,
    Table,
    _header,
    checked_chunks,
    detect_kind,
)
from verification.imports.report import HEADER
from verification.imports.validation import (
    FIRST_INJECTION,
    INCOMPLETE,
    case_fields_missing,
    split_unlandable,
    validate_report_row,
)
from verification.models import ImportedRow

WORK_MEM = "256MB"  # per sort/hash node, for this session only while the import runs
PARALLEL_MIN_ROWS = 20_000  # below this, one statement on one connection
SQL_LINK_CHUNK = 250_000  # lines per SQL-linking statement (one audit event each)
WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())  # what str.strip() strips
_DATE_RE = (r"^(?:([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})|([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})"
            r"|([0-9]{4}))$")
_ASCII = "'^[ -~]*$'"


@lru_cache(maxsize=1)
def name_letters() -> tuple[str, str]:
    """(letters, their folded form): the letters `fold_name` maps one-to-one to a-z, and
    that normalisation and case changes leave one character long. A name made only of
    these and ASCII spaces folds in SQL exactly as `normalize.fold_name` does."""
    src, dst = [], []
    for cp in [*range(0x41, 0x5B), *range(0x61, 0x7B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        c = chr(cp)
        if not c.isalpha() or unicodedata.normalize("NFKC", c) != c or unicodedata.normalize("NFC", c) != c:
            continue
        if len(c.upper()) != 1 or len(c.lower()) != 1 or len(c.casefold()) != 1:
            continue
        folded = normalize.fold_name(c)
        if len(folded) == 1 and "a" <= folded <= "z":
            src.append(c)
            dst.append(folded)
    return "".join(src), "".join(dst)


def _fold_sql(expr: str, unaccent: bool) -> str:
    if unaccent:
        return f"regexp_replace(lower(unaccent({expr})), ' +', ' ', 'g')"
    return f"regexp_replace(translate({expr}, %(letters)s, %(folded)s), ' +', ' ', 'g')"


def _message_parts(template: str) -> tuple[str, str]:
    marker = "\x00"
    before, after = (template % {"code": marker}).split(marker)
    return before, after


def _date_sql(m: str) -> dict[str, str]:
    """Pieces of SQL over a regexp_match(..., _DATE_RE) array `m`."""
    y, mo, d = f"coalesce({m}[1], {m}[6])::int", f"coalesce({m}[2], {m}[5])::int", f"coalesce({m}[3], {m}[4])::int"
    dim = (f"CASE WHEN {mo} = 2 THEN CASE WHEN {y} %% 4 = 0 AND ({y} %% 100 <> 0 OR {y} %% 400 = 0) THEN 29 ELSE 28 END"
           f" WHEN {mo} IN (4, 6, 9, 11) THEN 30 ELSE 31 END")
    full = (f"({m} IS NOT NULL AND {m}[7] IS NULL AND {y} BETWEEN 1 AND 9999 AND {mo} BETWEEN 1 AND 12 "
            f"AND {d} BETWEEN 1 AND {dim})")
    return {"full": full, "date": f"CASE WHEN {full} THEN make_date({y}, {mo}, {d}) END",
            "y": y, "year_only": f"{m}[7]::int"}


def _match_sql(x: str) -> str:
    """regexp_match(x, _DATE_RE) as a text[7], with the common shapes cut out without a regex."""
    shape = f"translate({x}, '0123456789', '0000000000')"
    return (f"CASE {shape} "
            f"WHEN '0000-00-00' THEN ARRAY[substr({x}, 1, 4), substr({x}, 6, 2), substr({x}, 9, 2), NULL, NULL, NULL, NULL]"
            f" WHEN '00/00/0000' THEN ARRAY[NULL, NULL, NULL, substr({x}, 1, 2), substr({x}, 4, 2), substr({x}, 7, 4),"
            f" NULL] WHEN '0000' THEN ARRAY[NULL, NULL, NULL, NULL, NULL, NULL, {x}] WHEN '' THEN NULL "
            f"ELSE regexp_match({x}, %(date_re)s) END")


class _RowSource(io.RawIOBase):
    """Table rows as COPY text (line, short, the 12 columns), read by copy_expert in chunks."""

    def __init__(self, rows):
        self._rows = rows
        self._buf = b""

    def readable(self):
        return True

    def read(self, size=-1):
        size = 1 << 20 if size is None or size < 0 else size
        parts, n = [self._buf], len(self._buf)
        while n < size:
            item = next(self._rows, None)
            if item is None:
                break
            line, row = item
            text = "\t".join([str(line), "t" if row.get("__short__") else "f",
                              *(copy_text(row.get(c, "")) for c in REPORT_COLUMNS)]) + "\n"
            data = text.encode()
            parts.append(data)
            n += len(data)
        blob = b"".join(parts)
        self._buf = blob[size:]
        return blob[:size]


_CSV_LINE = None


def _csv_line_ok(line: bytes) -> bool:
    """A physical line whose quotes are all whole quoted fields (Python's csv and
    PostgreSQL's COPY read those the same way)."""
    import re

    global _CSV_LINE
    if _CSV_LINE is None:
        field_ = rb'(?:"(?:[^"]|"")*"|[^",\r\n]*)'
        _CSV_LINE = re.compile(field_ + rb"(?:," + field_ + rb")*\r?\n?")
    return _CSV_LINE.fullmatch(line) is not None


def scan_csv(path: Path) -> int | None:
    """Checks the bytes with `files.checked_chunks` (raises MalformedFile) and returns the
    number of physical lines when the file can go to COPY as it is, else None."""
    newlines = crs = crlfs = 0
    quotes = False
    last = b""
    for chunk in checked_chunks(path, 1 << 22):
        newlines += chunk.count(b"\n")
        crs += chunk.count(b"\r")
        crlfs += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")  # a CRLF across chunks
        quotes = quotes or b'"' in chunk
        last = chunk[-1:]
    if crs != crlfs:
        return None
    if quotes:
        with open(path, "rb") as fh:
            for raw in fh:
                if b'"' in raw and not _csv_line_ok(raw):
                    return None
    return newlines + (1 if last and last != b"\n" else 0)


class FastImport:
    """One run of the fast path; `run()` fills the ImportResult given by the caller."""

    def __init__(self, *, path, report_path, result, lander, lookups, facility, job, progress, batch_size,
                 matcher_factory, index_loader=None):
        self.path = Path(path)
        self.report_path = Path(report_path)
        self.result = result
        self.lander = lander
        self.lookups = lookups
        self.facility = facility
        self.job = job
        self.progress = progress
        self.batch_size = batch_size
        self.matcher_factory = matcher_factory
        self.letters, self.folded = name_letters()
        self._matcher_obj = None
        self.timings = result.timings  # (step, seconds), in order
        self.schema = None
        self._search_path = None
        self.index_loader = index_loader  # loads the engine's citizen index (own connection, own thread)
        self._index_future = None
        self._index_pool = None

    @contextmanager
    def _step(self, name: str):
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings.append((name, time.monotonic() - started))

    # -- helpers -------------------------------------------------------------------------------

    def _exec(self, sql, params=None):
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def _scalar(self, sql, params=None):
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]

    def _stream(self, sql, params=None, size=20_000):
        """Rows of a query through a server-side cursor (memory stays flat)."""
        with transaction.atomic():
            raw = connection.connection
            with raw.cursor(name="vr_stream") as cur:
                cur.itersize = size
                cur.execute(sql, params)
                while rows := cur.fetchmany(size):
                    yield from rows

    def _copy_in(self, table: str, columns: str, rows) -> None:
        buf = io.StringIO()
        for values in rows:
            buf.write("\t".join(copy_text(v) for v in values))
            buf.write("\n")
        buf.seek(0)
        with connection.cursor() as cur:
            cur.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT text)", buf)

    def _update_job(self, **fields):
        from verification.models import ImportJob

        if self.job is not None:
            ImportJob.objects.filter(pk=self.job.pk).update(**fields)

    def _report_progress(self, done: int | None = None):
        r = self.result
        r.processed = done if done is not None else min(
            r.total, r.invalid + r.skipped + r.linked + r.review + r.unmatched)
        self._update_job(processed_rows=r.processed, linked_rows=r.linked, review_rows=r.review,
                         unmatched_rows=r.unmatched, invalid_rows=r.invalid, skipped_rows=r.skipped)
        if self.progress:
            self.progress(r.processed, r.total)

    # -- 1. staging ------------------------------------------------------------------------------

    def _setup(self):
        self._search_path = self._scalar("SHOW search_path")
        # Sorts and hashes of a million rows in memory rather than in external merges on disk.
        self._work_mem = self._scalar("SHOW work_mem")
        self._exec(f"SET work_mem = '{WORK_MEM}'")
        self._drop_stale_schemas()
        schema = f"vr_import_{self._scalar('SELECT pg_backend_pid()')}_{secrets.token_hex(4)}"
        self._exec(f"CREATE SCHEMA {schema}")
        self.schema = schema
        self._exec(f"SET search_path TO {schema}, {self._search_path}")
        self._exec("CREATE UNLOGGED TABLE vr_err (line int, seq int, record_id text, col text, val text, reason text)")

    def _stage(self) -> tuple[dict[str, str], bool]:
        """COPY the file into vr_raw. Returns (column -> SQL expression, raw_csv)."""
        kind = detect_kind(self.path)
        if kind == CSV:
            lines = scan_csv(self.path)
            with open(self.path, newline="", encoding="utf-8-sig") as fh:
                first = next(csv.reader(fh), None)
            if first is None:
                raise MalformedFile(_("The file is empty."))
            header = _header(first, REPORT_COLUMNS)
            if lines is not None and self._copy_csv(header, lines):
                exprs = {c: f"c{header.index(c)}" for c in REPORT_COLUMNS}
                blank = ("(" + " || ".join(f"coalesce(c{k}, '')" for k in range(len(header)))
                         + ") ~ %(blank_re)s")
                return exprs, blank
        table = Table(self.path, REPORT_COLUMNS)  # checks and counts; raises MalformedFile
        self._exec("CREATE UNLOGGED TABLE vr_raw (line int, short bool, "
                   + ", ".join(f"c{k} text" for k in range(len(REPORT_COLUMNS))) + ")")
        with connection.cursor() as cur:
            cur.cursor.copy_expert("COPY vr_raw FROM STDIN WITH (FORMAT text)", _RowSource(iter(table.rows())),
                                   size=1 << 20)
        return {c: f"c{k}" for k, c in enumerate(REPORT_COLUMNS)}, "false"

    def _copy_csv(self, header: list[str], lines: int) -> bool:
        cols = ", ".join(f"c{k}" for k in range(len(header)))
        self._exec("CREATE UNLOGGED TABLE vr_raw (line int GENERATED BY DEFAULT AS IDENTITY (START 2), "
                   "short bool DEFAULT false, " + ", ".join(f"c{k} text" for k in range(len(header))) + ")")
        try:
            with transaction.atomic(), open(self.path, "rb") as fh, connection.cursor() as cur:
                cur.cursor.copy_expert(f"COPY vr_raw ({cols}) FROM STDIN WITH (FORMAT csv, HEADER true)", fh,
                                       size=1 << 20)
                copied = cur.cursor.rowcount
                if copied != lines - 1:
                    raise _Mismatch
        except Exception:  # noqa: BLE001 - the exact reader decides (and raises MalformedFile)
            self._exec("DROP TABLE IF EXISTS vr_raw")
            return False
        return True

    # -- 2. validation ---------------------------------------------------------------------------

    def _vaccines(self, expr_vaccine: str, blank: str):
        self._exec("CREATE UNLOGGED TABLE vr_vaccine (text text PRIMARY KEY, id bigint, name text)")
        with connection.cursor() as cur:
            cur.execute(f"SELECT DISTINCT btrim(coalesce({expr_vaccine}, ''), %(ws)s) FROM "
                        f"(SELECT DISTINCT {expr_vaccine} FROM vr_raw WHERE NOT ({blank})) v", self._params())
            texts = [t for (t,) in cur.fetchall() if t]
        self._copy_in("vr_vaccine", "text, id, name",
                      [(t, *(self.lookups.vaccine(t) or (None, None))) for t in texts])

    def _names(self):
        """Names outside the simple alphabet (or long ones): normalised length, the report's
        value and the folded key, computed by `normalize` once per distinct name."""
        self._exec("CREATE UNLOGGED TABLE vr_names (name text PRIMARY KEY, norm_len int, norm40 text, fold text)")
        with connection.cursor() as cur:
            cur.execute("SELECT DISTINCT name FROM vr_rows WHERE name_py")
            names = [n for (n,) in cur.fetchall()]
        rows = []
        for n in names:
            norm = normalize.normalize_name(n)
            rows.append((n, len(norm), norm[:40] + "…", normalize.fold_name(n) or None))
        self._copy_in("vr_names", "name, norm_len, norm40, fold", rows)
        self._exec("ANALYZE vr_names")

    def _classify(self, exprs: dict[str, str], blank: str):
        """vr_rows: one row per non-blank line, cleaned values and a `simple` flag."""
        # Each level is fenced (OFFSET 0) so that its expressions are computed once per row, not
        # copied into every reference by the planner. str.strip() semantics; the full whitespace set is slow in btrim, so it is used only on
        # the (rare) rows holding whitespace other than the ASCII space.
        odd = "(" + " || ".join(f"coalesce({e}, '')" for e in exprs.values()) + ") ~ %(odd_ws)s"
        cell = {c: f"CASE WHEN odd THEN btrim(coalesce({e}, ''), %(ws)s) ELSE btrim(coalesce({e}, '')) END"
                for c, e in exprs.items()}
        dob, inj = _date_sql("dm"), _date_sql("im")
        hash_expr = "md5(" + " || chr(31) || ".join(
            ["rid", "name", "dob_t", "sex_t", "id_t", "ph_t", "prov_t", "ward_t", "vac_t", "dose_t", "inj_t",
             "lot_t"]) + ")"
        sql = f"""
        WITH s AS (
          SELECT line, short, {cell['record_id']} rid, {cell['full_name']} name, {cell['date_of_birth']} dob_t,
            {cell['sex']} sex_t, {cell['id_number']} id_t, {cell['phone']} ph_t, {cell['province_code']} prov_t,
            {cell['ward_code']} ward_t, {cell['vaccine']} vac_t, {cell['dose_number']} dose_t,
            {cell['injection_date']} inj_t, {cell['lot_number']} lot_t
          FROM (SELECT *, {odd} odd FROM vr_raw WHERE NOT ({blank}) AND {{part}} OFFSET 0) raw
          OFFSET 0
        ), t AS (
          SELECT s.*,
            name ~ %(name_re)s name_simple,
            (dob_t || id_t || ph_t || prov_t || ward_t || dose_t || inj_t || lot_t) ~ {_ASCII}
              AND (sex_t ~ {_ASCII} OR sex_t IN ('nữ', 'Nữ', 'NỮ', 'nỮ')) simple,
            {_match_sql('dob_t')} dm, {_match_sql('inj_t')} im,
            regexp_replace(id_t, '[^0-9]', '', 'g') idd0, regexp_replace(ph_t, '[^0-9]', '', 'g') phd,
            CASE WHEN prov_t ~ '^[0-9]+$' AND length(ltrim(prov_t, '0')) <= 9 THEN prov_t::bigint END prov_n,
            CASE WHEN ward_t ~ '^[0-9]+$' AND length(ltrim(ward_t, '0')) <= 9 THEN ward_t::bigint END ward_n,
            CASE WHEN dose_t ~ '^[0-9]+$' AND length(ltrim(dose_t, '0')) <= 9 THEN dose_t::bigint END dose_n,
            {hash_expr} hash
          FROM s
          OFFSET 0
        ), u AS (
          SELECT t.*,
            CASE WHEN dob_t = '' THEN 0
                 WHEN dm[7] IS NOT NULL THEN CASE WHEN {dob['year_only']} BETWEEN 1880 AND 2100 THEN 0 ELSE 1 END
                 WHEN {dob['full']} THEN 0 ELSE 1 END dob_bad,
            CASE WHEN dob_t = '' THEN NULL WHEN dm[7] IS NOT NULL THEN {dob['year_only']}
                 WHEN {dob['full']} THEN {dob['y']} END dob_year0,
            {dob['date']} dob_date0,
            CASE WHEN dob_t = '' THEN '' WHEN dm[7] IS NOT NULL THEN 'year' ELSE 'day' END dob_prec0,
            CASE WHEN inj_t = '' THEN 1 WHEN {inj['full']} THEN 0 ELSE 2 END inj_bad,
            {inj['date']} inj_date,
            CASE translate(sex_t, 'ABCDEFGHIJKLMNOPQRSTUVWXYZỮ', 'abcdefghijklmnopqrstuvwxyzữ')
              WHEN 'm' THEN 'M' WHEN 'nam' THEN 'M' WHEN 'male' THEN 'M'
              WHEN 'f' THEN 'F' WHEN 'nu' THEN 'F' WHEN 'nữ' THEN 'F' WHEN 'female' THEN 'F' END sex_v,
            CASE WHEN length(idd0) IN (10, 11) THEN lpad(idd0, 12, '0') WHEN length(idd0) = 8 THEN lpad(idd0, 9, '0')
                 ELSE idd0 END idd,
            CASE WHEN p = '' THEN ''
                 WHEN p LIKE '84%%' AND length(p) IN (11, 12) THEN '0' || substr(p, 3)
                 WHEN length(p) = 9 AND p NOT LIKE '0%%' THEN '0' || p ELSE p END phone,
            pr.code prov_ok, w.code ward_id, w.province_id ward_prov,
            v.id vac_id, v.name vac_name
          FROM t
          CROSS JOIN LATERAL (SELECT CASE WHEN phd LIKE '0084%%' THEN substr(phd, 3) ELSE phd END p) q
          LEFT JOIN {Province._meta.db_table} pr ON pr.code = t.prov_n
          LEFT JOIN {Ward._meta.db_table} w ON w.code = t.ward_n
          LEFT JOIN vr_vaccine v ON v.text = t.vac_t
          OFFSET 0
        )
        SELECT line, short, rid, name, dob_t, sex_t, id_t, ph_t, prov_t, ward_t, vac_t, dose_t, inj_t, lot_t,
          NOT name_simple OR length(name) > 150 name_py, simple, hash,
          CASE WHEN name_simple THEN {_fold_sql('name', self.unaccent)} END fold,
          dob_bad, CASE WHEN dob_bad = 0 THEN dob_year0 END dob_year,
          CASE WHEN dob_bad = 0 THEN dob_date0 END dob_date,
          CASE WHEN dob_bad = 0 THEN dob_prec0 ELSE '' END dob_prec,
          inj_bad, inj_date, sex_v, idd, phone,
          CASE WHEN prov_t = '' THEN NULL ELSE prov_ok END prov_id,
          ward_id, ward_prov,
          CASE WHEN prov_t = '' AND ward_t <> '' THEN ward_prov WHEN prov_t = '' THEN NULL ELSE prov_ok END prov_eff,
          vac_id, vac_name, dose_n
        FROM u
        """
        self._exec("CREATE UNLOGGED TABLE vr_rows AS " + sql.replace("{part}", "true") + " WITH NO DATA",
                   self._params())
        self._halves("INSERT INTO vr_rows " + sql, self._params(), "vr_raw")

    def _params(self) -> dict:
        return {"ws": WHITESPACE, "letters": self.letters, "folded": self.folded, "date_re": _DATE_RE,
                "name_re": "^[" + self.letters + " ]*$",
                "odd_ws": "[" + WHITESPACE.replace(" ", "") + "]", "blank_re": "^[" + WHITESPACE + "]*$"}

    def _use_unaccent(self):
        """unaccent() folds names fast; it is used for the letters where it agrees with
        `normalize.fold_name` (checked here, letter by letter); other names fold in Python."""
        self.unaccent = False
        try:
            with transaction.atomic():
                # Migration verification 0003 installs it; creating it here is only the
                # fallback for a database migrated without it.
                if not self._scalar("SELECT count(*) FROM pg_extension WHERE extname = 'unaccent'"):
                    self._exec("CREATE EXTENSION IF NOT EXISTS unaccent")
                letters = list(self.letters)
                got = self._fetch("SELECT lower(unaccent(c)) FROM unnest(%s::text[]) WITH ORDINALITY u(c, k) "
                                  "ORDER BY k", [letters])
        except Exception:  # noqa: BLE001 - no extension: the translate() fold is exact, only slower
            return
        keep = [(c, f) for c, f, (g,) in zip(letters, self.folded, got) if g == f]
        self.letters, self.folded = "".join(c for c, _f in keep), "".join(f for _c, f in keep)
        self.unaccent = True

    def _sql_errors(self):
        """Errors of the simple rows, exactly as `validate_report_row` words them."""
        today = self.lookups.today
        before, after = _message_parts(_("This commune/ward is not in province %(code)s."))
        m = {
            "short": _("The row has fewer cells than the header."),
            "rid_req": _("Record id is required (it makes re-imports safe)."),
            "rid_long": _("Record id is longer than 64 characters."),
            "name_req": _("Full name is required."),
            "name_long": _("Full name is longer than 150 characters."),
            "sex": _("Sex must be M or F (Nam/Nữ)."),
            "dob": _("Not a date: use yyyy-mm-dd, dd/mm/yyyy or a year."),
            "dob_year": _("Year of birth must be between 1900 and this year."),
            "phone": _("Phone number must have 10 digits starting with 0 (e.g. 0912345678)."),
            "id": _("A CCCD number has 12 digits; an old CMND number has 9."),
            "prov": _("Unknown province code."),
            "ward": _("Unknown commune/ward code."),
            "ward_prov_a": before, "ward_prov_b": after,
            "vac_req": _("Vaccine is required."),
            "vac": _("Unknown vaccine."),
            "dose": _("Dose number must be between 1 and 10."),
            "inj_req": _("Injection date is required."),
            "inj": _("Not a full date: use yyyy-mm-dd or dd/mm/yyyy."),
            "inj_future": _("Injection date cannot be in the future."),
            "inj_before": _("Injection date cannot be before 08/03/2021, the first COVID-19 injection in Vietnam."),
            "lot": _("Lot number must be 2–30 letters, digits, '-', '/' or '.', starting with a letter or digit."),
            "today": today, "first": FIRST_INJECTION, "this_year": today.year,
        }
        checks = [  # (seq, column, value, reason, condition): the order of validate_report_row
            ("0", "'(row)'", "''", "%(short)s", "r.short"),
            ("1", "'record_id'", "''", "%(rid_req)s", "r.rid = ''"),
            ("1", "'record_id'", "left(r.rid, 40) || '…'", "%(rid_long)s", "length(r.rid) > 64"),
            ("2", "'full_name'", "''", "%(name_req)s",
             "CASE WHEN r.name_py THEN coalesce(r.norm_len, 0) = 0 ELSE r.name = '' END"),
            ("2", "'full_name'", "r.norm40", "%(name_long)s", "r.name_py AND r.norm_len > 150"),
            ("3", "'sex'", "r.sex_t", "%(sex)s", "r.sex_v IS NULL AND r.sex_t <> ''"),
            ("4", "'date_of_birth'", "r.dob_t", "%(dob)s", "r.dob_bad = 1"),
            ("4", "'date_of_birth'", "r.dob_t", "%(dob_year)s",
             "r.dob_bad = 0 AND r.dob_year IS NOT NULL AND r.dob_year NOT BETWEEN 1900 AND %(this_year)s"),
            ("5", "'phone'", "r.ph_t", "%(phone)s", "r.phone <> '' AND r.phone !~ '^0[0-9]{9}$'"),
            ("6", "'id_number'", "r.id_t", "%(id)s", "r.id_t <> '' AND length(r.idd) NOT IN (9, 12)"),
            ("7", "'province_code'", "r.prov_t", "%(prov)s", "r.prov_t <> '' AND r.prov_id IS NULL"),
            ("8", "'ward_code'", "r.ward_t", "%(ward)s", "r.ward_t <> '' AND r.ward_id IS NULL"),
            ("8", "'ward_code'", "r.ward_t", "%(ward_prov_a)s || r.prov_id || %(ward_prov_b)s",
             "r.ward_id IS NOT NULL AND r.prov_id IS NOT NULL AND r.ward_prov <> r.prov_id"),
            ("9", "'vaccine'", "''", "%(vac_req)s", "r.vac_t = ''"),
            ("9", "'vaccine'", "r.vac_t", "%(vac)s", "r.vac_t <> '' AND r.vac_id IS NULL"),
            ("10", "'dose_number'", "r.dose_t", "%(dose)s", "r.dose_n IS NULL OR r.dose_n NOT BETWEEN 1 AND 10"),
            ("11", "'injection_date'", "''", "%(inj_req)s", "r.inj_bad = 1"),
            ("11", "'injection_date'", "r.inj_t", "%(inj)s", "r.inj_bad = 2"),
            ("11", "'injection_date'", "r.inj_t", "%(inj_future)s", "r.inj_bad = 0 AND r.inj_date > %(today)s"),
            ("11", "'injection_date'", "r.inj_t", "%(inj_before)s", "r.inj_bad = 0 AND r.inj_date < %(first)s"),
            ("12", "'lot_number'", "r.lot_t", "%(lot)s",
             "r.lot_t <> '' AND r.lot_t !~ '^[A-Za-z0-9][-A-Za-z0-9/.]{1,29}$'"),
        ]
        values = ",\n".join(f"({seq}, {col}, {val}, {reason}, coalesce({cond}, false))"
                            for seq, col, val, reason, cond in checks)
        any_bad = " OR ".join(f"coalesce({c[4]}, false)" for c in checks)
        # Only the rows with at least one problem are expanded into error lines.
        self._halves(f"""
        INSERT INTO vr_err (line, seq, record_id, col, val, reason)
        SELECT r.line, e.seq, r.rid, e.col, e.val, e.reason
        FROM (SELECT * FROM (SELECT r.*, n.norm_len, n.norm40 FROM vr_rows r
                             LEFT JOIN vr_names n ON r.name_py AND n.name = r.name
                             WHERE r.simple AND {{part}} OFFSET 0) r
              WHERE {any_bad} OFFSET 0) r,
        LATERAL (VALUES {values}) e(seq, col, val, reason, cond)
        WHERE e.cond""", m, "vr_rows")

    def _python_rows(self):
        """Rows with cells in unusual forms: validated by the Python validator itself."""
        errors, clean = [], []
        cols = ("rid", "name", "dob_t", "sex_t", "id_t", "ph_t", "prov_t", "ward_t", "vac_t", "dose_t", "inj_t",
                "lot_t")
        self._exec("CREATE UNLOGGED TABLE vr_pyclean (line int, sex text, dob_date date, dob_year int, dob_prec text, "
                   "idd text, phone text, prov bigint, ward bigint, vac_id bigint, vac_name text, dose int, "
                   "inj_date date, fold text)")
        rows = self._fetch(f"SELECT line, short, {', '.join(cols)} FROM vr_rows WHERE NOT simple ORDER BY line")
        for line, short, *cells in rows:
            row = dict(zip(REPORT_COLUMNS, cells))
            if short:
                row["__short__"] = "1"
            record, errs = validate_report_row(line, row, self.lookups)
            if errs:
                errors.extend((e.line, k, e.record_id, e.column, e.value, e.reason) for k, e in enumerate(errs))
            else:
                birth = record["birth"]
                clean.append((line, record["sex"] or None, birth.value, birth.year, birth.precision,
                              record["id_number"], record["phone"], record["province_code"], record["ward_code"],
                              record["vaccine_id"], record["vaccine"], record["dose_number"],
                              record["injection_date"], normalize.fold_name(record["full_name"]) or None))
        if errors:
            self._copy_in("vr_err", "line, seq, record_id, col, val, reason", errors)
        if clean:
            self._copy_in("vr_pyclean", "line, sex, dob_date, dob_year, dob_prec, idd, phone, prov, ward, vac_id, "
                          "vac_name, dose, inj_date, fold", clean)
        self._exec("ANALYZE vr_pyclean")
        self._exec("ANALYZE vr_err")

    def _valid(self):
        """vr_valid: every valid row with its clean values (one table write, no updates)."""
        self._exec("""
        CREATE UNLOGGED TABLE vr_valid AS
        SELECT r.line, r.rid, r.hash, r.name, r.lot_t, coalesce(r.fold, n.fold) fold, r.sex_v, r.dob_date,
               r.dob_year, r.dob_prec, r.idd, r.phone, r.prov_eff, r.ward_id, r.vac_id, r.vac_name, r.dose_n,
               r.inj_date
        FROM vr_rows r LEFT JOIN vr_names n ON r.name_py AND n.name = r.name
        WHERE r.simple AND NOT EXISTS (SELECT 1 FROM vr_err e WHERE e.line = r.line)
        UNION ALL
        SELECT r.line, r.rid, r.hash, r.name, r.lot_t, p.fold, p.sex, p.dob_date, p.dob_year, p.dob_prec, p.idd,
               p.phone, p.prov, p.ward, p.vac_id, p.vac_name, p.dose, p.inj_date
        FROM vr_rows r JOIN vr_pyclean p ON p.line = r.line""")
        self._exec("ANALYZE vr_valid")

    # -- 3. de-duplication and 4. deterministic links -------------------------------------------

    def _work(self, *, ledger: bool = True) -> int:
        """vr_work: the first valid row of each (record id, content) not yet in the ledger,
        with `sql_link` = the citizen when the deterministic rule links it."""
        cit = Citizen._meta.db_table
        anti = (f"AND NOT EXISTS (SELECT 1 FROM {ImportedRow._meta.db_table} l "
                f"WHERE l.source_record_id = v.rid AND l.content_hash = v.hash)") if ledger else ""
        same = ("c.name_key = f.fold AND c.date_of_birth = f.dob_date AND (f.sex_v IS NULL OR f.sex_v = c.sex) "
                "AND (f.phone = '' OR c.phone = '' OR f.phone = c.phone) "
                "AND (f.ward_id IS NULL OR c.ward_id IS NULL OR f.ward_id = c.ward_id)")
        self._exec(f"""
        CREATE UNLOGGED TABLE vr_f AS
        SELECT DISTINCT ON (v.rid, v.hash) v.* FROM vr_valid v
        WHERE true {anti}
        ORDER BY v.rid, v.hash, v.line""")
        self._exec("ANALYZE vr_f")
        # The rule's index probes into the citizens, in two halves on two connections.
        self._exec("CREATE UNLOGGED TABLE vr_link (line int, id bigint)")
        self._halves(f"""
        INSERT INTO vr_link
        WITH f AS (SELECT * FROM vr_f WHERE {{part}}),
        cand AS (
          SELECT f.line, c.id, c.birth_year, c.name_key FROM f JOIN {cit} c ON c.cccd = f.idd
          WHERE length(f.idd) = 12 AND f.dob_prec = 'day' AND {same}
          UNION ALL
          SELECT f.line, c.id, c.birth_year, c.name_key FROM f JOIN {cit} c ON c.cmnd = f.idd
          WHERE length(f.idd) = 9 AND f.dob_prec = 'day' AND {same}
            AND NOT EXISTS (SELECT 1 FROM {cit} o WHERE o.cmnd = f.idd AND o.id <> c.id))
        SELECT cand.line, cand.id FROM cand
        WHERE NOT EXISTS (SELECT 1 FROM {cit} o WHERE o.birth_year = cand.birth_year
                            AND o.name_key = cand.name_key AND o.id <> cand.id)""", {}, "vr_f")
        self._exec("""
        CREATE UNLOGGED TABLE vr_work AS
        SELECT f.*, link.id sql_link FROM vr_f f LEFT JOIN vr_link link ON link.line = f.line""")
        self._exec("DROP TABLE vr_f, vr_link")
        # The engine reads its batches by line range (without it, each batch was a full scan).
        self._exec("CREATE INDEX ON vr_work (line) WHERE sql_link IS NULL")
        self._exec("ANALYZE vr_work")
        return self._scalar("SELECT count(*) FROM vr_work")

    def _land_sql_links(self):
        ledger, injections = ImportedRow._meta.db_table, InjectionRecord._meta.db_table
        lander = self.lander
        lo, hi = self._fetch("SELECT min(line), max(line) FROM vr_work WHERE sql_link IS NOT NULL")[0]
        if lo is None:
            return
        start = lo
        while start <= hi:
            end = start + SQL_LINK_CHUNK
            params = {"job": self.job.pk if self.job else None, "now": timezone.now(), "lo": start, "hi": end,
                      "facility": self.facility.pk if self.facility else None,
                      "user": lander.actor.pk if lander.actor else None}
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(f"""
                WITH src AS (
                  SELECT * FROM vr_work WHERE sql_link IS NOT NULL AND line >= %(lo)s AND line < %(hi)s),
                new AS (
                  INSERT INTO {ledger} (source_record_id, content_hash, job_id, outcome, created_at)
                  SELECT rid, hash, %(job)s, 'linked', %(now)s FROM src
                  ON CONFLICT (source_record_id, content_hash) DO NOTHING
                  RETURNING source_record_id, content_hash),
                ins AS (
                  INSERT INTO {injections} (citizen_id, vaccine_id, dose_number, injection_date, lot_number,
                    facility_id, source, status, version, source_record_id, created_by_id, created_at)
                  SELECT s.sql_link, s.vac_id, s.dose_n, s.inj_date, s.lot_t, %(facility)s, 'imported',
                    'recorded', 1, s.rid, %(user)s, %(now)s
                  FROM src s JOIN new n ON n.source_record_id = s.rid AND n.content_hash = s.hash
                  RETURNING 1)
                SELECT (SELECT count(*) FROM src), (SELECT count(*) FROM ins),
                       (SELECT min(line) FROM src), (SELECT max(line) FROM src)""", params)
                total, linked, first, last = cur.fetchone()
                if linked:
                    record_event(actor=lander.actor, action="import.batch", object_type="verification.importjob",
                                 object_id=self.job.pk if self.job else "",
                                 after={"linked": linked, "review": 0, "none": 0, "skipped": total - linked,
                                        "first_line": first, "last_line": last, "rule": "sql",
                                        "facility": self.facility.pk if self.facility else None})
            self.result.linked += linked
            self.result.skipped += total - linked
            start = end
            self._report_progress()

    # -- 5. the engine for the rest --------------------------------------------------------------

    _RECORD_SQL = """SELECT line, rid, name, sex_v, dob_date, dob_year, dob_prec, idd, phone, prov_eff, ward_id,
                            vac_id, vac_name, dose_n, inj_date, lot_t, hash
                     FROM {table} WHERE {where} ORDER BY line"""

    @staticmethod
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

    def _engine_rows(self, report_errors):
        from verification.imports.injections import record_probe

        if not self._scalar("SELECT count(*) FROM vr_work WHERE sql_link IS NULL"):
            return
        from verification.imports.linking import InlinePool

        with self._step("engine: citizen index and fit"):
            matcher = self._matcher()
        fallback_ward = self.facility.ward_id if self.facility else None
        last = 0
        t_read = t_match = t_land = 0.0
        pending: deque = deque()
        exhausted = False
        # With a pool, the engine's processes match the next batches while this one lands.
        ahead = max(getattr(matcher, "workers", 1), 1) + 1
        pool_cm = matcher.pool() if hasattr(matcher, "pool") else nullcontext(InlinePool(matcher))
        with pool_cm as pool:
            while True:
                t0 = time.monotonic()
                while len(pending) < ahead and not exhausted:
                    # In pieces by line: a server-side cursor cannot stay open across the batches'
                    # own transactions, and memory stays flat (a few batches in flight).
                    rows = self._fetch(self._RECORD_SQL.format(
                        table="vr_work", where="sql_link IS NULL AND line > %(after)s") + " LIMIT %(n)s",
                        {"after": last, "n": self.batch_size})
                    if not rows:
                        exhausted = True
                        break
                    last = rows[-1][0]
                    batch = [self._record(r) for r in rows]
                    pending.append((batch, pool.submit([record_probe(r) for r in batch])))
                if not pending:
                    break
                batch, handle = pending.popleft()
                t1 = time.monotonic()
                results = handle.get()
                t2 = time.monotonic()
                landing, incomplete, per_row = split_unlandable(batch, results, fallback_ward=fallback_ward)
                problems = [e for errors in per_row for e in errors]
                report_errors(problems)
                # Into the ledger as `incomplete`: a re-run repeats their errors without matching.
                self.lander.record_incomplete(incomplete)
                counts = self.lander.land(landing) if landing else {"linked": 0, "review": 0, "none": 0, "skipped": 0}
                self.result.linked += counts["linked"]
                self.result.review += counts["review"]
                self.result.unmatched += counts["none"]
                self.result.skipped += counts["skipped"]
                self.result.invalid += len({e.line for e in problems})
                self._report_progress()
                t_read, t_match, t_land = t_read + t1 - t0, t_match + t2 - t1, t_land + time.monotonic() - t2
        self.timings.extend([("engine: rows read", t_read), ("engine: matching", t_match),
                             ("engine: landing", t_land)])

    def _matcher(self):
        from verification.imports.injections import record_probe
        from verification.imports.linking import FIT_SAMPLE

        if self._matcher_obj is None:
            sample = [record_probe(self._record(r)) for r in self._fetch(
                self._RECORD_SQL.format(table="vr_valid", where="true") + f" LIMIT {FIT_SAMPLE}")]
            index = self._index_future.result() if self._index_future is not None else None
            self._matcher_obj = self.matcher_factory(sample, index=index)
        return self._matcher_obj

    def check_sql_links(self, n: int) -> dict:
        """The engine's decision on a random sample of the rows the SQL rule links."""
        rows = self._fetch(self._RECORD_SQL.replace("ORDER BY line", "ORDER BY random()").format(
            table="vr_work", where="sql_link IS NOT NULL") + " LIMIT %(n)s", {"n": n})
        links = dict(self._fetch("SELECT line, sql_link FROM vr_work WHERE line = ANY(%(lines)s)",
                                 {"lines": [r[0] for r in rows]}))
        from verification.imports.injections import record_probe

        records = [self._record(r) for r in rows]
        results = self._matcher().match([record_probe(r) for r in records])
        out = {"checked": len(records), "engine_linked_same": 0, "engine_linked_other": 0, "engine_review": 0,
               "engine_none": 0}
        for r, m in zip(records, results):
            if m.decision == "linked":
                out["engine_linked_same" if m.citizen_id == links[r["line"]] else "engine_linked_other"] += 1
            else:
                out[f"engine_{m.decision}"] += 1
        return out

    def _fetch(self, sql, params=None):
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    # -- the error report ------------------------------------------------------------------------

    def _write_report(self):
        with open(self.report_path, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            for line, rid, col, val, reason in self._stream(
                    "SELECT line, record_id, col, val, reason FROM vr_err ORDER BY line, seq"):
                writer.writerow((line, rid, col, val, reason))

    # -- the run ---------------------------------------------------------------------------------

    def _prepare(self, *, ledger: bool = True):
        r = self.result
        with self._step("setup"):
            self._setup()
            self._use_unaccent()
        with self._step("staging COPY"):
            exprs, blank = self._stage()
        with self._step("vaccine lookup"):
            self._vaccines(exprs["vaccine"], blank)
        with self._step("cleaning (vr_rows)"):
            self._classify(exprs, blank)
            r.total = self._scalar("SELECT count(*) FROM vr_rows")
            if r.total == 0:
                raise MalformedFile(_("The file has a header but no data rows."))
            self._update_job(total_rows=r.total)
            self._exec("ANALYZE vr_rows")
        with self._step("unusual names in Python"):
            self._names()
        with self._step("error lines"):
            self._sql_errors()
        with self._step("unusual rows in Python"):
            self._python_rows()
        with self._step("valid rows"):
            self._valid()
            valid = self._scalar("SELECT count(*) FROM vr_valid")
        with self._step("ledger anti-join and link rule"):
            if ledger:
                self._completable_again()
            work = self._work(ledger=ledger)
            r.skipped += valid - work
            if ledger:
                r.skipped -= self._incomplete_again()
            r.invalid = self._scalar("SELECT count(DISTINCT line) FROM vr_err")
        if self.index_loader and self._scalar("SELECT count(*) FROM vr_work WHERE sql_link IS NULL"):
            # The engine will be needed: its citizen index loads (on another connection) while
            # this one lands the SQL-rule links.
            self._index_pool = ThreadPoolExecutor(1)
            self._index_future = self._index_pool.submit(self._load_index)

    def _load_index(self):
        try:
            return self.index_loader()
        finally:
            connection.close()  # this thread's own connection

    def _completable_again(self):
        """An `incomplete` row that lacked only the commune, imported now for a facility (whose
        commune a case takes): out of the ledger, so that it is matched and lands."""
        if self.facility is None or self.facility.ward_id is None:
            return
        self._exec(f"""
        DELETE FROM {ImportedRow._meta.db_table} l USING vr_valid v
        WHERE l.source_record_id = v.rid AND l.content_hash = v.hash AND l.outcome = %(inc)s
          AND v.sex_v IS NOT NULL AND v.dob_year IS NOT NULL""", {"inc": INCOMPLETE})

    def _incomplete_again(self) -> int:
        """Rows the ledger holds as `incomplete` (no citizen matched them, and a case lacks a
        field) are not matched again: their error lines are repeated from the ledger."""
        ledger = ImportedRow._meta.db_table
        reasons = {e.column: e.reason for e in case_fields_missing(
            {"line": 0, "record_id": "", "sex": "", "birth": normalize.BirthDate(None, None, ""),
             "ward_code": None}, fallback_ward=None)}
        fallback = self.facility.ward_id if self.facility else None
        added = self._exec(f"""
        INSERT INTO vr_err (line, seq, record_id, col, val, reason)
        SELECT v.line, e.seq, v.rid, e.col, '', e.reason
        FROM (SELECT DISTINCT ON (v.rid, v.hash) v.* FROM vr_valid v
              JOIN {ledger} l ON l.source_record_id = v.rid AND l.content_hash = v.hash AND l.outcome = %(inc)s
              ORDER BY v.rid, v.hash, v.line) v,
        LATERAL (VALUES (100, 'sex', %(sex)s, v.sex_v IS NULL),
                        (101, 'date_of_birth', %(dob)s, v.dob_year IS NULL),
                        (102, 'ward_code', %(ward)s, v.ward_id IS NULL AND %(fallback)s::bigint IS NULL))
          e(seq, col, reason, cond)
        WHERE e.cond""", {"inc": INCOMPLETE, "sex": reasons["sex"], "dob": reasons["date_of_birth"],
                          "ward": reasons["ward_code"], "fallback": fallback})
        return self._scalar("SELECT count(DISTINCT line) FROM vr_err WHERE seq >= 100") if added else 0

    def run(self):
        r = self.result
        try:
            self._prepare()
            self._report_progress()
            with self._step("SQL-rule links landed"):
                self._land_sql_links()

            def report_errors(problems):
                if problems:
                    self._copy_in("vr_err", "line, seq, record_id, col, val, reason",
                                  [(e.line, k + 100, e.record_id, e.column, e.value, e.reason)
                                   for k, e in enumerate(problems)])
            self._engine_rows(report_errors)
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
            linked = self._scalar("SELECT count(*) FROM vr_work WHERE sql_link IS NOT NULL")
            return {"rows": self.result.total, "sql_linked": linked, **self.check_sql_links(n)}
        finally:
            self._drop()

    def _drop_stale_schemas(self):
        """Schemas of runs whose session is gone (a killed process never reached `_drop`): the
        name carries the backend pid of the session that made it."""
        stale = [n for (n,) in self._fetch(
            r"SELECT nspname FROM pg_namespace WHERE nspname ~ '^vr_import_[0-9]+_[0-9a-f]+$' "
            r"AND split_part(nspname, '_', 3)::int NOT IN (SELECT pid FROM pg_stat_activity)")]
        for name in stale:
            self._exec(f"DROP SCHEMA IF EXISTS {name} CASCADE")

    def _drop(self):
        if self._index_pool is not None:
            self._index_pool.shutdown(wait=True)
            self._index_pool = self._index_future = None
        if self.schema:
            self._exec(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            self._exec(f"SET search_path TO {self._search_path}")
            self._exec("SELECT set_config('work_mem', %s, false)", [self._work_mem])
            self.schema = None

    # -- two connections for the costly statements ----------------------------------------------

    def _halves(self, sql: str, params: dict, table: str) -> None:
        """Runs `sql`, whose `{part}` is a condition on `line`, once per half of the lines of
        `table`: one half here, the other at the same time on a second connection. Inside an
        outer transaction (the work tables are not visible to another session) or for a
        small file, runs it once for all lines."""
        lo, hi = self._fetch(f"SELECT min(line), max(line) FROM {table}")[0]
        if connection.in_atomic_block or lo is None or hi - lo < PARALLEL_MIN_ROWS:
            self._exec(sql.replace("{part}", "true"), params)
            return
        mid = (lo + hi) // 2
        part = "line >= %(part_lo)s AND line < %(part_hi)s"
        with ThreadPoolExecutor(1) as pool:
            side = pool.submit(self._on_side_connection, sql.replace("{part}", part),
                               {**params, "part_lo": mid, "part_hi": hi + 1})
            try:
                self._exec(sql.replace("{part}", part), {**params, "part_lo": lo, "part_hi": mid})
            finally:
                side.result()

    def _on_side_connection(self, sql: str, params: dict) -> None:
        conn = connection.get_new_connection(connection.get_connection_params())
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"SET search_path TO {self.schema}, {self._search_path}")
                cur.execute(f"SET work_mem = '{WORK_MEM}'")
                cur.execute(sql, params)
        finally:
            conn.close()


class _Mismatch(Exception):
    pass


__all__ = ["FastImport", "WHITESPACE", "name_letters", "scan_csv"]
