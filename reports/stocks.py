"""Doses and people on record at the end of a day: counted from every record, or carried.

Counting them means reading every injection record (10 million at national scale), so a
day whose day before is stored whole and current starts from that day's stocks instead and
adds what changed that day, which is exact for records:

    on record at midnight = on record the midnight before
                            + versions entered that day
                            - versions a correction entered that day replaced

and for people: for each person with a record entered that day, whether they have a dose
of each kind on record now minus whether they had one the midnight before (the people and
kinds of the versions entered that day and of the versions they replace). People and
doses are placed by the person's ward and sex, the dose's facility and the person's age at
the injection as they are at the build; a later correction of a person's ward, sex or birth
date moves their counts only from a full count on (`build_daily_report --full`).
"""

from __future__ import annotations

from reports import sql
from reports.figures import PERSON_AGE_BANDS

BASE, UNITS, DOSES = sql.BASE, sql.UNITS, sql.DOSES
TOUCHED, TOUCHED_RECORDS = sql.TOUCHED, sql.TOUCHED_RECORDS
STOCKS = ["doses_dose1", "doses_dose2", "doses_booster", "people_dose1", "people_dose2", "people_booster"]
# What places a record version: its person, its facility, its vaccine.
RECORD_JOINS = """JOIN records_citizen cz ON cz.id = r.citizen_id
    LEFT JOIN records_facility f ON f.id = r.facility_id
    JOIN records_vaccineproduct v ON v.id = r.vaccine_id"""
DOSE_CLASS = "CASE dose_number WHEN 1 THEN 'doses_dose1' WHEN 2 THEN 'doses_dose2' ELSE 'doses_booster' END"
DOSE_KINDS = (("d1", "r.dose_number = 1"), ("d2", "r.dose_number = 2"), ("b", "r.dose_number >= 3"))
DOSE_TOP = 32767  # above any dose number (a SMALLINT's largest): the booster kind's range is 3..this


def current_at(param: str) -> str:
    """A record version is on record at an instant when it existed and no correction had
    replaced it yet."""
    return f"""(r.created_at < %({param})s AND NOT EXISTS (
        SELECT 1 FROM records_injectionrecord n WHERE n.previous_id = r.id """ \
        f"AND n.created_at < %({param})s))"  # nosec B608 # constant SQL


def age_band() -> str:
    age = f"{sql.year_of('r.injection_date')} - cz.birth_year"
    bands = " ".join(f"WHEN {age} <= {hi} THEN '{name}'"
                     for name, _lo, hi in PERSON_AGE_BANDS if hi is not None)
    return f"CASE {bands} ELSE '{PERSON_AGE_BANDS[-1][0]}' END"


def _people_insert(per_citizen: str) -> str:
    """People facts by the ward they live in, from a per-citizen (citizen_id, d1, d2, b) query:
    each person's ward looked up once for the three kinds (w), not once a kind."""
    parts = [f"SELECT CAST(NULL AS INTEGER), ward_id, 'people_{name}', {column} FROM w"  # nosec B608 # constant SQL
             for name, column in (("dose1", "d1"), ("dose2", "d2"), ("booster", "b"))]
    return (f"WITH p AS ({per_citizen}), "
            "w AS (SELECT cz.ward_id, SUM(p.d1) AS d1, SUM(p.d2) AS d2, SUM(p.b) AS b "
            "FROM p JOIN records_citizen cz ON cz.id = p.citizen_id GROUP BY cz.ward_id) "
            f"INSERT INTO {BASE} (facility, ward, figure, value) " + " UNION ALL ".join(parts))  # nosec B608 # constant SQL


def _touched() -> str:
    """The people and dose kinds whose holding can change that day (see facts)."""
    # Whether a person holds a dose of a kind changes only where a version of that kind was
    # entered or replaced: the people and kinds of the day's versions and of the versions
    # they replace (a correction may move a dose to another person or kind), each kind as
    # its range of dose numbers, so only those records are read.
    kind_range = ", ".join(
        f"CASE WHEN {{d}} = 1 THEN 1 WHEN {{d}} = 2 THEN 2 WHEN {{d}} >= 3 THEN {top} END AS {name}"
        for top, name in ((3, "lo"), (DOSE_TOP, "hi")))
    return f"""INSERT INTO {TOUCHED} (citizen_id, lo, hi)
        WITH entered AS (SELECT citizen_id, dose_number, previous_id FROM records_injectionrecord
                         WHERE created_at >= %(lo)s AND created_at < %(hi)s)
        SELECT citizen_id, lo, hi FROM (
            SELECT citizen_id, {kind_range.format(d='dose_number')} FROM entered
            UNION
            SELECT p.citizen_id, {kind_range.format(d='p.dose_number')}
            FROM entered r JOIN records_injectionrecord p ON p.id = r.previous_id) k
        WHERE lo IS NOT NULL"""  # nosec B608 # constant SQL


