"""The police daily verification report as its own export: the police CSV's columns, headers
in Vietnamese or English, formula-safe, scoped as the police report is."""

import csv
import io

import openpyxl
import pytest
from django.utils import timezone

from accounts.models import Role
from records.models import Ward
from tests.factories import HCM_PROVINCE, make_user
from tests.police.conftest import awaiting_case
from tests.reports.fixtures_exports import body, read_csv

pytestmark = pytest.mark.django_db
URL = "/reports/export/police"


@pytest.fixture
def cases(police_user):
    """Two cases with the police of Hoàn Kiếm (one named as formula text), one in another
    Hà Nội ward and one in Hồ Chí Minh City, all received today."""
    ward = police_user.profile.ward
    ward.name = "=cmd|' /C calc'!A0"
    ward.save(update_fields=["name"])
    awaiting_case(id_number="001090000011")
    awaiting_case(id_number="001090000022")
    other = Ward.objects.filter(province_id=1).exclude(code=70).order_by("code").first()
    hcm = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    awaiting_case(ward=other, id_number="001090000033")
    awaiting_case(ward=hcm, id_number="079090000044")
    return {"ward": ward, "other": other, "hcm": hcm}


def police_csv(client) -> list[list[str]]:
    text = client.get("/verification/police/report.csv").content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_export_has_the_police_csv_rows_with_translated_headers(cases, police_user, client):
    client.force_login(police_user)
    vi = read_csv(client.get(URL))
    en = read_csv(client.get(URL, {"lang": "en"}))
    reference = police_csv(client)
    assert vi[1:] == en[1:] == reference[1:]
    assert len(vi[0]) == len(reference[0])
    assert en[0] == ["Day", "Ward code", "Ward", "Received", "Verified by the registry",
                     "Confirmed by an officer",
                     "Mismatches", "Not found", "Foreign nationals", "Still open", "Age (days)"]
    assert vi[0][0] == "Ngày"
    assert [r[1:4] for r in en[1:]] == [["70", "'=cmd|' /C calc'!A0", "2"]]


def test_the_police_report_csv_escapes_the_ward_name_too(cases, police_user, client):
    client.force_login(police_user)
    assert police_csv(client)[1][2] == "'=cmd|' /C calc'!A0"


def test_the_xlsx_export_holds_the_same_cells(cases, provincial_user, client):
    client.force_login(provincial_user)
    response = client.get(URL, {"format": "xlsx", "lang": "en"})
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(body(response))).active.iter_rows(values_only=True))
    assert rows[0][0] == "Day"
    assert sorted((r[1], r[2], r[3]) for r in rows[1:]) == sorted(
        [(70, "'=cmd|' /C calc'!A0", 2), (cases["other"].code, cases["other"].name, 1)])


def test_the_file_name_carries_the_scope_and_dates(cases, police_user, provincial_user, ministry_user,
                                                   client):
    today = timezone.localdate()
    start = today.replace(day=1)
    period = {"start": start.isoformat(), "end": today.isoformat()}
    dates = f"{start:%Y%m%d}-{today:%Y%m%d}"
    for user, where in ((police_user, "ward-00070"), (provincial_user, "province-01"),
                        (ministry_user, "nation")):
        client.force_login(user)
        assert client.get(URL, {**period, "format": "xlsx"})["Content-Disposition"] == (
            f'attachment; filename="vaxrecon-police-{where}-{dates}.xlsx"')


def test_each_scope_sees_only_its_wards(cases, provincial_user, ministry_user, client):
    client.force_login(make_user(Role.COMMUNE_POLICE, username="police-hcm", ward=cases["hcm"]))
    assert {r[1] for r in read_csv(client.get(URL))[1:]} == {str(cases["hcm"].code)}
    client.force_login(provincial_user)
    assert {r[1] for r in read_csv(client.get(URL))[1:]} == {"70", str(cases["other"].code)}
    client.force_login(ministry_user)
    assert {r[1] for r in read_csv(client.get(URL))[1:]} == {"70", str(cases["other"].code),
                                                             str(cases["hcm"].code)}


def test_clinic_staff_are_refused_and_bad_input_is_a_400(clinic_user, police_user, client):
    client.force_login(clinic_user)
    assert client.get(URL).status_code == 403
    client.force_login(police_user)
    assert client.get(URL, {"format": "adx"}).status_code == 400
    assert client.get(URL, {"lang": "de"}).status_code == 400
    assert client.get(URL, {"start": "yesterday"}).status_code == 400
    assert client.get(URL, {"start": "2026-01-01", "end": "2026-12-01"}).status_code == 400
