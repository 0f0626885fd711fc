"""An officer who opens a case before the population registry has answered: the case stays in
the registry batch, the page says the registry has not answered yet and offers to ask it now;
in Vietnamese and in English."""

import pytest

from tests.conftest import browser_login
from verification.models import PoliceVerification, ReconciliationCase
from verification.police.services import registry_ask_now

pytestmark = pytest.mark.browser


def _words(text: str) -> str:
    return " ".join(text.split())


def test_an_officer_opens_a_case_before_the_registry_answered_and_asks_it_now(
        page, registry, four_cases, police_user, settings):
    settings.LANGUAGE_CODE = "vi"
    browser_login(page, "police-hn")
    page.goto(page.base_url + "/verification/police/")
    with page.expect_navigation():
        page.click("text=Hồ sơ tiếp theo")  # claims the oldest case: nobody has answered yet
    case = ReconciliationCase.objects.get(claimed_by=police_user)
    answer = _words(page.inner_text("[data-testid=registry-answer]"))
    assert "Cơ sở dữ liệu quốc gia về dân cư chưa phản hồi." in answer
    assert "vẫn nằm trong lượt gửi tự động" in answer
    ask = page.locator("[data-testid=ask-registry]")
    assert _words(ask.inner_text()).startswith("Hỏi cơ sở dữ liệu dân cư ngay")

    with page.expect_navigation():
        ask.click()
    assert "Cơ sở dữ liệu quốc gia về dân cư đã phản hồi." in page.inner_text(".messages")
    assert page.locator("[data-testid=ask-registry]").count() == 0
    assert PoliceVerification.objects.get(case=case).source == "registry"
    # The officer holds the case: the registry's answer waits for them, nothing applied over their head.
    assert ReconciliationCase.objects.get(pk=case.pk).status == "awaiting_police"
    assert "trùng khớp hoàn toàn" in page.inner_text("[data-testid=registry-answer]")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    other = four_cases["not_found"]
    page.goto(page.base_url + f"/verification/police/cases/{other.pk}/")
    assert "has not answered yet" in page.inner_text("[data-testid=registry-answer]")
    with page.expect_navigation():
        page.click("[data-testid=ask-registry]")
    assert "The national population database has answered." in page.inner_text(".messages")
    assert "No such person" in page.inner_text("[data-testid=registry-answer]")


def test_asking_when_the_registry_is_down_says_so_and_keeps_the_case_in_the_batch(
        page, dead_registry_url, four_cases, police_user, settings):
    settings.LANGUAGE_CODE = "vi"
    case = four_cases["match"]
    browser_login(page, "police-hn")
    page.goto(page.base_url + f"/verification/police/cases/{case.pk}/")
    with page.expect_navigation():
        page.click("[data-testid=ask-registry]")
    assert "không phản hồi" in page.inner_text(".messages")
    assert not PoliceVerification.objects.filter(case=case).exists()
    assert page.locator("[data-testid=ask-registry]").is_visible()


@pytest.mark.django_db
def test_asking_about_a_case_of_another_ward_is_not_found(registry, four_cases, outsider_police, client):
    client.force_login(outsider_police)
    case = four_cases["match"]
    response = client.post(f"/verification/police/cases/{case.pk}/ask-registry/")
    assert response.status_code == 404
    assert not PoliceVerification.objects.filter(case=case).exists()


@pytest.mark.django_db
def test_asking_again_after_an_answer_sends_nothing(registry, four_cases, police_user):
    case = four_cases["mismatch"]
    assert registry_ask_now(officer=police_user, case_id=case.pk) == "answered"
    assert registry_ask_now(officer=police_user, case_id=case.pk) == "answered_before"
    assert PoliceVerification.objects.filter(case=case).count() == 1
