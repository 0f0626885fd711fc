"""The case page's timeline names who acted in the reader's language: the citizen, the system,
or a person's name and role; never the stored key ("citizen", "system") or a bare user name."""

import pytest

from tests.conftest import browser_login
from tests.verification.conftest import confirmed_report
from verification import workflow
from verification.services import case_start_review, case_transition

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("lang", "citizen", "system", "clinic"), [
    ("vi", "Công dân", "VaxRecon (tự động)", "clinic-hn (Cán bộ cơ sở tiêm chủng)"),
    ("en", "Citizen", "VaxRecon (automatic)", "clinic-hn (Clinic staff)"),
])
def test_the_timeline_names_each_actor_in_the_readers_language(page, clinic_user, hanoi_facility, lang,
                                                               citizen, system, clinic):
    case = confirmed_report(hanoi_facility)
    case_start_review(case=case, actor=clinic_user)
    case_transition(case=case.pk, name="update_record", actor=workflow.SYSTEM)
    browser_login(page, "clinic-hn")
    if lang != "vi":
        with page.expect_navigation():
            page.select_option("select[name=language]", lang)
    page.goto(page.base_url + f"/verification/cases/{case.pk}/")
    actors = page.locator("[data-testid=actor]").all_inner_texts()
    assert set(actors) == {citizen, system, clinic}
    timeline = page.inner_text("ol.timeline")
    assert "citizen" not in timeline and "system" not in timeline
