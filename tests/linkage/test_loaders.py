"""Loaders: citizens come in the same way from row tuples, the registry CSV and PostgreSQL."""

import csv
import datetime as dt

import pytest
from django.db import connection

from records.models import Citizen, Ward
from tests.factories import HANOI_WARD, CitizenFactory
from verification.linkage import CITIZEN_ROW_FIELDS, CitizenIndex, loaders
from verification.linkage.loaders import iter_registry_csv, row_columns

COLUMNS = ("name", "accent", "dob", "year", "sex", "province", "ward", "cccd", "cmnd", "phone")


def contents(ix: CitizenIndex) -> dict:
    got = {k: getattr(ix, k).tolist() for k in COLUMNS}
    got.update(ids=list(ix.ids), names=ix.names, accents=ix.accents, tokens=ix.tokens)
    return got


def test_rows_become_columns_whatever_the_date_is_written_as():
    ids, cccd, cmnd, names, dob, year, sex, prov, ward, phone = row_columns([
        (1, "001090123456", "", "Nguyễn Văn Hùng", "1990-04-12", None, "M", 1, 101, "0912000001"),
        (2, "", "123456789", "Trần Thị Lan", dt.date(1991, 7, 1), None, "F", "79", "7901", ""),
        (3, None, None, "Lê Mai", "05/03/1980", None, "F", None, "", ""),
        (4, "", "", "Phạm An", None, 1985, "", "x", None, ""),
    ])
    assert ids == [1, 2, 3, 4]
    assert dob.tolist() == [19900412, 19910701, 19800305, 0]
    assert year.tolist() == [1990, 1991, 1980, 1985]
    assert prov.tolist() == [1, 79, 0, 0] and ward.tolist() == [101, 7901, 0, 0]
    assert row_columns([]) is None


def test_the_registry_csv_reads_as_rows_with_cccd_cmnd_and_national_phones(tmp_path):
    path = tmp_path / "registry.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["citizen_id", "legacy_id", "full_name", "date_of_birth", "sex", "province_code",
                    "ward_code", "phone"])
        w.writerow(["001090123456", "123456789", "Nguyễn Văn Hùng", "1990-04-12", "M", "1", "101",
                    "+84 912 000 001"])
        w.writerow(["C-2", "", "Trần Thị Lan", "", "F", "", "", "0912000002"])
    rows = list(iter_registry_csv(path))
    assert rows == [
        ("001090123456", "001090123456", "123456789", "Nguyễn Văn Hùng", "1990-04-12", None, "M", "1", "101",
         "0912000001"),
        ("C-2", "", "", "Trần Thị Lan", None, None, "F", "", "", "0912000002"),
    ]
    assert contents(CitizenIndex.from_registry_csv(path)) == contents(CitizenIndex.from_rows(rows))


def some_citizens():
    hcm = Ward.objects.filter(province_id=79).order_by("code").first()
    CitizenFactory()
    CitizenFactory(full_name='Trần "Út" Lan', cccd=None, cmnd="123456789", phone="", date_of_birth=None,
                   birth_year=1950, sex="F", ward=None)
    CitizenFactory(full_name="Lê Đình Thắng", date_of_birth=dt.date(1985, 11, 30), ward=hcm)


def from_django_rows() -> CitizenIndex:
    rows = Citizen.objects.values_list(*CITIZEN_ROW_FIELDS).order_by("pk")
    return CitizenIndex.from_rows(rows)


def counting_second_connections(monkeypatch) -> list:
    opened = []
    real = loaders._second_connection

    def second(conn):
        opened.append(conn)
        return real(conn)

    monkeypatch.setattr(loaders, "_second_connection", second)
    return opened


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")


@postgres_only
def test_postgres_gives_the_index_the_rows_give_inside_a_transaction(db, monkeypatch):
    some_citizens()
    opened = counting_second_connections(monkeypatch)
    assert contents(CitizenIndex.from_postgres(connection)) == contents(from_django_rows())
    assert opened == []  # this transaction wrote: read on its own connection


@postgres_only
def test_postgres_reads_numbers_on_a_second_connection_sharing_the_snapshot(transactional_db, reference_data,
                                                                          monkeypatch):
    assert Ward.objects.filter(code=HANOI_WARD).exists()
    some_citizens()
    opened = counting_second_connections(monkeypatch)
    connection.ensure_connection()
    got = contents(CitizenIndex.from_postgres(connection.connection))
    assert len(opened) == 1
    assert connection.connection.autocommit
    assert got == contents(from_django_rows())
