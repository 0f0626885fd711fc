"""match_records: one output row per input row, CCCD ids, candidates "id:score;..."; read-only."""

from __future__ import annotations

import csv

import pytest
from django.core.management import call_command

from records.models import AuditEvent, Citizen, InjectionRecord
from tests.imports.conftest import LINKED_ROW, NONE_ROW, REVIEW_ROW, write_csv

pytestmark = pytest.mark.django_db


def test_it_writes_one_row_per_input_with_decision_cccd_score_and_candidates(tmp_path, registry):
    source = write_csv(tmp_path / "reports.csv", [LINKED_ROW, REVIEW_ROW, NONE_ROW])
    before = (Citizen.objects.count(), InjectionRecord.objects.count(), AuditEvent.objects.count())

    call_command("match_records", str(source), "--output", str(tmp_path / "matches.csv"), "--workers", "1")

    with open(tmp_path / "matches.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = {r["record_id"]: r for r in reader}
    assert reader.fieldnames == ["record_id", "decision", "citizen_id", "score", "candidates"]
    assert list(rows) == ["R-LINK", "R-REVIEW", "R-NONE"]
    linked = rows["R-LINK"]
    assert (linked["decision"], linked["citizen_id"]) == ("linked", "001090000777")
    assert linked["candidates"].split(";")[0] == f"001090000777:{linked['score']}"
    review = rows["R-REVIEW"]
    assert review["decision"] == "review" and review["citizen_id"] == ""
    pairs = [c.split(":") for c in review["candidates"].split(";")]
    assert {cid for cid, _score in pairs} >= {"001185000101", "001185000102"}
    scores = [float(s) for _cid, s in pairs]
    assert scores == sorted(scores, reverse=True) and len(pairs) <= 5
    assert rows["R-NONE"]["decision"] == "none" and rows["R-NONE"]["citizen_id"] == ""
    assert (Citizen.objects.count(), InjectionRecord.objects.count(), AuditEvent.objects.count()) == before
