"""The citizen's exact look-ups have their indexes, and no write pays for an index no query reads."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

TABLES = ("records_citizen", "records_injectionrecord", "certificates_vaccinationcertificate")


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("index definitions are PostgreSQL's")


@pytest.mark.parametrize("table", TABLES)
def test_no_pattern_ops_index_that_no_query_uses(table):
    pattern = {name: d for name, d in _indexes(table).items() if "pattern_ops" in d}
    assert pattern == {}


def test_the_injection_source_record_id_is_not_indexed():
    assert not [d for d in _indexes("records_injectionrecord").values() if "source_record_id" in d]


def test_the_uvci_stays_unique_with_one_index():  # one per certificate: millions, written in bulk
    unique = [d for d in _indexes("certificates_vaccinationcertificate").values() if "(uvci)" in d]
    assert len(unique) == 1 and "UNIQUE" in unique[0], unique


def test_the_cccd_stays_unique_with_one_index():
    unique = [d for d in _indexes("records_citizen").values() if "(cccd)" in d]
    assert len(unique) == 1 and "UNIQUE" in unique[0], unique


@pytest.mark.parametrize("column,value", [("cmnd", "123456789"), ("phone", "0912345678"),
                                          ("name_key", "nguyen van an")])
def test_each_exact_citizen_look_up_is_answered_by_an_index(column, value):
    plan = _plan(f"SELECT id FROM records_citizen WHERE {column} = %s", [value])  # nosec B608 # test
    assert "Index" in plan and f"citizen_{column}" in plan, plan
