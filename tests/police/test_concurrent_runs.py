"""Two `verify_identities` runs at once (PostgreSQL): each batch is claimed before it is sent, so
the two share the queue and no case goes to the registry twice."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date

import pytest
from django.db import connection
from django.db.models import Count

from tests.conftest import ROOT
from tests.police.conftest import awaiting_case
from verification.models import PoliceVerification

CASES, BATCH = 60, 10


@pytest.mark.services
def test_two_runs_at_once_send_each_case_once(transactional_db, registry, hanoi_facility):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent runs are claimed with PostgreSQL's advisory locks; SQLite has one writer")
    for n in range(CASES):
        awaiting_case(full_name="Đỗ Minh Tuấn", date_of_birth=date(1999, 1, 1 + n % 28),
                      id_number=f"0010990{n:05d}", facility=hanoi_facility)
    registry.config.latency = 0.5  # both runs are still sending when the other starts
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="vaxrecon.settings.test",
               POPULATION_REGISTRY_BATCH_SIZE=str(BATCH), DATABASE_URL=url)

    command = [sys.executable, "manage.py", "verify_identities"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for _run in range(2)]
    outputs = [run.communicate(timeout=60)[0] for run in runs]

    assert all(run.returncode == 0 for run in runs), outputs
    sent = [int(re.search(r"(\d+) cases sent", out).group(1)) for out in outputs]
    assert sum(sent) == CASES and min(sent) > 0, sent  # shared, each case once
    per_case = PoliceVerification.objects.values("case").annotate(n=Count("id"))
    assert len(per_case) == CASES and {row["n"] for row in per_case} == {1}
