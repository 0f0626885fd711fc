"""Figures exports parse back to the stored figures, in every format, with headers in both
languages, formula-safe unit names and file names that carry the scope and dates."""

from datetime import date

import pytest
from django.http import StreamingHttpResponse
from django.utils import translation

from reports.figures import FIGURES, NAMES, derived
from reports.models import DailyDoses, Level
from tests.reports.fixtures_exports import (
    ADX,
    END,
    HOSTILE_NAME,
    START,
    URL,
    body,
    build_export_figures,
    read_adx,
    read_csv,
    read_json,
    read_xlsx,
    stored,
)

pytestmark = pytest.mark.django_db
HANOI = 1
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}
FIXED = 6  # date, unit code, unit, province code, province, ward code


@pytest.fixture
def figures(hanoi_facility, settings):
    return build_export_figures(hanoi_facility, settings)


def as_cell(value) -> str:
    return "" if value is None else str(value)


def test_the_csv_is_streamed_and_parses_back_to_the_stored_ward_rows(figures, provincial_user, client):
    client.force_login(provincial_user)
    response = client.get(URL, {**PERIOD, "level": "ward", "format": "csv"})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    expected = stored(level=Level.WARD, province=HANOI)
    assert expected and len(rows) == 1 + len(expected)
    for line, row in zip(rows[1:], expected, strict=True):
        assert line[:2] == [row["day"].isoformat(), str(row["unit"])]
        assert line[3:6] == [str(HANOI), "Thành phố Hà Nội", str(row["ward"])]
        assert line[FIXED:FIXED + len(NAMES)] == [as_cell(row[n]) for n in NAMES]
        assert line[FIXED + len(NAMES):] == [as_cell(v) for v in derived(row).values()]


def test_the_headers_are_vietnamese_by_default_and_english_on_request(figures, ministry_user, client):
    client.force_login(ministry_user)
    vi = read_csv(client.get(URL, {**PERIOD, "level": "province"}))[0]
    en = read_csv(client.get(URL, {**PERIOD, "level": "province", "lang": "en"}))[0]
    assert vi[0] == "Ngày" and en[0] == "Date"
    with translation.override("en"):
        assert en[FIXED:FIXED + len(FIGURES)] == [str(f.label) for f in FIGURES]
    assert en[-1] == "Drop-out from dose 1 to dose 2"
    assert "Verified by the registry" in en and "CSDL dân cư xác minh" in vi
    with translation.override("vi"):
        assert vi[FIXED:FIXED + len(FIGURES)] == [str(f.label) for f in FIGURES]
    assert len(vi) == len(en) == FIXED + len(FIGURES) + 3


def test_a_formula_in_a_facility_name_is_escaped_in_csv_and_xlsx(figures, provincial_user, client):
    client.force_login(provincial_user)
    params = {**PERIOD, "unit_level": "ward", "unit_code": 70, "level": "facility"}
    csv_names = {r[2] for r in read_csv(client.get(URL, {**params, "format": "csv"}))[1:]}
    xlsx_names = {r[2] for r in read_xlsx(client.get(URL, {**params, "format": "xlsx"}))[1:]}
    assert "'" + HOSTILE_NAME in csv_names and HOSTILE_NAME not in csv_names
    assert "'" + HOSTILE_NAME in xlsx_names and HOSTILE_NAME not in xlsx_names


