"""The case page's candidates are scored as the linkage engine scores them against the whole
registry (not against the few citizens of the case's block): the same pair gets the same
verdict on the case page and from the import's engine (whose candidates the match review
shows); a perfect match ranks above and stronger than a CCCD one digit off; a citizen who
moved commune, or whose day and month are swapped, can be chosen, with the confirmation
naming what differs. In Chromium, Vietnamese then English."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.models import Citizen, Ward
from records.normalize import fold_name
from tests.conftest import browser_login
from tests.factories import CitizenFactory
from tests.verification.helpers import confirm_and_link
from verification.imports import linking
from verification.imports.linking import build_matcher
from verification.selectors import case_candidates, strength_of

FAMILIES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLES = ("Văn", "Thị", "Minh", "Ngọc", "Quốc", "Thanh", "Đức", "Hữu")
GIVENS = ("An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hương", "Khoa", "Linh", "Mai", "Nam", "Phúc",
          "Quân", "Sơn", "Trang", "Tuấn", "Vy", "Yến")


@pytest.fixture
def registry(reference_data, hanoi_facility):
    """600 other citizens spread over the country, with sparse CCCDs and phones as a real
    registry has (enough for the engine to sample its u and for frequencies to mean something)."""
    rng = random.Random(13)
    wards = list(Ward.objects.order_by("code").values_list("code", flat=True)[:200])
    people = []
    for _ in range(600):
        name = f"{rng.choice(FAMILIES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}"
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
        people.append(Citizen(
            full_name=name, name_key=fold_name(name), sex=rng.choice("MF"), date_of_birth=born,
            birth_year=born.year, cccd=f"0{rng.randrange(1, 96):02d}{rng.randrange(10 ** 9):09d}",
            phone=f"09{rng.randrange(10 ** 8):08d}", ward_id=rng.choice(wards)))
    Citizen.objects.bulk_create(people)


def lan(**overrides):
    """The reporter of `reported_case` as the registry holds her, with some field changed."""
    fields = dict(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12), cccd="001191004567",
                  phone="0912345678")
    fields.update(overrides)
    return CitizenFactory(**fields)


def the_engines_verdicts(case) -> dict[int, tuple[float, str]]:
    """citizen pk -> (score, strength) from the import's engine over every citizen."""
    result = build_matcher(fit=False, workers=1).engine.match({
        "full_name": case.full_name, "date_of_birth": case.date_of_birth, "sex": case.sex,
        "id_number": case.id_number, "phone": case.phone, "province_code": case.ward.province_id,
        "ward_code": case.ward_id})
    return {c.citizen_id: (c.score, strength_of(c.score)) for c in result.candidates}


def other_ward(case, *, same_province: bool):
    wards = Ward.objects.exclude(code=case.ward_id)
    if same_province:
        return wards.filter(province_id=case.ward.province_id).order_by("code").first()
    return wards.exclude(province_id=case.ward.province_id).order_by("code").first()


def scenario(name, case):
    if name == "perfect and typo":
        return [lan(), lan(cccd="001191004568")]
    if name == "moved commune":
        return [lan(ward=other_ward(case, same_province=True))]
    if name == "moved province":
        return [lan(ward=other_ward(case, same_province=False))]
    return [lan(date_of_birth=date(1991, 12, 3))]  # day and month swapped


SCENARIOS = ["perfect and typo", "moved commune", "moved province", "day and month swapped"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_case_page_gives_the_verdict_the_engine_gives_against_the_registry(registry, reported_case, name):
    people = scenario(name, reported_case)
    engine = the_engines_verdicts(reported_case)

    shown = {c.citizen.pk: c for c in case_candidates(reported_case)}
    for person in people:
        score, strength = engine[person.pk]
        assert shown[person.pk].strength == strength == "very_likely"
        assert shown[person.pk].score == pytest.approx(score, abs=0.5)
        assert shown[person.pk].selectable


def test_a_perfect_match_ranks_above_and_stronger_than_a_cccd_one_digit_off(registry, reported_case):
    perfect, typo = lan(), lan(cccd="001191004568")

    first, second = case_candidates(reported_case)[:2]
    assert (first.citizen, second.citizen) == (perfect, typo)
    assert first.score > second.score and first.probability > second.probability
    engine = the_engines_verdicts(reported_case)
    assert engine[perfect.pk][0] > engine[typo.pk][0]  # the engine itself agrees


SEEN = {"vi": {"moved": "Khác với thông tin phản ánh ở: Xã/phường",
               "swapped": "Khác với thông tin phản ánh ở: Ngày sinh",
               "strength": "Rất có thể là cùng một người"},
        "en": {"moved": "Differs from the claim in: Commune/ward",
               "swapped": "Differs from the claim in: Date of birth",
               "strength": "Very likely the same person"}}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("kind", ["moved", "swapped"])
def test_a_true_match_who_moved_or_has_day_and_month_swapped_can_be_chosen(page, registry, clinic_user,
                                                                          case_in_review, lang, kind):
    person = (lan(ward=other_ward(case_in_review, same_province=True)) if kind == "moved"
              else lan(date_of_birth=date(1991, 12, 3)))
    browser_login(page, "clinic-hn")
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.base_url}])
    page.goto(page.base_url + f"/verification/cases/{case_in_review.pk}/")

    row = page.locator("table.candidates tbody tr").first
    assert row.locator(f"input[name=citizen][value='{person.pk}']").count() == 1
    assert row.locator(".strength").inner_text() == SEEN[lang]["strength"]
    assert row.locator("legend").inner_text() == SEEN[lang][kind]
    confirm_and_link(page, row, "Đã đối chiếu thẻ CCCD")
    case_in_review.refresh_from_db()
    assert case_in_review.citizen_id == person.pk


