"""Step 2 of the fast path: every staged row cleaned (vr_rows), checked by the rule table, and
the valid ones with their clean values (vr_valid). The cleaned columns carry the names the
predicates of `records.rules` read."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.db import transaction

from records import normalize, rules
from records.models import Province, Ward
from verification.imports.files import REPORT_COLUMNS
from verification.imports.pg.stage import SPACE_PARAMS, Session
from verification.imports.rules import error_insert_sql, error_params
from verification.imports.validation import INCOMPLETE, same_id_reason, validate_report_row
from verification.models import ImportedRow

_DATE_RE = (r"^(?:([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})|([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})"
            r"|([0-9]{4}))$")
_ASCII = "'^[ -~]*$'"
_YEARS = normalize.YEAR_ONLY_RANGE
# rules.SEX_WORDS as SQL over the cell lowered: only its ASCII letters and Ữ change case (simple rows).
_SEX_SQL = " ".join(f"WHEN '{word}' THEN '{sex}'" for word, sex in rules.SEX_WORDS.items())
# The cells of REPORT_COLUMNS, in that order, as the cleaned-row table names them.
_CELLS = ("rid", "name", "dob_t", "sex_t", "id_t", "ph_t", "prov_t", "ward_t", "vac_t", "dose_t", "inj_t",
          "lot_t")


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


@dataclass
class Folding:
    """How names fold in SQL: unaccent() for the letters where it agrees with
    `normalize.fold_name`, else translate() over `name_letters`."""

    letters: str
    folded: str
    unaccent: bool = False

    def sql(self, expr: str) -> str:
        if self.unaccent:
            return f"regexp_replace(lower(unaccent({expr})), ' +', ' ', 'g')"
        return f"regexp_replace(translate({expr}, %(letters)s, %(folded)s), ' +', ' ', 'g')"

    def params(self) -> dict:
        return {**SPACE_PARAMS, "letters": self.letters, "folded": self.folded, "date_re": _DATE_RE,
                "name_re": "^[" + self.letters + " ]*$"}


def folding(session: Session) -> Folding:
    """unaccent() folds names fast; it is used for the letters where it agrees with
    `normalize.fold_name` (checked here, letter by letter); other names fold in Python."""
    letters, folded = name_letters()
    try:
        with transaction.atomic():
            # Migration verification 0003 installs it; creating it here is only the
            # fallback for a database migrated without it.
            if not session.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'unaccent'"):
                session.exec("CREATE EXTENSION IF NOT EXISTS unaccent")
            got = session.fetch("SELECT lower(unaccent(c)) FROM unnest(%s::text[]) WITH ORDINALITY u(c, k) "
                                "ORDER BY k", [list(letters)])
    except Exception:  # noqa: BLE001 - no extension: the translate() fold is exact, only slower
        return Folding(letters, folded)
    keep = [(c, f) for c, f, (g,) in zip(letters, folded, got) if g == f]
    return Folding("".join(c for c, _f in keep), "".join(f for _c, f in keep), unaccent=True)


def _date_sql(m: str) -> dict[str, str]:
    """Pieces of SQL over a regexp_match(..., _DATE_RE) array `m`."""
    y, mo = f"coalesce({m}[1], {m}[6])::int", f"coalesce({m}[2], {m}[5])::int"
    d = f"coalesce({m}[3], {m}[4])::int"
    dim = (
        f"CASE WHEN {mo} = 2 THEN CASE WHEN {y} %% 4 = 0 AND ({y} %% 100 <> 0 OR {y} %% 400 = 0) THEN 29 "
        f"ELSE 28 END WHEN {mo} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    )
    full = (
        f"({m} IS NOT NULL AND {m}[7] IS NULL AND {y} BETWEEN 1 AND 9999 AND {mo} BETWEEN 1 AND 12 "
        f"AND {d} BETWEEN 1 AND {dim})"
    )
    return {"full": full, "date": f"CASE WHEN {full} THEN make_date({y}, {mo}, {d}) END",
            "y": y, "year_only": f"{m}[7]::int"}


def _match_sql(x: str) -> str:
    """regexp_match(x, _DATE_RE) as a text[7], with the common shapes cut out without a regex."""
    shape = f"translate({x}, '0123456789', '0000000000')"
    return (
        f"CASE {shape} "
        f"WHEN '0000-00-00' THEN ARRAY[substr({x}, 1, 4), substr({x}, 6, 2), substr({x}, 9, 2), NULL, NULL, "
        f"NULL, NULL] WHEN '00/00/0000' THEN ARRAY[NULL, NULL, NULL, substr({x}, 1, 2), substr({x}, 4, 2), "
        f"substr({x}, 7, 4), NULL] WHEN '0000' THEN ARRAY[NULL, NULL, NULL, NULL, NULL, NULL, {x}] "
        f"WHEN '' THEN NULL ELSE regexp_match({x}, %(date_re)s) END"
    )


def _trimmed_sql(exprs: dict[str, str], blank: str, *, unknown_only: bool = True) -> str:
    """s: the cells, trimmed as str.strip() does. The full whitespace set is slow in btrim, so it
    is used only on the (rare) rows holding whitespace other than the ASCII space. With
    `unknown_only`, the lines of vr_known are left out."""
    known = "AND NOT EXISTS (SELECT 1 FROM vr_known k WHERE k.line = vr_raw.line)" if unknown_only else ""
    odd = "(" + " || ".join(f"coalesce({e}, '')" for e in exprs.values()) + ") ~ %(odd_ws)s"
    cell = {c: f"CASE WHEN odd THEN btrim(coalesce({e}, ''), %(ws)s) ELSE btrim(coalesce({e}, '')) END"
            for c, e in exprs.items()}
    names = dict(zip(REPORT_COLUMNS, _CELLS))
    cells = ", ".join(f"{cell[c]} {names[c]}" for c in REPORT_COLUMNS)
    return f"""SELECT line, short, {cells}
          FROM (SELECT *, {odd} odd FROM vr_raw WHERE NOT ({blank}) {known} AND {{part}} OFFSET 0) raw
          OFFSET 0"""  # nosec B608 # constant SQL


def _typed_sql() -> str:
    """t: which rows are simple (validated here), the dates cut up, digits, the content hash."""
    def number(t: str) -> str:
        return f"CASE WHEN {t}_t ~ '^[0-9]+$' AND length(ltrim({t}_t, '0')) <= 9 THEN {t}_t::bigint END {t}_n"
    hash_expr = _HASH
    return f"""SELECT s.*,
            name ~ %(name_re)s name_simple,
            (dob_t || id_t || ph_t || prov_t || ward_t || dose_t || inj_t || lot_t) ~ {_ASCII}
              AND (sex_t ~ {_ASCII} OR sex_t IN ('nữ', 'Nữ', 'NỮ', 'nỮ')) simple,
            {_match_sql('dob_t')} dm, {_match_sql('inj_t')} im,
            regexp_replace(id_t, '[^0-9]', '', 'g') idd0, regexp_replace(ph_t, '[^0-9]', '', 'g') phd,
            {number('prov')}, {number('ward')}, {number('dose')},
            {hash_expr} hash
          FROM s
          OFFSET 0"""  # nosec B608 # constant SQL


def _parsed_sql() -> str:
    """u: the clean values (as `validation` cleans a row) and the lookups."""
    dob, inj = _date_sql("dm"), _date_sql("im")
    return f"""SELECT t.*,
            CASE WHEN dob_t = '' THEN 0
                 WHEN dm[7] IS NOT NULL THEN
                   CASE WHEN {dob["year_only"]} BETWEEN {_YEARS[0]} AND {_YEARS[1]} THEN 0 ELSE 1 END
                 WHEN {dob["full"]} THEN 0 ELSE 1 END dob_bad,
            CASE WHEN dob_t = '' THEN NULL WHEN dm[7] IS NOT NULL THEN {dob["year_only"]}
                 WHEN {dob["full"]} THEN {dob["y"]} END dob_year0,
            {dob["date"]} dob_date0,
            CASE WHEN dob_t = '' THEN '' WHEN dm[7] IS NOT NULL THEN 'year' ELSE 'day' END dob_prec0,
            CASE WHEN inj_t = '' THEN 1 WHEN {inj['full']} THEN 0 ELSE 2 END inj_bad,
            {inj['date']} inj_date,
            CASE translate(sex_t, 'ABCDEFGHIJKLMNOPQRSTUVWXYZỮ', 'abcdefghijklmnopqrstuvwxyzữ')
              {_SEX_SQL} END sex_v,
            CASE WHEN length(idd0) IN (10, 11) THEN lpad(idd0, 12, '0')
                 WHEN length(idd0) = 8 THEN lpad(idd0, 9, '0') ELSE idd0 END idd,
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
          OFFSET 0"""  # nosec B608 # constant SQL


# The content hash of `validation.content_hash` over the trimmed cells.
_HASH = "md5(" + " || chr(31) || ".join(_CELLS) + ")"
_PROBE = 1000  # lines whose record ids are looked up in the ledger before the whole file is


def known_rows(session: Session, exprs: dict[str, str], blank: str, *, ledger: bool = True) -> int:
    """vr_known: the lines whose record id and content the ledger holds as landed (not
    `incomplete`): a valid row when it landed, skipped now, so they are not cleaned and checked
    again (a re-run validates only the rest). Looked for only when the ledger knows a record id
    of the file's first lines (a new file pays one probe). Returns how many lines."""
    session.exec("CREATE UNLOGGED TABLE vr_known (line int PRIMARY KEY, rid text, hash text)")
    table = ImportedRow._meta.db_table
    first_ids = (f"SELECT btrim(coalesce({exprs['record_id']}, '')) FROM vr_raw "
                 f"LIMIT {_PROBE}")  # nosec B608 # column expressions of the header map, no cell value
    if not ledger or not session.scalar(
            f"SELECT count(*) FROM {table} WHERE source_record_id IN ({first_ids})"):  # nosec B608 # constant SQL
        return 0
    session.halves(f"""INSERT INTO vr_known
        SELECT line, rid, hash FROM (SELECT line, rid, {_HASH} hash
                                     FROM ({_trimmed_sql(exprs, blank, unknown_only=False)}) s) h
        WHERE EXISTS (SELECT 1 FROM {table} l WHERE l.source_record_id = h.rid AND l.content_hash = h.hash
                        AND l.outcome <> %(incomplete)s)""",  # nosec B608 # constant SQL
                   {**SPACE_PARAMS, "incomplete": INCOMPLETE}, "vr_raw")
    session.exec("ANALYZE vr_known")
    return session.scalar("SELECT count(*) FROM vr_known")