def test_the_xlsx_parses_back_to_the_stored_facility_rows(figures, provincial_user, client):
    client.force_login(provincial_user)
    response = client.get(URL, {**PERIOD, "level": "facility", "format": "xlsx", "lang": "en"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = read_xlsx(response)
    expected = stored(level=Level.FACILITY, province=HANOI)
    assert expected and len(rows) == 1 + len(expected)
    assert rows[0][0] == "Date"
    for line, row in zip(rows[1:], expected, strict=True):
        assert line[0].date() == row["day"] and line[1] == row["unit"] and line[5] == row["ward"]
        assert list(line[FIXED:FIXED + len(NAMES)]) == [row[n] for n in NAMES]
        assert list(line[FIXED + len(NAMES):]) == list(derived(row).values())


def test_the_json_is_a_list_of_day_unit_objects_with_every_figure(figures, ministry_user, client):
    client.force_login(ministry_user)
    response = client.get(URL, {**PERIOD, "unit_level": "nation", "level": "province", "format": "json"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = read_json(response)
    expected = stored(level=Level.PROVINCE)
    assert [(o["day"], o["unit"]) for o in data] == [(r["day"].isoformat(), r["unit"]) for r in expected]
    for obj, row in zip(data, expected, strict=True):
        assert obj["level"] == "province" and obj["orgUnit"] == "P%02d" % row["unit"]
        assert obj["figures"] == {n: row[n] for n in NAMES}
        assert obj["derived"] == derived(row)
    assert {o["name"] for o in data} >= {"Thành phố Hà Nội"}


def test_the_adx_carries_every_figure_and_the_doses_cross_table(figures, ministry_user, client):
    client.force_login(ministry_user)
    response = client.get(URL, {**PERIOD, "unit_level": "nation", "level": "province", "format": "adx"})
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/adx+xml; charset=utf-8"
    root = read_adx(response)
    assert root.tag == ADX + "adx"
    groups = root.findall(ADX + "group")
    expected = stored(level=Level.PROVINCE)
    assert [(g.get("orgUnit"), g.get("period")) for g in groups] == [
        ("P%02d" % r["unit"], f"{r['day'].isoformat()}/P1D") for r in expected]
    assert {g.get("dataSet") for g in groups} == {"VAXRECON_DAILY"}
    codes = {f.adx_code: f.name for f in FIGURES}
    for group, row in zip(groups, expected, strict=True):
        values = {v.get("dataElement"): v for v in group.findall(ADX + "dataValue")}
        assert {codes[c]: int(v.get("value")) for c, v in values.items() if c != "VR_DOSES"} == {
            n: row[n] for n in NAMES if row[n] is not None}
        doses = sorted((v.get("VACCINE"), int(v.get("DOSE")), v.get("SEX"), v.get("AGE_BAND"),
                        int(v.get("value")))
                       for v in group.findall(ADX + "dataValue") if v.get("dataElement") == "VR_DOSES")
        assert doses == sorted(DailyDoses.objects.filter(day=row["day"], level=Level.PROVINCE,
                                                         unit=row["unit"])
                               .values_list("vaccine", "dose_number", "sex", "age_band", "doses"))
    assert any(v.get("dataElement") == "VR_DOSES" for v in root.iter(ADX + "dataValue"))


def test_the_adx_of_facilities_names_them_by_facility_code(figures, hanoi_facility, provincial_user, client):
    client.force_login(provincial_user)
    root = read_adx(client.get(URL, {**PERIOD, "level": "facility", "format": "adx"}))
    assert f"F{hanoi_facility.pk}" in {g.get("orgUnit") for g in root.findall(ADX + "group")}


def test_file_names_carry_the_scope_level_and_dates(figures, provincial_user, client):
    client.force_login(provincial_user)
    for fmt in ("csv", "xlsx", "json", "adx"):
        response = client.get(URL, {**PERIOD, "level": "ward", "format": fmt})
        assert response["Content-Disposition"] == (
            f'attachment; filename="vaxrecon-figures-province-01-ward-20261119-20261120.{fmt}"')
    response = client.get(URL, {**PERIOD, "unit_level": "ward", "unit_code": 70, "level": "facility"})
    assert ('filename="vaxrecon-figures-ward-00070-facility-20261119-20261120.csv"'
            in response["Content-Disposition"])


def test_the_streamed_content_joins_to_the_whole_file(figures, ministry_user, client):
    client.force_login(ministry_user)
    response = client.get(URL, {**PERIOD, "unit_level": "nation", "level": "ward"})
    pieces = list(response.streaming_content)
    data = b"".join(pieces)
    lines = data.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + len(stored(level=Level.WARD))
    assert data.endswith(b"\r\n")


def test_an_empty_period_gives_the_header_only(figures, provincial_user, client):
    client.force_login(provincial_user)
    rows = read_csv(client.get(URL, {"start": "2026-01-01", "end": "2026-01-31", "level": "ward"}))
    assert len(rows) == 1
    assert read_json(client.get(URL, {"start": "2026-01-01", "end": "2026-01-02", "format": "json"})) == []
    assert read_adx(client.get(URL, {"start": "2026-01-01", "end": "2026-01-02", "format": "adx"})).findall(
        ADX + "group") == []


def test_the_default_parent_is_the_officers_province(figures, provincial_user, client):
    client.force_login(provincial_user)
    data = read_json(client.get(URL, {**PERIOD, "format": "json"}))
    assert data and {o["level"] for o in data} == {"ward"} and {o["province"] for o in data} == {HANOI}
    assert body(client.get(URL,
                           {**PERIOD, "level": "province", "format": "json"})).count(b'"unit": 1,') == len(
        stored(level=Level.PROVINCE, unit=HANOI))
    assert date.fromisoformat(data[0]["day"]) == START or date.fromisoformat(data[0]["day"]) == END