def facts(*, carry: bool) -> list[str]:
    """The doses cross-table (whole, or that day's change) and the dose and people facts."""
    group = f"r.facility_id, COALESCE(f.ward_id, cz.ward_id), v.code, r.dose_number, cz.sex, {age_band()}"
    if carry:
        changed = """SELECT id AS rid, 1 AS sign FROM records_injectionrecord
                     WHERE created_at >= %(lo)s AND created_at < %(hi)s
                     UNION ALL
                     SELECT previous_id, -1 FROM records_injectionrecord
                     WHERE created_at >= %(lo)s AND created_at < %(hi)s AND previous_id IS NOT NULL"""
        doses = f"""INSERT INTO {DOSES} (facility, ward, vaccine, dose_number, sex, age_band, doses)
            SELECT {group}, SUM(x.sign) FROM ({changed}) x
            JOIN records_injectionrecord r ON r.id = x.rid {RECORD_JOINS} """ \
        f"GROUP BY {group}"  # nosec B608 # constant SQL
        # The same rule as current_at, on the records of the people touched that day, each
        # with the time its replacing version was entered (looked up once, into a scratch
        # table: the planner then walks their records by citizen instead of every record).
        def held(at: str) -> str:
            return f"r.created_at < %({at})s AND (r.replaced_at IS NULL OR r.replaced_at >= %({at})s)"

        kinds = ", ".join(
            f"MAX(CASE WHEN {cond} AND {held('hi')} THEN 1 ELSE 0 END)"
            f" - MAX(CASE WHEN {cond} AND {held('lo')} THEN 1 ELSE 0 END) AS {name}"
            for name, cond in DOSE_KINDS)
        touched = _touched()
        # Their records come from the covering (citizen, dose, created, id) index; the few
        # corrections (previous_id set) are hashed once rather than probed per record.
        their_records = f"""INSERT INTO {TOUCHED_RECORDS} (citizen_id, dose_number, created_at, replaced_at)
            SELECT r.citizen_id, r.dose_number, r.created_at, n.created_at
            FROM {TOUCHED} t JOIN records_injectionrecord r ON r.citizen_id = t.citizen_id
                 AND r.dose_number >= t.lo AND r.dose_number <= t.hi
            LEFT JOIN (SELECT previous_id, created_at FROM records_injectionrecord
                       WHERE previous_id IS NOT NULL) n ON n.previous_id = r.id"""  # nosec B608 # constant SQL
        per_citizen = (f"SELECT r.citizen_id, {kinds} FROM {TOUCHED_RECORDS} r "
                       "GROUP BY r.citizen_id")  # nosec B608 # constant SQL
    else:
        doses = f"""INSERT INTO {DOSES} (facility, ward, vaccine, dose_number, sex, age_band, doses)
            SELECT {group}, COUNT(*) FROM records_injectionrecord r {RECORD_JOINS}
            WHERE {current_at('hi')} GROUP BY {group}"""  # nosec B608 # constant SQL
        kinds = ", ".join(f"MAX(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}" for name, cond in DOSE_KINDS)
        per_citizen = f"""SELECT r.citizen_id, {kinds} FROM records_injectionrecord r
            WHERE {current_at('hi')} GROUP BY r.citizen_id"""  # nosec B608 # constant SQL
    return [*([touched, their_records] if carry else []), doses,
            f"""INSERT INTO {BASE} (facility, ward, figure, value)
                SELECT facility, ward, {DOSE_CLASS}, SUM(doses) FROM {DOSES}
                GROUP BY facility, ward, {DOSE_CLASS}""",  # nosec B608 # constant SQL
            _people_insert(per_citizen)]


def carried_units(names: list[str]) -> str:
    return " UNION ALL ".join(
        f"SELECT level, unit, '{name}', {name} FROM reports_dailyfigures "
        f"WHERE day = %(prev)s AND {name} <> 0"  # nosec B608 # constant SQL
        for name in names)


def carried_stocks(*, carry: bool, names: list[str] = STOCKS) -> list[str]:
    """The day before's stocks (`names`), per unit, to which that day's change adds up."""
    if not carry:
        return []
    return [f"INSERT INTO {UNITS} (level, unit, figure, value) {carried_units(names)}"]


def write_doses(*, carry: bool) -> list[str]:
    """DailyDoses of the day for the provinces and the nation (the day before's plus the
    change, when carried)."""
    before = ("SELECT level, unit, vaccine, dose_number, sex, age_band, doses FROM reports_dailydoses "
              "WHERE day = %(prev)s UNION ALL ") if carry else ""
    return [f"""
        INSERT INTO reports_dailydoses (day, level, unit, vaccine, dose_number, sex, age_band, doses)
        SELECT %(day)s, level, unit, vaccine, dose_number, sex, age_band, SUM(doses) FROM (
            {before}
            SELECT 1 AS level, w.province_id AS unit, d.vaccine, d.dose_number, d.sex, d.age_band, d.doses
            FROM {DOSES} d JOIN records_ward w ON w.code = d.ward
            UNION ALL
            SELECT 0, 0, vaccine, dose_number, sex, age_band, doses FROM {DOSES}) x
        GROUP BY level, unit, vaccine, dose_number, sex, age_band
        HAVING SUM(doses) <> 0"""]  # nosec B608 # constant SQL
