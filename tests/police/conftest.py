"""Police verification fixtures: a live stand-in population registry and cases awaiting police."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
from datetime import date

import pytest
from django.utils import translation

from accounts.models import Role
from records.models import Ward
from tests.conftest import ROOT
from tests.factories import HANOI_WARD, HCM_PROVINCE, make_user
from verification import workflow
from verification.models import ReconciliationCase
from verification.police import registry_server
from verification.services import case_transition

API_KEY = "test-registry-key"
# The registry's people. The cases below claim these identities, exactly or not.
PEOPLE = [
    # citizen_id, legacy_id, full_name, date_of_birth, sex
    ("001090000001", "", "Nguyễn Văn Hùng", "1990-05-17", "M"),
    ("001185000002", "", "Trần Thị Mai", "1985-03-02", "F"),
    ("001095000003", "012345678", "Lê Văn Nam", "1995-11-20", "M"),
    ("001188000004", "", "Phạm Thu Hà", "1988-07-09", "F"),
]


@pytest.fixture
def registry_csv(tmp_path):
    path = tmp_path / "registry.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["citizen_id", "legacy_id", "full_name", "date_of_birth", "sex", "province_code",
                         "ward_code", "phone"])
        for cid, legacy, name, dob, sex in PEOPLE:
            writer.writerow([cid, legacy, name, dob, sex, "1", "70", "0912345678"])
    return path


@pytest.fixture
def fast_client_settings(settings):
    """Short timeouts and backoff so fault tests take a second, not a minute."""
    settings.POPULATION_REGISTRY_API_KEY = API_KEY
    settings.POPULATION_REGISTRY_TIMEOUT = 1.0
    settings.POPULATION_REGISTRY_RETRIES = 2
    settings.POPULATION_REGISTRY_BACKOFF = 0.01
    settings.POPULATION_REGISTRY_BREAKER_THRESHOLD = 2
    settings.POPULATION_REGISTRY_BREAKER_COOLDOWN = 60
    settings.POPULATION_REGISTRY_AUTO_VERIFY = True
    return settings


@pytest.fixture
def registry(registry_csv, fast_client_settings, monkeypatch):
    """The stand-in registry in a thread on a free port; settings (and the environment, for a
    worker subprocess) point at it. `registry.config` changes latency / failure rate live."""
    server = registry_server.serve_in_thread(data=str(registry_csv), api_key=API_KEY, port=0)
    url = "http://127.0.0.1:%d" % server.server_address[1]
    fast_client_settings.POPULATION_REGISTRY_URL = url
    monkeypatch.setenv("POPULATION_REGISTRY_URL", url)
    monkeypatch.setenv("POPULATION_REGISTRY_API_KEY", API_KEY)
    server.url = url
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def registry_process(registry_csv, fast_client_settings):
    """The stand-in as its own process, started the documented way (manage.py command)."""
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_population_registry", "--port", "0", "--data", str(registry_csv),
         "--api-key", API_KEY],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="vaxrecon.settings.test"),
    )
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        pytest.fail("registry did not start: " + line + proc.stdout.read())
    url = line.rsplit(" ", 1)[-1].strip()
    fast_client_settings.POPULATION_REGISTRY_URL = url
    proc.url = url
    yield proc
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def dead_registry_url(fast_client_settings):
    """A URL where nothing listens (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fast_client_settings.POPULATION_REGISTRY_URL = f"http://127.0.0.1:{port}"
    return fast_client_settings.POPULATION_REGISTRY_URL


def awaiting_case(*, full_name="Nguyễn Văn Hùng", date_of_birth=date(1990, 5, 17), sex="M",
                  id_number="001090000001", ward=None, facility=None, **extra) -> ReconciliationCase:
    """A case that reached the police the real way: record updated, then sent to police."""
    ward = ward or (facility.ward if facility else Ward.objects.get(code=HANOI_WARD))
    case = ReconciliationCase.objects.create(
        origin=ReconciliationCase.Origin.CLINIC_ENTRY, status=workflow.CaseStatus.RECORD_UPDATED,
        full_name=full_name, date_of_birth=date_of_birth,
        birth_year=extra.pop("birth_year", date_of_birth.year if date_of_birth else 1990),
        dob_precision="day" if date_of_birth else "year", sex=sex, id_number=id_number, ward=ward,
        facility=facility, **extra,
    )
    return case_transition(case=case, name="send_to_police", actor=workflow.SYSTEM)


@pytest.fixture
def four_cases(hanoi_facility):
    """One case per registry outcome, plus one the registry matches by the old CMND."""
    return {
        "match": awaiting_case(facility=hanoi_facility),
        "mismatch": awaiting_case(full_name="Tran Thi Mai", date_of_birth=date(1985, 3, 2), sex="F",
                                  id_number="001185000002", facility=hanoi_facility),
        "not_found": awaiting_case(full_name="Đỗ Minh Tuấn", date_of_birth=date(1999, 1, 1),
                                   id_number="001099000099", facility=hanoi_facility),
        "cmnd_match": awaiting_case(full_name="Lê Văn Nam", date_of_birth=date(1995, 11, 20),
                                    id_number="012345678", facility=hanoi_facility),
    }


@pytest.fixture
def outsider_police(reference_data):
    """Persona: commune police of a ward in Hồ Chí Minh City."""
    ward = Ward.objects.filter(province_id=HCM_PROVINCE).order_by("code").first()
    return make_user(Role.COMMUNE_POLICE, username="police-hcm", ward=ward)


@pytest.fixture
def second_police(hanoi_facility):
    """Another officer of the same ward."""
    return make_user(Role.COMMUNE_POLICE, username="police-hn-2", ward=hanoi_facility.ward)


@pytest.fixture(autouse=True)
def english_pages(client):
    """Pages in English (the msgids): assertions stay true once the Vietnamese catalogue lands."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
