"""The police case page's answers so far name the officer who gave each as a person, by full
name and role in the reader's language (never a user name). In Chromium, Vietnamese then English."""

import pytest

from accounts.models import Role
from tests.conftest import browser_login
from tests.factories import make_user
from tests.police.conftest import awaiting_case
from verification.models import PoliceVerification

OFFICER = {"vi": "Nguyễn Văn An (Công an xã/phường)", "en": "Nguyễn Văn An (Commune police)"}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_answers_so_far_name_the_officer_and_role(page, hanoi_facility, police_user, lang):
    colleague = make_user(Role.COMMUNE_POLICE, username="cahk-an-07", ward=hanoi_facility.ward)
    colleague.first_name = "Nguyễn Văn An"  # the whole name, family name first
    colleague.save(update_fields=["first_name"])
    case = awaiting_case(facility=hanoi_facility)
    PoliceVerification.objects.create(case=case, source=PoliceVerification.Source.OFFICER,
                                      outcome=PoliceVerification.Outcome.NOT_FOUND, officer=colleague,
                                      note="Không có trong CSDL")
    browser_login(page, "police-hn")
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.base_url}])
    page.goto(page.base_url + f"/verification/police/cases/{case.pk}/")

    assert page.locator("[data-testid=officer]").all_inner_texts() == [OFFICER[lang]]
    assert "cahk-an-07" not in page.inner_text("main")
