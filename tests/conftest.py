import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import sync_playwright

from accounts.models import Role
from records.models import Province, Ward
from records.services import load_divisions, load_vaccines
from tests.factories import HCM_PROVINCE, FacilityFactory, make_user
from vaxrecon.celery import app


@pytest.fixture
def reference_data(db):
    """Provinces, wards and vaccines. Migrations load them, but transactional tests (live
    server, Celery worker) flush every table after each test, so reload when missing."""
    if not Ward.objects.filter(code=70).exists():
        load_divisions()
        load_vaccines()


@pytest.fixture
def hanoi_facility(reference_data):
    return FacilityFactory(code="HN-TEST-1", name="Trạm Y tế Hoàn Kiếm")


@pytest.fixture
def hcm_facility(reference_data):
    ward = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    return FacilityFactory(code="HCM-TEST-1", name="Trạm Y tế Sài Gòn", ward=ward)


# Two facilities and two wards in each province, so a facility scope widened to its ward, or a
# ward or facility scope widened to the province, shows in what an own-scope persona sees.

@pytest.fixture
def hanoi_neighbour_facility(hanoi_facility):
    """Another facility in the same ward as `hanoi_facility`."""
    return FacilityFactory(code="HN-TEST-2", name="Phòng khám Hoàn Kiếm", ward=hanoi_facility.ward)


@pytest.fixture
def hanoi_other_ward_facility(hanoi_facility):
    """A facility of another ward of Hà Nội (same province as `hanoi_facility`)."""
    ward = Ward.objects.filter(province_id=1).exclude(pk=hanoi_facility.ward_id).order_by("code").first()
    return FacilityFactory(code="HN-TEST-W2", name="Trạm Y tế Ba Đình", ward=ward)


@pytest.fixture
def hcm_other_ward_facility(hcm_facility):
    """A facility of another ward of Hồ Chí Minh City."""
    ward = (Ward.objects.filter(province_id=HCM_PROVINCE).exclude(pk=hcm_facility.ward_id)
            .order_by("code").first())
    return FacilityFactory(code="HCM-TEST-W2", name="Trạm Y tế Bến Thành", ward=ward)


@pytest.fixture
def clinic_user(hanoi_facility):
    """Persona: clinic staff of the Hà Nội facility (own scope)."""
    return make_user(Role.CLINIC_STAFF, username="clinic-hn", facility=hanoi_facility)


@pytest.fixture
def other_clinic_user(hcm_facility):
    """Persona: the same role in another province (outsider)."""
    return make_user(Role.CLINIC_STAFF, username="clinic-hcm", facility=hcm_facility)


@pytest.fixture
def neighbour_clinic_user(hanoi_neighbour_facility):
    """Persona: clinic staff of another facility in the same ward (outsider to the facility)."""
    return make_user(Role.CLINIC_STAFF, username="clinic-hn-2", facility=hanoi_neighbour_facility)


@pytest.fixture
def other_ward_police(hanoi_other_ward_facility):
    """Persona: commune police of another ward of the same province (outsider to the ward)."""
    return make_user(Role.COMMUNE_POLICE, username="police-hn-other-ward",
                     ward=hanoi_other_ward_facility.ward)


@pytest.fixture
def police_user(hanoi_facility):
    """Persona: another role (commune police) in the same ward."""
    return make_user(Role.COMMUNE_POLICE, username="police-hn", ward=hanoi_facility.ward)


@pytest.fixture
def provincial_user(reference_data):
    return make_user(Role.PROVINCIAL_OFFICER, username="province-hn", province=Province.objects.get(code=1))


@pytest.fixture
def ministry_user(db):
    return make_user(Role.MINISTRY_ANALYST, username="ministry")


# --- Real parts: a Celery worker process and a Chromium browser -------------------------

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def celery_worker_factory(transactional_db, reference_data, settings):
    """Starts real `celery worker` subprocesses on the configured broker, using the test database:
    `start(**env)` -> Popen, once it answers a ping; `env` adds variables (e.g. a short
    JOB_LEASE_SECONDS). Each worker left running is stopped at the end of the test.

    Needs CELERY_BROKER_URL (Redis in CI) and a server database (PostgreSQL): skipped on the
    embedded defaults, where tasks run eagerly in-process. Tests using it must be
    `transactional_db` so the worker sees committed rows.
    """
    broker = os.environ.get("CELERY_BROKER_URL")
    if not broker or connection.vendor != "postgresql":
        pytest.skip("needs CELERY_BROKER_URL and PostgreSQL (CI runs this against Redis)")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    db = connection.settings_dict
    base_env = dict(os.environ, DJANGO_SETTINGS_MODULE="vaxrecon.settings.test", CELERY_BROKER_URL=broker,
                    DATABASE_URL=(f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                                  f"/{db['NAME']}"),
                    CELERY_TASK_ALWAYS_EAGER="false", MEDIA_ROOT=str(settings.MEDIA_ROOT))
    app.control.purge()
    started: list[subprocess.Popen] = []

    def start(**env) -> subprocess.Popen:
        name = f"test{len(started)}-{os.getpid()}@{socket.gethostname()}"  # its own, for the ping
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "vaxrecon", "worker", "--pool", "solo", "-l", "warning",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", name],
            cwd=ROOT, env={**base_env, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        started.append(proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if app.control.inspect(timeout=1, destination=[name]).ping():
                    return proc
            except Exception:  # noqa: BLE001 - broker still starting
                pass
            if proc.poll() is not None:
                pytest.fail("celery worker exited: " + (proc.stdout.read() if proc.stdout else ""))
        proc.kill()
        pytest.fail("celery worker did not answer a ping within 30 s")

    try:
        yield start
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def celery_worker_process(celery_worker_factory):
    """One real `celery worker` subprocess (see `celery_worker_factory`). Yields the Popen."""
    return celery_worker_factory()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's DB calls from the
    # test body are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, reference_data):
    """A fresh browser page (desktop size) with `page.base_url` set to the live server."""
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.base_url = live_server.url
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser, live_server, reference_data):
    """A phone-sized page (390×844, touch) for the citizen and police pages."""
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.base_url = live_server.url
    yield pg
    context.close()


def browser_login(pg, username: str, password: str = "pw-for-tests-only") -> None:
    pg.goto(pg.base_url + "/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", password)
    pg.click("button[type=submit]")
    pg.wait_for_url(pg.base_url + "/")