def test_the_registry_counts_are_shared_through_the_cache_and_score_the_same(
        registry, reported_case, settings):
    """With LINKAGE_REGISTRY_SIZE_MAX_AGE set (production: 300 s), the counts of a case's names,
    wards and phones are read once and then from the cache: the next case page scores its
    candidates the same without counting the registry again."""
    lan(), lan(cccd="001191004568"), lan(cccd="", ward=other_ward(reported_case, same_province=True))
    uncached = {c.citizen.pk: c.score for c in case_candidates(reported_case)}
    settings.LINKAGE_REGISTRY_SIZE_MAX_AGE = 300
    cache.clear()
    try:
        with CaptureQueriesContext(connection) as first:
            counted = {c.citizen.pk: c.score for c in case_candidates(reported_case)}
        with CaptureQueriesContext(connection) as second:
            again = {c.citizen.pk: c.score for c in case_candidates(reported_case)}
    finally:
        cache.clear()
    assert counted == again == uncached and len(uncached) >= 3

    def counts(queries):
        return [q["sql"] for q in queries if "COUNT(" in q["sql"] and "records_citizen" in q["sql"]]
    assert len(counts(first.captured_queries)) >= 3  # names, wards, phones (and the sizes)
    assert counts(second.captured_queries) == []


def test_the_registrys_size_provinces_and_wards_are_one_count_by_ward(registry, reported_case, settings):
    """The registry's size, its citizens by province and by ward come from one count grouped by
    ward (the ward index alone), shared through the cache: they were a count of the table and a
    count through the wards' join (every citizen's row read, 0.5 s on the national set) at each
    expiry, and a count per ward per case. The figures are those the separate counts give."""
    lan(), lan(cccd="", ward=other_ward(reported_case, same_province=True))
    Citizen.objects.filter(pk=Citizen.objects.order_by("pk").values("pk")[:1]).update(ward=None)
    population, provinces, wards = linking._by_ward()
    assert population == Citizen.objects.count()
    assert provinces == linking._table(Citizen.objects, "ward__province_id")
    assert wards == linking._table(Citizen.objects, "ward_id") and None in wards
    settings.LINKAGE_REGISTRY_SIZE_MAX_AGE = 300
    cache.clear()
    try:
        with CaptureQueriesContext(connection) as first:
            case_candidates(reported_case)
    finally:
        cache.clear()
    counts = [q["sql"] for q in first.captured_queries
              if "COUNT(" in q["sql"] and "records_citizen" in q["sql"]]
    by_ward = [sql for sql in counts if '"records_citizen"."ward_id" AS' in sql]
    assert len(by_ward) == 1 and "WHERE" not in by_ward[0]
    assert not [sql for sql in counts
                if "records_ward" in sql or 'AS "__count" FROM "records_citizen"' in sql]


def test_counts_of_many_values_are_not_kept_in_the_cache(registry, settings, monkeypatch):
    """A shard's index counts tens of thousands of names at once: counted, not cached key by key."""
    settings.LINKAGE_REGISTRY_SIZE_MAX_AGE = 300
    cache.clear()
    names = list(Citizen.objects.order_by().values_list("name_key", flat=True).distinct())
    assert len(names) > 3
    monkeypatch.setattr(linking, "SHARED_COUNTS_MAX", 3)
    try:
        counted = linking._counted(Citizen.objects, "name_key", names)
        assert sum(counted.values()) == Citizen.objects.count()
        assert cache.get_many([linking._key("name_key", n) for n in names]) == {}
        few = linking._counted(Citizen.objects, "name_key", names[:3])
        assert len(cache.get_many([linking._key("name_key", n) for n in names[:3]])) == 3
        assert few == {n: counted[n] for n in names[:3]}
    finally:
        cache.clear()
