"""Every role's main pages in Chromium with the Content-Security-Policy on: the browser reports
no violation (no inline script, handler, style or eval is needed) and the pages still work —
the language picker submits, the signer's "select all" ticks, the province picker loads its
wards through htmx, the dashboard draws its charts."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports.services import build_days
from tests.conftest import browser_login
from vaxrecon.management.commands.seed_demo import DEMO_PASSWORD
from verification.models import ReconciliationCase
from verification.workflow import CaseStatus

pytestmark = pytest.mark.browser

# Recorded in the page before any of its own scripts run; read back before leaving it.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                              + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


class CspWatch:
    """Collects violations from the page's events and from Chromium's console."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def open(self, path: str):
        response = self.page.goto(self.page.base_url + path)
        assert response.status == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, path
        return response

    def violations(self) -> list[str]:
        self.page.wait_for_load_state("load")
        return self.page.evaluate("window.__cspViolations") + self.console


@pytest.fixture
def demo(transactional_db, reference_data, settings, tmp_path):
    """The demo data: one account per role, cases at each step, the signer's certificate
    (its development CA in a temporary directory), and built daily figures."""
    settings.SIGNING_PKI_DIR = tmp_path
    settings.SIGNING_CRL_DIR = tmp_path
    call_command("seed_demo", "--citizens", "300", stdout=StringIO())
    today = timezone.localdate()
    build_days(start=today - timedelta(days=6), end=today)


def login(page, username: str) -> None:
    page.context.clear_cookies()
    browser_login(page, username, DEMO_PASSWORD)


def test_the_main_pages_of_every_role_load_with_no_policy_violation_and_still_work(page, demo):
    watch = CspWatch(page)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    watch.open("/login/")
    assert watch.violations() == []
    watch.open("/verification/report/")  # the citizen's report page
    page.select_option("#id_province", "1")
    # (no page.wait_for_function: Playwright's string predicates need eval, which the policy forbids)
    page.locator("#id_ward option").nth(1).wait_for(state="attached")
    assert watch.violations() == []

    login(page, "clinic")
    assert watch.violations() == []
    watch.open("/verification/queue/")
    assert page.locator("main a[href*='/verification/cases/']").count() > 0
    case = ReconciliationCase.objects.filter(status=CaseStatus.IN_REVIEW).first()
    watch.open(f"/verification/cases/{case.pk}/")
    assert case.tracking_code in page.inner_text("main")
    assert watch.violations() == []

    login(page, "police")
    watch.open("/verification/police/")
    assert watch.violations() == []

    login(page, "signer")
    watch.open("/signing/")
    page.check("#check-page")
    boxes = page.locator("input[name=records]")
    assert boxes.count() > 0
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    assert watch.violations() == []

    login(page, "province")
    watch.open("/reports/")
    page.wait_for_selector("#dashboard-charts[data-charts=drawn]")
    assert page.evaluate("['chart-backlog', 'chart-police', 'chart-signed', 'chart-overdue']"
                         ".every(id => Chart.getChart(id) !== undefined)")
    assert watch.violations() == []
    assert errors == []


def test_the_policy_is_enforced_and_a_violation_would_be_seen(page):
    """The watch is not blind: an inline script put into the page is blocked and reported."""
    watch = CspWatch(page)
    watch.open("/login/")
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.__inlineRan = true"; document.body.append(s);
                             const d = document.createElement("div");
                             d.setAttribute("style", "color: red"); document.body.append(d); }""")
    page.wait_for_timeout(200)  # violation events are dispatched asynchronously
    assert page.evaluate("window.__inlineRan === undefined")
    found = watch.violations()
    assert any(v.startswith("script-src") for v in found)
    assert any(v.startswith("style-src") for v in found)
