"""Every figure of a built day against a hand-counted day (tests/reports/fixtures_figures.py)."""

from datetime import timedelta

import pytest

from reports.figures import FIGURES
from reports.models import DailyDoses, DailyFigures, Level, ReportDay
from reports.services import build_days
from tests.factories import HCM_PROVINCE
from tests.reports.fixtures_figures import DAY, at, build_scenario, case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("days_never_lock")]

HANOI = 1


def row(level, unit, day=DAY) -> dict:
    return DailyFigures.objects.get(day=day, level=level, unit=unit).values()


def nonzero(values: dict) -> dict:
    return {k: v for k, v in values.items() if v}



@pytest.fixture
def scenario(hanoi_facility):
    data = build_scenario(hanoi_facility)
    build_days(start=DAY, end=DAY)
    return data


NATION_DAY = {
    # collect: c1 (citizen, confirmed), c6 + c7 (clinic), c3 (import); c4 never confirmed
    "received_citizen": 1, "received_clinic": 2, "received_import": 1, "confirmed_by_code": 1,
    # update
    "records_created": 2, "records_corrected": 1, "doses_added": 1, "info_requested": 1,
    "rejected_duplicate": 1,
    # police: c1, c5 twice, c6, c7 sent; registry verified c1; an officer confirmed c5
    "sent_to_police": 5, "verified_by_registry": 1, "confirmed_by_officer": 1, "mismatch": 1, "not_found": 1,
    "foreign_national": 1,
    # sign
    "records_signed": 1, "signatures_superseded": 1,
    # backlog at midnight: c1 sign, c2 collect (48 h 01 min, overdue), c5 police, c6 update, c7 collect
    "backlog_sign_under24": 1, "backlog_collect_over48": 1, "backlog_police_under24": 1,
    "backlog_update_under24": 1, "backlog_collect_under24": 1, "overdue": 1,
    # time in step: collect 600, 600, 3600, 86280 s; update 5400, 10800, 28200, 28200, 72000 s;
    # police 1800, 3600, 3601, 9000 s (nearest rank: median = ceil(n/2)-th, p90 = ceil(0.9 n)-th)
    "left_collect": 4, "collect_median_s": 600, "collect_p90_s": 86280,
    "left_update": 5, "update_median_s": 28200, "update_p90_s": 72000,
    "left_police": 4, "police_median_s": 3600, "police_p90_s": 9000,
    # doses on record at midnight: Lan's corrected dose 1 and dose 2, Ba's booster; given on D: Lan's dose 2
    "doses_dose1": 1, "doses_dose2": 1, "doses_booster": 1, "doses_given": 1,
    "people_dose1": 1, "people_dose2": 1, "people_booster": 1, "population": 2,
    "import_files": 1, "import_rows": 10, "import_invalid_rows": 2,
}


def test_the_nation_row_has_every_figure_counted_by_hand(scenario):
    assert nonzero(row(Level.NATION, 0)) == NATION_DAY


def test_a_step_nobody_left_has_no_duration(scenario):
    values = row(Level.NATION, 0)
    assert values["left_sign"] == 0 and values["sign_median_s"] is None and values["sign_p90_s"] is None


def test_the_hanoi_ward_counts_its_residents_cases_and_its_doses(scenario):
    values = nonzero(row(Level.WARD, scenario["ward"].code))
    assert values == {
        "received_citizen": 1, "received_clinic": 2, "confirmed_by_code": 1, "records_created": 1,
        "records_corrected": 1, "doses_added": 1, "info_requested": 1, "sent_to_police": 5,
        "verified_by_registry": 1, "confirmed_by_officer": 1, "mismatch": 1, "not_found": 1,
        "foreign_national": 1,
        "signatures_superseded": 1, "backlog_sign_under24": 1, "backlog_collect_over48": 1,
        "backlog_police_under24": 1, "backlog_update_under24": 1, "backlog_collect_under24": 1, "overdue": 1,
        # collect: c1 3600, c6 600, c7 600
        "left_collect": 3, "collect_median_s": 600, "collect_p90_s": 3600,
        "left_update": 5, "update_median_s": 28200, "update_p90_s": 72000,
        "left_police": 4, "police_median_s": 3600, "police_p90_s": 9000,
        "doses_dose1": 1, "doses_dose2": 1, "doses_given": 1, "people_dose1": 1, "people_dose2": 1,
        "population": 1, "import_files": 1, "import_rows": 10, "import_invalid_rows": 2,
    }


def test_the_health_station_answers_for_a_report_naming_no_facility(scenario, hanoi_facility):
    values = row(Level.FACILITY, hanoi_facility.pk)
    assert values["received_citizen"] == 1 and values["received_clinic"] == 2
    # People are counted where they live, never at a facility.
    assert values["people_dose1"] == 0 and values["population"] == 0
    assert values["doses_dose1"] == 1 and values["doses_dose2"] == 1


def test_provinces_add_up_to_the_nation_for_counts(scenario):
    hanoi, hcm, nation = row(Level.PROVINCE, HANOI), row(Level.PROVINCE, HCM_PROVINCE), row(Level.NATION, 0)
    for figure in FIGURES:
        if figure.kind != "duration":
            assert hanoi[figure.name] + hcm[figure.name] == nation[figure.name], figure.name


