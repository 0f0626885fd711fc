"""The match review cannot mislead: a candidate the evidence is against cannot be chosen, a
candidate who differs in date of birth, CCCD or ward is accepted only on a confirmation with a
reason (kept in the audit event), and the registry search finds whole keys only."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from records.models import AuditEvent, InjectionRecord, Ward
from tests.factories import CitizenFactory
from tests.imports.conftest import REVIEW_ROW, write_csv
from vaxrecon.errors import InvalidInput
from verification.imports.pipeline import import_records
from verification.imports.review_selectors import registry_search, review_page
from verification.imports.reviews import review_accept
from verification.models import MatchReview

pytestmark = pytest.mark.django_db


def _review(tmp_path, facility, row) -> MatchReview:
    import_records(path=write_csv(tmp_path / "log.csv", [row]), error_report=tmp_path / "e.csv",
                   facility=facility, workers=1)
    return MatchReview.objects.get(source_record_id=row["record_id"])


@pytest.fixture
def lan_elsewhere(registry):
    """A third Ngô Thị Lan of 1985: another birth date, another commune of Hà Nội."""
    ward = Ward.objects.filter(province_id=1).exclude(code=70).order_by("code").first()
    return CitizenFactory(full_name="Ngô Thị Lan", sex="F", date_of_birth=date(1985, 7, 9),
                          cccd="001185000555", phone="0911000555", ward=ward)


def _score(review, citizen) -> float:
    return next(c["score"] for c in review.candidates if c["citizen_id"] == citizen.pk)


def test_a_candidate_the_evidence_is_against_cannot_be_chosen(tmp_path, registry, lan_elsewhere,
                                                            hanoi_facility, clinic_user):
    review = _review(tmp_path, hanoi_facility, REVIEW_ROW)
    assert _score(review, lan_elsewhere) < 0  # the engine's verdict: other birth date, other commune

    page = review_page(review)
    assert [c.citizen for c in page.unlikely] == [lan_elsewhere]
    assert lan_elsewhere not in [c.citizen for c in page.likely]
    with pytest.raises(InvalidInput) as exc:
        review_accept(review=review, actor=clinic_user, citizen_id=lan_elsewhere.pk, confirmed=True,
                      reason="the clerk says so")

    assert "evidence is against" in exc.value.message
    assert MatchReview.objects.get(pk=review.pk).status == MatchReview.Status.OPEN
    assert not InjectionRecord.objects.filter(source_record_id="R-REVIEW").exists()


def test_equally_strong_candidates_are_counted_by_name_and_year_of_birth(tmp_path, registry, lan_elsewhere,
                                                                        hanoi_facility):
    page = review_page(_review(tmp_path, hanoi_facility, REVIEW_ROW))

    assert {c.citizen for c in page.likely} == {registry["lan_a"], registry["lan_b"]}
    assert {c.strength for c in page.likely} == {"likely"}
    assert page.tied == 3  # lan_a, lan_b and the Lan of another commune, all born in 1985


def test_a_differing_cccd_is_accepted_only_when_confirmed_with_a_reason(tmp_path, registry, hanoi_facility,
                                                                       clinic_user):
    review = _review(tmp_path, hanoi_facility, {**REVIEW_ROW, "record_id": "R-CCCD",
                                                "id_number": "001185000999"})
    lan_a = registry["lan_a"]
    assert _score(review, lan_a) > 0

    with pytest.raises(InvalidInput) as exc:
        review_accept(review=review, actor=clinic_user, citizen_id=lan_a.pk)
    assert exc.value.field == "confirm" and "CCCD/CMND" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        review_accept(review=review, actor=clinic_user, citizen_id=lan_a.pk, confirmed=True, reason="  ")
    assert exc.value.field == "reason"
    assert MatchReview.objects.get(pk=review.pk).status == MatchReview.Status.OPEN
    assert not AuditEvent.objects.filter(action="match_review.accept").exists()

    decided = review_accept(review=review, actor=clinic_user, citizen_id=lan_a.pk, confirmed=True,
                            reason="CCCD mistyped on the paper log; checked the card")

    assert decided.status == MatchReview.Status.ACCEPTED and decided.injection.citizen == lan_a
    event = AuditEvent.objects.get(action="match_review.accept")
    assert event.after["differs_in"] == ["id_number"]
    assert event.after["reason"] == "CCCD mistyped on the paper log; checked the card"
    assert event.after["note"] == "CCCD mistyped on the paper log; checked the card"


def test_a_candidate_who_agrees_needs_no_confirmation(tmp_path, registry, hanoi_facility, clinic_user):
    review = _review(tmp_path, hanoi_facility, REVIEW_ROW)

    decided = review_accept(review=review, actor=clinic_user, citizen_id=registry["lan_b"].pk)

    assert decided.status == MatchReview.Status.ACCEPTED
    assert "differs_in" not in AuditEvent.objects.get(action="match_review.accept").after


def test_a_citizen_found_by_the_registry_search_can_be_accepted_with_the_same_terms(
        tmp_path, registry, hanoi_facility, clinic_user):
    review = _review(tmp_path, hanoi_facility, REVIEW_ROW)
    hung = registry["hung"]
    with pytest.raises(InvalidInput):  # not listed and not searched for
        review_accept(review=review, actor=clinic_user, citizen_id=hung.pk, confirmed=True, reason="x")
    with pytest.raises(InvalidInput):  # the search does not find him
        review_accept(review=review, actor=clinic_user, citizen_id=hung.pk, search={"cccd": "001185000101"},
                      confirmed=True, reason="x")

    decided = review_accept(review=review, actor=clinic_user, citizen_id=hung.pk,
                            search={"cccd": "001090000777"}, confirmed=True,
                            reason="the card shows this CCCD; the log has the wrong birth date")

    assert decided.citizen == hung
    event = AuditEvent.objects.get(action="match_review.accept")
    assert event.after["differs_in"] == ["date_of_birth"] and event.after["found_by_search"] == ["cccd"]
    assert "001090000777" not in str(event.after)  # which key was searched, not its value


def test_the_registry_search_needs_a_whole_key(registry):
    lan_a = registry["lan_a"]

    assert registry_search(cccd="0011850001") == []
    assert registry_search(full_name="Ngô Thị Lan") == []
    assert registry_search(phone="0911 000 101") == [lan_a]
    assert registry_search(cccd="001185000101") == [lan_a]
    assert set(registry_search(full_name="NGO THI LAN", date_of_birth=date(1985, 3, 2))) == {
        lan_a, registry["lan_b"]}


def test_the_registry_search_is_behind_the_review_scope(client, tmp_path, registry, hanoi_facility,
                                                        clinic_user, other_clinic_user, police_user):
    review = _review(tmp_path, hanoi_facility, REVIEW_ROW)
    search = reverse("verification:review_action", args=[review.pk, "search"])
    query = {"cccd": "001090000777"}

    client.force_login(other_clinic_user)
    assert client.post(search, query).status_code == 404
    client.force_login(police_user)
    assert client.post(search, query).status_code == 403
    client.force_login(other_clinic_user)
    response = client.post(reverse("verification:review_action", args=[review.pk, "accept"]),
                           {"citizen_id": registry["hung"].pk, **query, "confirm": "on", "reason": "x"})
    assert response.status_code == 404
    assert MatchReview.objects.get(pk=review.pk).status == MatchReview.Status.OPEN

    client.force_login(clinic_user)
    html = client.post(search, query).content.decode()
    found = html[html.index('data-testid="found"'):]
    assert f'data-candidate="{registry["hung"].pk}"' in found and "•••••••••777" in found
    assert found.count("001090000777") == 1  # only the term carried to the accept form, never shown
    page = client.get(reverse("verification:review_detail", args=[review.pk]), query).content.decode()
    assert 'data-testid="found"' not in page  # a GET does not search: no CCCD or phone in a URL


def test_the_review_queue_shows_dates_and_doses_in_words(client, tmp_path, registry, hanoi_facility,
                                                         clinic_user):
    _review(tmp_path, hanoi_facility, REVIEW_ROW)
    client.force_login(clinic_user)

    html = client.get(reverse("verification:review_queue")).content.decode()

    assert "02/03/1985" in html and "01/09/2021" in html and "first dose" in html
    assert "1985-03-02" not in html and "#1" not in html
