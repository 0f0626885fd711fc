"""match_records: one output row per input row, CCCD ids, candidates "id:score;..."; read-only."""

from __future__ import annotations

import csv

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from records.models import AuditEvent, Citizen, InjectionRecord
from tests.imports.conftest import LINKED_ROW, NONE_ROW, REVIEW_ROW, write_csv, write_xlsx
from verification.imports import matchfile
from verification.linkage.results import LINK_PROBABILITY

pytestmark = pytest.mark.django_db


def test_it_writes_one_row_per_input_with_decision_cccd_score_and_candidates(tmp_path, registry):
    source = write_csv(tmp_path / "reports.csv", [LINKED_ROW, REVIEW_ROW, NONE_ROW])
    before = (Citizen.objects.count(), InjectionRecord.objects.count(), AuditEvent.objects.count())

    call_command("match_records", str(source), "--output", str(tmp_path / "matches.csv"), "--workers", "1")

    with open(tmp_path / "matches.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = {r["record_id"]: r for r in reader}
    assert reader.fieldnames == ["record_id", "decision", "citizen_id", "score", "candidates", "ties"]
    assert {r["ties"] for r in rows.values()} == {""}  # no list here is cut inside a tie
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


def test_two_processes_write_the_same_rows_in_the_same_order_as_one(tmp_path, registry, monkeypatch):
    monkeypatch.setattr(matchfile, "CHUNK", 2)  # several chunks, dealt to both processes
    rows = [dict(row, record_id=f"{row['record_id']}-{k}") for k in range(3)
            for row in (LINKED_ROW, REVIEW_ROW, NONE_ROW)]
    source = write_csv(tmp_path / "reports.csv", rows)
    for workers in ("1", "2"):
        call_command("match_records", str(source), "--output", str(tmp_path / f"m{workers}.csv"), "--workers",
                     workers)
    one, two = ((tmp_path / f"m{w}.csv").read_text() for w in ("1", "2"))
    assert one == two
    assert [r["record_id"] for r in csv.DictReader(one.splitlines())] == [r["record_id"] for r in rows]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_malformed_file_is_refused_and_no_output_is_written(tmp_path, registry, workers):
    source = tmp_path / "reports.csv"
    source.write_text("record_id,full_name\nR-1,Nguyen Van A\n", encoding="utf-8")
    with pytest.raises(CommandError, match="expected columns"):
        call_command("match_records", str(source), "--output", str(tmp_path / "m.csv"), "--workers", workers)
    assert not (tmp_path / "m.csv").exists()


def test_an_xlsx_file_gives_the_same_rows_as_the_csv(tmp_path, registry):
    rows = [LINKED_ROW, REVIEW_ROW, NONE_ROW]
    for kind, write in (("csv", write_csv), ("xlsx", write_xlsx)):
        source = write(tmp_path / f"reports.{kind}", rows)
        call_command("match_records", str(source), "--output", str(tmp_path / f"m-{kind}.csv"), "--workers",
                     "2")
    assert (tmp_path / "m-csv.csv").read_text() == (tmp_path / "m-xlsx.csv").read_text()


def test_a_header_only_file_gives_a_header_only_output(tmp_path, registry):
    source = write_csv(tmp_path / "reports.csv", [])

    call_command("match_records", str(source), "--output", str(tmp_path / "m.csv"), "--workers", "1")

    header = "record_id,decision,citizen_id,score,candidates,ties"
    assert (tmp_path / "m.csv").read_text().splitlines() == [header]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_explain_says_for_each_record_what_each_field_contributed(tmp_path, registry, monkeypatch, workers):
    monkeypatch.setattr(matchfile, "CHUNK", 1)  # with 2 workers, rows explained in the forked process too
    source = write_csv(tmp_path / "reports.csv", [LINKED_ROW, REVIEW_ROW, NONE_ROW])

    call_command("match_records", str(source), "--output", str(tmp_path / "m.csv"), "--workers", workers,
                 "--explain")

    with open(tmp_path / "m.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = {r["record_id"]: r for r in reader}
    assert reader.fieldnames[-2:] == ["probability", "explanation"]
    linked = rows["R-LINK"]
    assert float(linked["probability"]) >= LINK_PROBABILITY
    parts = dict(p.rsplit(" ", 1) for p in linked["explanation"].split("; ") if not p.startswith("missing"))
    assert parts["cccd exact"].startswith("+") and parts["phone exact"].startswith("+")
    # The contributions and the prior add up to the score the row states.
    assert abs(sum(float(v) for v in parts.values()) - float(linked["score"])) < 0.05
    review = rows["R-REVIEW"]
    assert float(review["probability"]) < LINK_PROBABILITY
    assert "missing: id_number, phone" in review["explanation"]
    assert rows["R-NONE"]["explanation"] == ""


def test_without_explain_the_output_has_no_explanation_columns(tmp_path, registry):
    source = write_csv(tmp_path / "reports.csv", [LINKED_ROW])
    call_command("match_records", str(source), "--output", str(tmp_path / "m.csv"), "--workers", "2")
    header = (tmp_path / "m.csv").read_text().splitlines()[0]
    assert "explanation" not in header and header.endswith(",ties")