def test_the_other_province_has_its_import_rejection_signature_and_booster(scenario):
    values = nonzero(row(Level.PROVINCE, HCM_PROVINCE))
    assert values == {"received_import": 1, "records_created": 1, "rejected_duplicate": 1,
                      "records_signed": 1,
                      "left_collect": 1, "collect_median_s": 86280, "collect_p90_s": 86280,
                      "doses_booster": 1, "people_booster": 1, "population": 1}


def test_rows_name_their_province_and_ward(scenario, hanoi_facility):
    stored = DailyFigures.objects.get(day=DAY, level=Level.FACILITY, unit=scenario["hcm"].pk)
    assert (stored.province, stored.ward) == (HCM_PROVINCE, scenario["hcm_ward"].code)
    ward = DailyFigures.objects.get(day=DAY, level=Level.WARD, unit=hanoi_facility.ward_id)
    assert (ward.province, ward.ward) == (HANOI, hanoi_facility.ward_id)


def test_the_doses_cross_table_has_vaccine_dose_sex_and_age_band(scenario):
    table = set(DailyDoses.objects.filter(day=DAY).values_list("level", "unit", "vaccine", "dose_number",
                                                               "sex",
                                                                "age_band", "doses"))
    assert table == {
        (1, HANOI, "pfizer", 1, "F", "18-59", 1), (1, HANOI, "pfizer", 2, "F", "18-59", 1),
        (1, HCM_PROVINCE, "pfizer", 3, "M", "60+", 1),
        (0, 0, "pfizer", 1, "F", "18-59", 1), (0, 0, "pfizer", 2, "F", "18-59", 1),
        (0, 0, "pfizer", 3, "M", "60+", 1),
    }


def test_events_just_after_midnight_belong_to_the_next_day(scenario):
    build_days(start=DAY + timedelta(days=1), end=DAY + timedelta(days=1))
    next_day = row(Level.NATION, 0, DAY + timedelta(days=1))
    assert next_day["left_collect"] == 1  # c2 taken up at 00:00:30
    assert next_day["records_created"] == 1  # the record entered at 00:00:01
    assert next_day["received_clinic"] == 0


def test_a_report_submitted_at_23_59_counts_for_that_day(scenario):
    two_days_before = DAY - timedelta(days=2)
    build_days(start=two_days_before, end=two_days_before + timedelta(days=1))
    assert row(Level.NATION, 0, two_days_before)["received_clinic"] == 1
    assert row(Level.NATION, 0, two_days_before + timedelta(days=1))["received_clinic"] == 1  # c5 at 10:00


def test_rebuilding_a_day_replaces_it_exactly(scenario):
    before = list(DailyFigures.objects.filter(day=DAY).order_by("level", "unit").values())
    doses_before = list(DailyDoses.objects.filter(day=DAY).order_by("id").values_list(
        "level", "unit", "vaccine", "dose_number", "sex", "age_band", "doses"))
    build_days(start=DAY, end=DAY)
    after = list(DailyFigures.objects.filter(day=DAY).order_by("level", "unit").values())
    strip = [{k: v for k, v in r.items() if k != "id"} for r in before]
    assert strip == [{k: v for k, v in r.items() if k != "id"} for r in after]
    assert doses_before == list(DailyDoses.objects.filter(day=DAY).order_by("id").values_list(
        "level", "unit", "vaccine", "dose_number", "sex", "age_band", "doses"))
    assert ReportDay.objects.filter(day=DAY).count() == 1


def test_a_backfill_builds_every_day_of_the_range(scenario):
    start = DAY - timedelta(days=6)
    built = build_days(start=start, end=DAY)
    assert [b.day for b in built] == [start + timedelta(days=n) for n in range(7)]
    assert (set(ReportDay.objects.values_list("day", flat=True))
            == {start + timedelta(days=n) for n in range(7)})
    # Lan's first dose was entered five days before D: on record from that day on.
    assert row(Level.NATION, 0, DAY - timedelta(days=5))["doses_dose1"] == 1
    assert row(Level.NATION, 0, DAY - timedelta(days=6))["doses_dose1"] == 0


def _stored():
    figures = [{k: v for k, v in r.items() if k != "id"}
               for r in DailyFigures.objects.order_by("day", "level", "unit").values()]
    doses = list(DailyDoses.objects.order_by("day", "level", "unit", "vaccine", "dose_number", "sex",
                                             "age_band")
                 .values_list("day", "level", "unit", "vaccine", "dose_number", "sex", "age_band", "doses"))
    return figures, doses


def test_stocks_carried_from_the_day_before_equal_a_full_count(scenario):
    start, end = DAY - timedelta(days=6), DAY + timedelta(days=1)
    built = build_days(start=start, end=end, method="daily")
    assert [b.carried for b in built] == [False] + [True] * 7
    carried = _stored()
    assert [b.carried for b in build_days(start=start, end=end, full=True, method="daily")] == [False] * 8
    assert _stored() == carried
    assert row(Level.NATION, 0, end)["doses_booster"] == 2  # Ba's dose 4, entered at 00:00:01


def test_a_case_past_its_deadline_with_the_police_is_not_overdue_for_the_clinic(scenario):
    case(origin="clinic_entry", submitted_at=at(DAY - timedelta(days=4), "09:00"), ward=scenario["ward"],
         status="awaiting_police")
    build_days(start=DAY, end=DAY)
    values = row(Level.NATION, 0)
    assert values["backlog_police_over48"] == 1
    assert values["overdue"] == 1  # still only c2, which the clinic holds