def classify(session: Session, exprs: dict[str, str], blank: str, fold: Folding) -> None:
    """vr_rows: one row per non-blank line, cleaned values and a `simple` flag."""
    # Each level is fenced (OFFSET 0) so that its expressions are computed once per row, not
    # copied into every reference by the planner.
    sql = f"""
        WITH s AS ({_trimmed_sql(exprs, blank)}), t AS ({_typed_sql()}), u AS ({_parsed_sql()})
        SELECT line, short, rid, name, dob_t, sex_t, id_t, ph_t, prov_t, ward_t, vac_t, dose_t, inj_t, lot_t,
          NOT name_simple OR length(name) > 150 name_py, simple, hash,
          CASE WHEN name_simple THEN {fold.sql('name')} END fold,
          dob_bad, CASE WHEN dob_bad = 0 THEN dob_year0 END dob_year,
          CASE WHEN dob_bad = 0 THEN dob_date0 END dob_date,
          CASE WHEN dob_bad = 0 THEN dob_prec0 ELSE '' END dob_prec,
          inj_bad, inj_date, sex_v, idd, phone,
          CASE WHEN prov_t = '' THEN NULL ELSE prov_ok END prov_id,
          ward_id, ward_prov,
          CASE WHEN prov_t = '' AND ward_t <> '' THEN ward_prov WHEN prov_t = '' THEN NULL
               ELSE prov_ok END prov_eff,
          vac_id, vac_name, dose_n
        FROM u
        """  # nosec B608 # constant SQL
    session.exec("CREATE UNLOGGED TABLE vr_rows AS " + sql.replace("{part}", "true") + " WITH NO DATA",
                 fold.params())
    session.halves("INSERT INTO vr_rows " + sql, fold.params(), "vr_raw")


