"""Query budgets of the main pages: the number of SQL queries does not grow with the rows shown.

Each page is opened with N rows and with 3N rows (all on the first page); the two counts are
equal and within the page's budget, so an N+1 cannot come back unnoticed. Speed itself is
measured by bench/web_load.py, never here.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from accounts.models import Role
from records.models import Province
from tests.factories import CitizenFactory, FacilityFactory, InjectionRecordFactory, make_user
from vaxrecon.access import scope_for
from verification import workflow
from verification.models import PoliceVerification, ReconciliationCase
from verification.police import selectors as police_selectors
from verification.services import case_transition

pytestmark = pytest.mark.django_db
S = workflow.CaseStatus
N = 3
# Queries per page, whatever the rows: session, user, profile and scope look-ups included.
# The signer's home counts the doses awaiting their signature as it stands: one query more.
BUDGET = {"clinic queue": 8, "police queue": 7, "signer page": 8, "home": 8, "signer home": 9,
          "case page": 16}


def new_case(*, facility, status=S.IN_REVIEW, **extra) -> ReconciliationCase:
    citizen = CitizenFactory(ward=facility.ward)
    return ReconciliationCase.objects.create(
        origin=ReconciliationCase.Origin.CLINIC_ENTRY, status=status, full_name=citizen.full_name,
        date_of_birth=citizen.date_of_birth, birth_year=citizen.birth_year, sex=citizen.sex,
        id_number=citizen.cccd, ward=facility.ward, facility=facility, citizen=citizen, **extra)


def with_police(facility, answer: str | None) -> ReconciliationCase:
    """A case sent to the police the real way, with this round's registry answer (or none)."""
    case = case_transition(case=new_case(facility=facility, status=S.RECORD_UPDATED), name="send_to_police",
                           actor=workflow.SYSTEM)
    if answer:
        PoliceVerification.objects.create(case=case, source=PoliceVerification.Source.REGISTRY,
                                          outcome=answer)
    return case


def awaiting_signature(facility) -> ReconciliationCase:
    case = new_case(facility=facility, status=S.AWAITING_SIGNATURE)
    case.injections.set([InjectionRecordFactory(citizen=case.citizen, facility=facility, dose_number=n)
                         for n in (1, 2)])
    return case


