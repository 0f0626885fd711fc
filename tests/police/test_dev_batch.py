"""The development set-up sends the police queue to the stand-in registry by itself: `make run`
starts the stand-in (on the file police_demo writes) and `verify_identities --every`, which
keeps going when the registry fails once."""

import subprocess
from io import StringIO

import pytest
from django.core.management import call_command

from tests.conftest import ROOT
from verification.models import ReconciliationCase

pytestmark = pytest.mark.django_db


def test_verify_identities_every_runs_again_and_verifies_what_arrived_meanwhile(registry, four_cases):
    out = StringIO()
    call_command("verify_identities", every=0.01, rounds=2, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("4 cases sent in 1 batches")
    assert lines[1].startswith("0 cases sent")
    assert ReconciliationCase.objects.filter(status="awaiting_signature").count() == 2


def test_verify_identities_every_keeps_going_while_the_registry_is_down(dead_registry_url, four_cases):
    out, err = StringIO(), StringIO()
    call_command("verify_identities", every=0.01, rounds=2, stdout=out, stderr=err)
    assert err.getvalue().count("the cases stay queued") == 2
    assert ReconciliationCase.objects.filter(status="awaiting_police").count() == 4


def test_make_run_starts_the_registry_on_police_demos_file_and_the_batch_on_the_given_port():
    recipe = subprocess.run(["make", "-n", "-o", "install", "run", "PORT=8001"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    demo = next(line for line in recipe.splitlines() if "police_demo" in line)
    written = demo.split("--registry", 1)[1].split()[0]
    assert f"run_population_registry --port 8077 --data {written}" in recipe
    assert "verify_identities --every 60" in recipe
    assert "POPULATION_REGISTRY_URL=http://127.0.0.1:8077" in recipe
    assert "runserver 127.0.0.1:8001" in recipe
    assert "http://127.0.0.1:8001/login/" in recipe