def unusual_names(session: Session) -> None:
    """Names outside the simple alphabet (or long ones): normalised length, the report's
    value, the folded key and whether it is name text, computed by `normalize` once per distinct name."""
    session.exec(
        "CREATE UNLOGGED TABLE vr_names (name text PRIMARY KEY, norm_len int, norm40 text, fold text, "
        "name_ok bool, norm_name text)"
    )
    rows = []
    for (n,) in session.fetch("SELECT DISTINCT name FROM vr_rows WHERE name_py"):
        norm = normalize.normalize_name(n)
        rows.append((n, len(norm), norm[:40] + "…", normalize.fold_name(n) or None,
                     normalize.is_name_text(norm), norm))
    session.copy_in("vr_names", "name, norm_len, norm40, fold, name_ok, norm_name", rows)
    session.exec("ANALYZE vr_names")


def sql_errors(session: Session, today) -> None:
    """Error lines of the simple rows, from the rule table (as `validate_report_row` words them)."""
    source = """(SELECT r.*, n.norm_len, n.norm40, n.name_ok, n.norm_name FROM vr_rows r
                 LEFT JOIN vr_names n ON r.name_py AND n.name = r.name
                 WHERE r.simple AND {part} OFFSET 0)"""
    session.halves(error_insert_sql(source=source), error_params(today=today), "vr_rows")