def queries_for(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def assert_flat(client, url: str, *, budget: int, add_rows, shown, max_queries) -> None:
    """Within the budget with N rows, and with 3N rows the very same number of queries."""
    add_rows(N)
    with max_queries(budget):
        small, response = queries_for(client, url)
    assert shown(response) == N
    add_rows(2 * N)
    with max_queries(small):
        response = client.get(url)
    assert shown(response) == 3 * N


def test_the_clinic_queue_costs_the_same_queries_for_3_and_9_cases(client, clinic_user, hanoi_facility,
                                                                   django_assert_max_num_queries):
    client.force_login(clinic_user)
    assert_flat(client, reverse("verification:queue"), budget=BUDGET["clinic queue"],
                add_rows=lambda n: [new_case(facility=hanoi_facility) for _ in range(n)],
                shown=lambda response: len(response.context["rows"]),
                max_queries=django_assert_max_num_queries)


def test_the_filtered_clinic_queue_costs_the_same_queries_for_3_and_9_cases(
        client, clinic_user, hanoi_facility, django_assert_max_num_queries):
    client.force_login(clinic_user)
    assert_flat(client, reverse("verification:queue") + "?status=in_review",
                budget=BUDGET["clinic queue"],
                add_rows=lambda n: [new_case(facility=hanoi_facility) for _ in range(n)],
                shown=lambda response: len(response.context["rows"]),
                max_queries=django_assert_max_num_queries)


def test_the_police_queue_costs_the_same_queries_for_3_and_9_cases(client, police_user, hanoi_facility,
                                                                   django_assert_max_num_queries):
    answers = ["mismatch", "not_found", "match", None]
    client.force_login(police_user)
    assert_flat(client, reverse("verification:police_queue"), budget=BUDGET["police queue"],
                add_rows=lambda n: [with_police(hanoi_facility, answers[i % 4]) for i in range(n)],
                shown=lambda response: len(response.context["cases"]),
                max_queries=django_assert_max_num_queries)


def test_the_signer_page_costs_the_same_queries_for_3_and_9_cases(client, hanoi_facility,
                                                                  django_assert_max_num_queries):
    signer = make_user(Role.SIGNER, ward=hanoi_facility.ward)
    client.force_login(signer)
    assert_flat(client, reverse("signing:batch"), budget=BUDGET["signer page"],
                add_rows=lambda n: [awaiting_signature(hanoi_facility) for _ in range(n)],
                shown=lambda response: len(response.context["page"]) // 2,
                max_queries=django_assert_max_num_queries)


@pytest.mark.parametrize("role", [Role.CLINIC_STAFF, Role.COMMUNE_POLICE, Role.SIGNER,
                                  Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST])
def test_each_home_page_costs_the_same_queries_for_3_and_9_doses(client, hanoi_facility, role,
                                                                 django_assert_max_num_queries):
    scope = {Role.CLINIC_STAFF: {"facility": hanoi_facility},
             Role.COMMUNE_POLICE: {"ward": hanoi_facility.ward}, Role.SIGNER: {"ward": hanoi_facility.ward},
             Role.PROVINCIAL_OFFICER: {"province": Province.objects.get(code=1)}}.get(role, {})
    client.force_login(make_user(role, **scope))
    assert_flat(client, reverse("home"), budget=BUDGET["signer home" if role == Role.SIGNER else "home"],
                add_rows=lambda n: [InjectionRecordFactory(facility=hanoi_facility) for _ in range(n)],
                shown=lambda response: response.context["injection_counts"][0][1],  # recorded doses
                max_queries=django_assert_max_num_queries)


def test_a_provinces_home_figures_are_counted_once_and_say_when(client, provincial_user, hanoi_facility,
                                                                settings):
    settings.SCOPE_FIGURES_MAX_AGE = 600
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    InjectionRecordFactory(facility=hanoi_facility)
    client.force_login(provincial_user)
    first, response = queries_for(client, reverse("home"))
    InjectionRecordFactory(facility=hanoi_facility)
    again, second = queries_for(client, reverse("home"))
    assert again == first - 3  # facilities, citizens and doses were not counted again
    assert second.context["injection_counts"][0][1] == 1  # the shared figure, as counted
    assert "Figures as of" in second.content.decode()
    cache.clear()


def test_the_case_page_costs_the_same_queries_for_3_and_9_doses_of_the_person(
        client, clinic_user, hanoi_facility, django_assert_max_num_queries):
    """Each current dose has its correction form (vaccine and facility selects): their options
    are read once for the page, not once per form."""
    case = new_case(facility=hanoi_facility)
    other = FacilityFactory(ward=hanoi_facility.ward)
    dose = itertools.count(1)
    client.force_login(clinic_user)
    assert_flat(client, reverse("verification:case_detail", args=[case.pk]), budget=BUDGET["case page"],
                add_rows=lambda n: [InjectionRecordFactory(citizen=case.citizen, dose_number=next(dose),
                                                           facility=(hanoi_facility, other)[i % 2])
                                    for i in range(n)],
                shown=lambda response: len(response.context["correct_forms"]),
                max_queries=django_assert_max_num_queries)


def test_the_signer_pages_rows_format_no_number_through_the_locale(client, hanoi_facility, monkeypatch):
    """The rows' ids, versions and dose numbers are written as they are (the locale's number
    formatting gave the same text, thousands separators being off, at half the rows' rendering
    time): the calls to number_format do not grow with the rows, and the rows read as before."""
    calls = []
    real = formats.number_format
    monkeypatch.setattr(formats, "number_format", lambda *a, **k: calls.append(a) or real(*a, **k))
    client.force_login(make_user(Role.SIGNER, ward=hanoi_facility.ward))
    counted = []
    for n in (N, 2 * N):
        [awaiting_signature(hanoi_facility) for _ in range(n)]
        calls.clear()
        response = client.get(reverse("signing:batch"))
        counted.append(len(calls))
    record = response.context["page"][0]
    text = response.content.decode()
    assert counted[0] == counted[1]
    assert f'value="{record.pk}" id="rec-{record.pk}"' in text
    assert f"#{record.pk} v{record.version}</label>" in text and f"<td>{record.dose_number}</td>" in text


def test_the_police_queue_looks_up_each_waiting_cases_answer_once(client, police_user, hanoi_facility):
    """The queue page's counters and its order come from one reading of the ward's waiting cases,
    each case's registry answer this round looked up once (the counters and the page's ordering
    were two statements each looking it up for every waiting case); the page is police_queue's
    order, sliced, and the counters are queue_counts'."""
    answers = [None, "match", "mismatch", "not_found", None, "match", "mismatch"]
    cases = [with_police(hanoi_facility, answer) for answer in answers]
    ReconciliationCase.objects.filter(pk=cases[4].pk).update(
        claimed_by=police_user, claim_expires_at=timezone.now() + timedelta(minutes=5))
    scope = scope_for(police_user)
    counts, page = police_selectors.queue_page(scope=scope, limit=5)
    assert [c.pk for c in page] == [c.pk for c in police_selectors.police_queue(scope=scope)[:5]]
    assert [c.registry_outcome for c in page] == ["mismatch", "not_found", "mismatch", "match", "match"]
    assert all(c.waiting_since for c in page)
    assert counts == police_selectors.queue_counts(scope=scope) and counts["claimed"] == 1
    client.force_login(police_user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("verification:police_queue")).status_code == 200
    over_every_case = [q["sql"] for q in captured if "verification_policeverification" in q["sql"]
                       and '"verification_reconciliationcase"."id" IN (' not in q["sql"]]
    assert len(over_every_case) == 1
