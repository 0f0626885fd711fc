"""The commune police pages: queue, next case, case view and outcomes, bulk confirm."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from vaxrecon.access import scope_for
from verification.models import PoliceVerification, ReconciliationCase
from verification.police.client import RegistryUnavailable
from verification.police.services import registry_verify_pending
from verification.selectors import cases_in_scope

from .conftest import awaiting_case

pytestmark = pytest.mark.django_db
QUEUE = "/verification/police/"


def test_the_queue_url_is_the_one_the_menu_expects(police_user, client):
    assert reverse("verification:police_queue") == QUEUE
    client.force_login(police_user)
    assert 'href="/verification/police/"' in client.get("/").content.decode()


def test_the_queue_shows_counts_by_registry_answer_and_by_state(registry, four_cases, police_user, client):
    registry_verify_pending()
    client.force_login(police_user)
    html = client.get(QUEUE).content.decode()
    assert '<div class="stat" data-count="registry_mismatch"><span class="num">1</span>' in html
    assert '<div class="stat" data-count="registry_not_found"><span class="num">1</span>' in html
    assert '<tr data-state="awaiting_signature"><td>Awaiting signature</td><td>2</td></tr>' in html
    assert four_cases["mismatch"].tracking_code in html
    assert four_cases["match"].tracking_code not in html  # verified by the registry: not in the queue
    assert "001185000002" not in html  # ID numbers are masked in lists


def test_other_roles_get_403_on_every_police_page(clinic_user, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    client.force_login(clinic_user)
    for url in [QUEUE, f"{QUEUE}cases/{case.pk}/", f"{QUEUE}bulk-confirm/"]:
        response = client.get(url)
        assert response.status_code == 403
        assert "Your role cannot open this page." in response.content.decode()
    assert client.post(f"{QUEUE}next/").status_code == 403


def test_police_of_another_ward_get_404_for_our_case_and_an_empty_queue(outsider_police, client,
                                                                        hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    client.force_login(outsider_police)
    assert client.get(f"{QUEUE}cases/{case.pk}/").status_code == 404
    assert client.post(f"{QUEUE}cases/{case.pk}/", {"outcome": "match"}).status_code == 404
    assert case.tracking_code not in client.get(QUEUE).content.decode()
    response = client.post(f"{QUEUE}next/", follow=True)
    assert "The queue is empty" in response.content.decode()
    assert ReconciliationCase.objects.get(pk=case.pk).status == "awaiting_police"


def test_next_case_opens_the_claimed_case(police_user, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    client.force_login(police_user)
    response = client.post(f"{QUEUE}next/", follow=True)
    assert response.redirect_chain[-1][0] == f"{QUEUE}cases/{case.pk}/"
    assert "You are working on this case until" in response.content.decode()


def test_the_case_view_marks_each_differing_character(registry, four_cases, police_user, client):
    registry_verify_pending()
    client.force_login(police_user)
    html = client.get(f"{QUEUE}cases/{four_cases['mismatch'].pk}/").content.decode()
    assert "holds different values" in html
    # "Tran Thi Mai" against "Trần Thị Mai": the a and i are marked on each side.
    assert '<td class="claimed">Tr<mark class="diff">a</mark>n Th<mark class="diff">i</mark> Mai</td>' in html
    assert ('<td class="registry">Tr<mark class="diff">ầ</mark>n Th<mark class="diff">ị</mark> Mai</td>'
            in html)
    assert '<tr data-field="full_name" class="differs">' in html
    assert '<tr data-field="sex">' in html
    # The correct values are pre-filled with the registry's.
    assert 'name="full_name" value="Trần Thị Mai"' in html


def test_a_case_the_registry_has_not_answered_says_so_and_shows_the_delay(
        dead_registry_url, police_user, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    with pytest.raises(RegistryUnavailable):
        registry_verify_pending()
    client.force_login(police_user)
    html = client.get(f"{QUEUE}cases/{case.pk}/").content.decode()
    assert "has not answered yet" in html and "Verification delayed" in html


def test_a_mismatch_sends_the_case_back_to_the_clinic_with_the_police_values(
        registry, four_cases, police_user, clinic_user, client):
    registry_verify_pending()
    case = four_cases["mismatch"]
    client.force_login(police_user)
    response = client.post(f"{QUEUE}cases/{case.pk}/", {
        "outcome": "mismatch", "note": "Checked the CCCD card", "full_name": "Trần Thị Mai",
        "date_of_birth": "02/03/1985", "sex": "F", "id_number": "001185000002"}, follow=True)
    assert "Identity does not match" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "identity_mismatch"
    assert case.police_values == {"full_name": "Trần Thị Mai"}
    verification = PoliceVerification.objects.get(case=case, source="officer")
    assert (verification.outcome, verification.officer, verification.note) == (
        "mismatch", police_user, "Checked the CCCD card")
    # The clinic sees it in its own scope, waiting for a correction.
    assert cases_in_scope(scope=scope_for(clinic_user)).get(pk=case.pk).status == "identity_mismatch"


def test_a_mismatch_without_a_differing_value_is_refused_with_a_message(police_user, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    client.force_login(police_user)
    response = client.post(f"{QUEUE}cases/{case.pk}/", {
        "outcome": "mismatch", "full_name": case.full_name, "date_of_birth": "17/05/1990", "sex": "M",
        "id_number": case.id_number})
    assert response.status_code == 400
    assert "Enter the correct value of at least one field that differs." in response.content.decode()
    assert ReconciliationCase.objects.get(pk=case.pk).status == "awaiting_police"


def test_a_bad_date_is_refused_on_the_field(police_user, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    client.force_login(police_user)
    response = client.post(f"{QUEUE}cases/{case.pk}/", {"outcome": "mismatch", "date_of_birth": "31/02/1990"})
    assert response.status_code == 400
    assert "Enter the date of birth as dd/mm/yyyy." in response.content.decode()


@pytest.mark.parametrize("outcome,state", [("match", "awaiting_signature"), ("not_found", "not_found"),
                                           ("foreign", "foreign_national")])
def test_each_outcome_button_moves_the_case(outcome, state, police_user, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    client.force_login(police_user)
    response = client.post(f"{QUEUE}cases/{case.pk}/", {"outcome": outcome, "note": "seen"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == state
    assert case.events.filter(actor=police_user).exists()


def test_answering_a_case_that_already_moved_says_so(police_user, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    client.force_login(police_user)
    client.post(f"{QUEUE}cases/{case.pk}/", {"outcome": "not_found"})
    response = client.post(f"{QUEUE}cases/{case.pk}/", {"outcome": "match"})
    assert response.status_code == 409
    assert "no longer awaiting police verification" in response.content.decode()


def test_bulk_confirm_confirms_the_ticked_exact_matches_only(registry, settings, police_user, client,
                                                             hanoi_facility):
    settings.POPULATION_REGISTRY_AUTO_VERIFY = False
    matches = [awaiting_case(facility=hanoi_facility),
               awaiting_case(full_name="Lê Văn Nam", date_of_birth=date(1995, 11, 20), id_number="012345678",
                             facility=hanoi_facility)]
    mismatch = awaiting_case(full_name="Tran Thi Mai", date_of_birth=date(1985, 3, 2), sex="F",
                             id_number="001185000002", facility=hanoi_facility)
    registry_verify_pending()
    client.force_login(police_user)
    page = client.get(f"{QUEUE}bulk-confirm/").content.decode()
    assert all(c.tracking_code in page for c in matches) and mismatch.tracking_code not in page
    # A forged id (the mismatch) is skipped, not confirmed.
    response = client.post(f"{QUEUE}bulk-confirm/", {"case": [matches[0].pk, matches[1].pk, mismatch.pk]},
                           follow=True)
    html = response.content.decode()
    assert "2 identities confirmed." in html and "1 cases skipped" in html
    assert "No exact match is waiting for confirmation." in html
    matched = ReconciliationCase.objects.filter(pk__in=[c.pk for c in matches])
    assert set(matched.values_list("status", flat=True)) == {"awaiting_signature"}
    assert ReconciliationCase.objects.get(pk=mismatch.pk).status == "awaiting_police"


def test_giving_a_case_back_frees_it(police_user, second_police, client, hanoi_facility):
    case = awaiting_case(facility=hanoi_facility)
    client.force_login(police_user)
    client.post(f"{QUEUE}next/")
    client.post(f"{QUEUE}cases/{case.pk}/release/")
    assert ReconciliationCase.objects.get(pk=case.pk).claimed_by is None


def test_the_queue_names_the_officer_holding_each_case_and_no_expired_claim(
        police_user, second_police, client, hanoi_facility, django_assert_max_num_queries):
    now = timezone.now()
    second_police.first_name, second_police.last_name = "Hải", "Đỗ"
    second_police.save()
    held = awaiting_case(facility=hanoi_facility, id_number="001090000011")
    expired = awaiting_case(facility=hanoi_facility, id_number="001090000012")
    ReconciliationCase.objects.filter(pk=held.pk).update(claimed_by=second_police,
                                                         claim_expires_at=now + timedelta(minutes=10))
    ReconciliationCase.objects.filter(pk=expired.pk).update(claimed_by=police_user,
                                                            claim_expires_at=now - timedelta(minutes=1))
    client.force_login(police_user)
    with django_assert_max_num_queries(8):  # the holders read in one query for the rows shown
        html = client.get(QUEUE).content.decode()
    rows = {code: html.split(f'data-case="{code}"', 1)[1].split("</tr>", 1)[0]
            for code in (held.tracking_code, expired.tracking_code)}
    assert "Hải Đỗ</td>" in rows[held.tracking_code]
    assert "police-hn" not in rows[expired.tracking_code]