def unusual_rows(session: Session, lookups) -> None:
    """Rows with cells in unusual forms: validated by the Python validator itself."""
    errors, clean = [], []
    session.exec(
        "CREATE UNLOGGED TABLE vr_pyclean (line int, sex text, dob_date date, dob_year int, "
        "dob_prec text, idd text, phone text, prov bigint, ward bigint, vac_id bigint, vac_name text, "
        "dose int, inj_date date, fold text)"
    )
    rows = session.fetch(
        f"SELECT line, short, {', '.join(_CELLS)} FROM vr_rows "
        "WHERE NOT simple ORDER BY line"  # nosec B608 # constant SQL
    )
    for line, short, *cells in rows:
        row = dict(zip(REPORT_COLUMNS, cells))
        if short:
            row["__short__"] = "1"
        record, errs = validate_report_row(line, row, lookups)
        if errs:
            errors.extend((e.line, k, e.record_id, e.column, e.value, e.reason) for k, e in enumerate(errs))
        else:
            birth = record["birth"]
            clean.append((line, record["sex"] or None, birth.value, birth.year, birth.precision,
                          record["id_number"], record["phone"], record["province_code"], record["ward_code"],
                          record["vaccine_id"], record["vaccine"], record["dose_number"],
                          record["injection_date"], normalize.fold_name(record["full_name"]) or None))
    if errors:
        session.copy_in("vr_err", "line, seq, record_id, col, val, reason", errors)
    if clean:
        session.copy_in("vr_pyclean", "line, sex, dob_date, dob_year, dob_prec, idd, phone, prov, ward, "
                        "vac_id, vac_name, dose, inj_date, fold", clean)
    session.exec("ANALYZE vr_pyclean")
    session.exec("ANALYZE vr_err")


def valid_rows(session: Session) -> None:
    """vr_valid: every valid row with its clean values (one table write, no updates)."""
    session.exec("""
        CREATE UNLOGGED TABLE vr_valid AS
        SELECT r.line, r.rid, r.hash, r.name, r.lot_t, coalesce(r.fold, n.fold) fold, r.sex_v, r.dob_date,
               r.dob_year, r.dob_prec, r.idd, r.phone, r.prov_eff, r.ward_id, r.vac_id, r.vac_name, r.dose_n,
               r.inj_date
        FROM vr_rows r LEFT JOIN vr_names n ON r.name_py AND n.name = r.name
        WHERE r.simple AND NOT EXISTS (SELECT 1 FROM vr_err e WHERE e.line = r.line)
        UNION ALL
        SELECT r.line, r.rid, r.hash, r.name, r.lot_t, p.fold, p.sex, p.dob_date, p.dob_year, p.dob_prec,
               p.idd, p.phone, p.prov, p.ward, p.vac_id, p.vac_name, p.dose, p.inj_date
        FROM vr_rows r JOIN vr_pyclean p ON p.line = r.line""")
    session.exec("ANALYZE vr_valid")


def same_id_conflicts(session: Session) -> None:
    """A valid row whose record id an earlier valid row has with other content leaves
    vr_valid (or vr_known) for an error line naming that earlier line (as
    `validation.same_id_other_content`); the rows already imported count as valid ones."""
    session.exec("""
        CREATE TEMP TABLE vr_conflict AS
        WITH v AS (SELECT line, rid, hash FROM vr_valid UNION ALL SELECT line, rid, hash FROM vr_known),
        ids AS (SELECT rid FROM v GROUP BY rid HAVING min(hash) <> max(hash)),
        f AS (SELECT DISTINCT ON (v.rid) v.rid, v.line, v.hash FROM v JOIN ids USING (rid)
              ORDER BY v.rid, v.line)
        SELECT v.line, v.rid, f.line first_line FROM v JOIN f USING (rid)
        WHERE v.hash <> f.hash""")
    if not session.scalar("SELECT count(*) FROM vr_conflict"):
        session.exec("DROP TABLE vr_conflict")
        return
    session.exec("""
        INSERT INTO vr_err (line, seq, record_id, col, val, reason)
        SELECT line, 50, rid, 'record_id', rid, replace(%(reason)s, '@FIRST@', first_line::text)
        FROM vr_conflict""", {"reason": same_id_reason("@FIRST@")})
    session.exec("DELETE FROM vr_valid v USING vr_conflict c WHERE v.line = c.line")
    session.exec("DELETE FROM vr_known v USING vr_conflict c WHERE v.line = c.line")
    session.exec("DROP TABLE vr_conflict")
