"""Deciding a match review: accept a candidate, create a new citizen, reject; audited, scoped."""

from __future__ import annotations

from datetime import date

import pytest

from records.models import AuditEvent, Citizen, InjectionRecord
from tests.imports.conftest import REVIEW_ROW, write_csv
from vaxrecon.errors import InvalidInput, InvalidTransition, NotFoundInScope
from verification.imports.pipeline import import_records
from verification.imports.reviews import review_accept, review_create_citizen, review_reject
from verification.models import MatchReview

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(tmp_path, registry, hanoi_facility):
    import_records(path=write_csv(tmp_path / "log.csv", [REVIEW_ROW]), error_report=tmp_path / "e.csv",
                   facility=hanoi_facility, workers=1)
    return MatchReview.objects.get(source_record_id="R-REVIEW")


def test_accepting_a_candidate_gives_that_citizen_the_dose(review, registry, clinic_user):
    decided = review_accept(review=review, actor=clinic_user, citizen_id=registry["lan_b"].pk)

    assert decided.status == MatchReview.Status.ACCEPTED and decided.citizen == registry["lan_b"]
    dose = InjectionRecord.objects.get(source_record_id="R-REVIEW")
    assert dose.citizen == registry["lan_b"] and dose.source == InjectionRecord.Source.IMPORTED
    event = AuditEvent.objects.get(action="match_review.accept")
    assert event.actor == clinic_user
    assert event.before["status"] == "open" and event.after["status"] == "accepted"


def test_only_a_listed_candidate_can_be_accepted(review, registry, clinic_user):
    with pytest.raises(InvalidInput):
        review_accept(review=review, actor=clinic_user, citizen_id=registry["hung"].pk)


def test_creating_a_new_citizen_takes_the_identity_from_the_record(review, clinic_user):
    before = Citizen.objects.count()

    decided = review_create_citizen(review=review, actor=clinic_user)

    assert Citizen.objects.count() == before + 1
    assert decided.status == MatchReview.Status.NEW_CITIZEN
    assert (decided.citizen.full_name, str(decided.citizen.date_of_birth)) == ("Ngô Thị Lan", "1985-03-02")
    assert decided.injection.citizen == decided.citizen
    assert AuditEvent.objects.filter(action="citizen.create").exists()
    assert AuditEvent.objects.filter(action="match_review.new_citizen").exists()


def test_rejecting_needs_a_note_and_adds_no_dose(review, clinic_user):
    with pytest.raises(InvalidInput):
        review_reject(review=review, actor=clinic_user, note=" ")

    decided = review_reject(review=review, actor=clinic_user, note="duplicate line in the paper log")

    assert decided.status == MatchReview.Status.REJECTED and decided.note == "duplicate line in the paper log"
    assert not InjectionRecord.objects.filter(source_record_id="R-REVIEW").exists()
    assert AuditEvent.objects.filter(action="match_review.reject").exists()


def test_a_decided_review_cannot_be_decided_again(review, registry, clinic_user):
    review_reject(review=review, actor=clinic_user, note="wrong row")

    with pytest.raises(InvalidTransition):
        review_accept(review=review, actor=clinic_user, citizen_id=registry["lan_a"].pk)


def test_it_rejects_a_review_of_another_facility(review, registry, other_clinic_user):
    with pytest.raises(NotFoundInScope):
        review_accept(review=review, actor=other_clinic_user, citizen_id=registry["lan_a"].pk)
    assert MatchReview.objects.get(pk=review.pk).status == MatchReview.Status.OPEN


@pytest.fixture
def review_without_sex_or_date(tmp_path, registry, hanoi_facility):
    row = {**REVIEW_ROW, "record_id": "R-BARE", "sex": "", "date_of_birth": "1985"}
    import_records(path=write_csv(tmp_path / "bare.csv", [row]), error_report=tmp_path / "e.csv",
                   facility=hanoi_facility, workers=1)
    return MatchReview.objects.get(source_record_id="R-BARE")


def test_a_new_citizen_needs_the_sex_the_record_lacks_and_nothing_changes_without_it(
        review_without_sex_or_date, clinic_user):
    before = Citizen.objects.count()

    with pytest.raises(InvalidInput) as exc:
        review_create_citizen(review=review_without_sex_or_date, actor=clinic_user)

    assert exc.value.field == "sex"
    assert Citizen.objects.count() == before
    assert MatchReview.objects.get(pk=review_without_sex_or_date.pk).status == MatchReview.Status.OPEN


def test_the_reviewer_supplies_sex_and_date_of_birth_and_the_audit_says_so(review_without_sex_or_date,
                                                                           clinic_user):
    decided = review_create_citizen(review=review_without_sex_or_date, actor=clinic_user, sex="F",
                                    date_of_birth=date(1985, 3, 2))

    citizen = decided.citizen
    assert (citizen.sex, citizen.date_of_birth, citizen.dob_precision) == ("F", date(1985, 3, 2), "day")
    assert decided.injection.citizen == citizen and decided.status == MatchReview.Status.NEW_CITIZEN
    event = AuditEvent.objects.get(action="match_review.new_citizen")
    assert event.actor == clinic_user
    assert event.after["supplied_by_reviewer"] == {"sex": "F", "date_of_birth": "1985-03-02"}


def test_a_supplied_date_of_birth_must_agree_with_the_records_year(review_without_sex_or_date, clinic_user):
    before = Citizen.objects.count()
    with pytest.raises(InvalidInput) as exc:
        review_create_citizen(review=review_without_sex_or_date, actor=clinic_user, sex="F",
                              date_of_birth=date(1986, 3, 2))

    assert exc.value.field == "date_of_birth" and Citizen.objects.count() == before


def test_what_the_record_gives_cannot_be_overridden(review, clinic_user):
    with pytest.raises(InvalidInput) as exc:
        review_create_citizen(review=review, actor=clinic_user, sex="M")
    assert exc.value.field == "sex"
    with pytest.raises(InvalidInput) as exc:
        review_create_citizen(review=review, actor=clinic_user, date_of_birth=date(1985, 3, 3))
    assert exc.value.field == "date_of_birth"
    assert MatchReview.objects.get(pk=review.pk).status == MatchReview.Status.OPEN
