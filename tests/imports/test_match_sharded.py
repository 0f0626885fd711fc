"""Matching shard by shard (one index per province of residence, `shards.match_sharded`) gives
the decisions one index of everybody gives: on a small generated registry, with a record whose
ward is in another province and a record that only its CCCD leads to; and the same through a
real Celery worker. PostgreSQL only (the national pass is a query on records_citizen)."""

from __future__ import annotations

import csv
import io
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from bench.gen_linkage_data import Generator
from records.models import Citizen, Ward
from records.normalize import fold_name, normalize_name, normalize_phone
from verification.imports import shards
from verification.imports.linking import (
    IDENTITY_COLUMNS,
    MATCH_OUTPUT_COLUMNS,
    linkage_config,
    load_citizen_index,
)
from verification.linkage import LINKED, Engine, make_probe
from verification.linkage.training import fit_m

CITIZENS, RECORDS = 2_500, 300


@pytest.fixture
def generated(reference_data):
    """Generated citizens in records_citizen, and noisy reports of them (bench/gen_linkage_data)."""
    if connection.vendor != "postgresql":
        pytest.skip("the national pass is a PostgreSQL query")
    gen = Generator(11)
    people = gen.citizens(CITIZENS)
    known_wards = set(Ward.objects.values_list("code", flat=True))
    people = [p for p in people if int(p["ward_code"]) in known_wards]
    Citizen.objects.bulk_create(Citizen(
        cccd=p["citizen_id"] if len(p["citizen_id"]) == 12 else None, cmnd=p["legacy_id"],
        full_name=normalize_name(p["full_name"]), name_key=fold_name(normalize_name(p["full_name"])),
        date_of_birth=p["date_of_birth"] or None, birth_year=int(p["date_of_birth"][:4]),
        dob_precision="day", sex=p["sex"], phone=normalize_phone(p["phone"])[:10],
        ward_id=int(p["ward_code"])) for p in people)
    rng = random.Random(3)
    reports = [gen.report(f"R{k}", rng.choice(people)) for k in range(RECORDS)]
    return people, reports


def other_province_ward(person) -> int:
    return Ward.objects.exclude(province_id=int(person["province_code"])).order_by("code").values_list(
        "code", flat=True)[7]


def identity(row: dict) -> dict:
    return {k: row.get(k) for k in IDENTITY_COLUMNS}


def special_records(people) -> tuple[dict, dict, Citizen, Citizen]:
    """A citizen reported with a ward in another province (exact name and date, no ID or phone),
    and one reported with only the CCCD to go by (another name, no date, a ward elsewhere)."""
    moved = next(p for p in people if p["date_of_birth"] and len(p["citizen_id"]) == 12)
    by_id = next(p for p in people[100:] if len(p["citizen_id"]) == 12)
    ward = other_province_ward(moved)
    moved_row = {"full_name": moved["full_name"], "date_of_birth": moved["date_of_birth"],
                 "sex": moved["sex"], "id_number": "", "phone": "", "ward_code": str(ward),
                 "province_code": str(Ward.objects.get(code=ward).province_id)}
    id_row = {"full_name": "Hà Văn Quyết", "date_of_birth": "", "sex": by_id["sex"],
              "id_number": by_id["citizen_id"], "phone": "", "ward_code": str(other_province_ward(by_id)),
              "province_code": ""}
    return (moved_row, id_row, Citizen.objects.get(cccd=moved["citizen_id"]),
            Citizen.objects.get(cccd=by_id["citizen_id"]))


def single_index(records: list[dict]):
    index = load_citizen_index()
    config = fit_m(index, records, linkage_config())
    return config, list(Engine(index, config).match_many(records))


def same(a, b) -> bool:
    """Same decision, citizen, best score and tie count; the same scores listed, and the same
    citizens above the last listed score (equally scored citizens may be listed in another order)."""
    scores_a, scores_b = [round(c.score, 9) for c in a.candidates], [round(c.score, 9) for c in b.candidates]
    last = min(scores_a, default=None)
    above = [{c.citizen_id for c in r.candidates if round(c.score, 9) != last} for r in (a, b)]
    return ((a.decision, a.citizen_id, a.ties) == (b.decision, b.citizen_id, b.ties)
            and (a.score is None) == (b.score is None) and (a.score is None or abs(a.score - b.score) < 1e-9)
            and sorted(scores_a) == sorted(scores_b) and above[0] == above[1])


@pytest.mark.django_db
def test_the_sharded_run_decides_every_record_as_one_index_of_everybody(generated, tmp_path):
    people, reports = generated
    moved_row, id_row, moved, by_id = special_records(people)
    records = [identity(r) for r in reports] + [moved_row, id_row]
    config, single = single_index(records)
    probes = [make_probe(**r) for r in records]

    sharded = shards.match_sharded(probes, config=config, job_dir=tmp_path / "job")

    different = [(k, a, b) for k, (a, b) in enumerate(zip(single, sharded)) if not same(a, b)]
    assert not different
    assert [r.decision for r in sharded].count(LINKED) > RECORDS // 2
    routes, _names = shards.national_pass(probes[-2:])
    assert moved.ward.province_id in routes[0] and moved.ward.province_id != probes[-2].province
    assert by_id.ward.province_id in routes[1]
    assert (sharded[-2].decision, sharded[-2].citizen_id) == (LINKED, moved.pk)
    # Another name and no date: not enough to link on, but the CCCD puts its citizen first.
    assert sharded[-1].candidates[0].citizen_id == by_id.pk


@pytest.mark.services
def test_shards_run_as_celery_tasks_on_a_real_worker_decide_as_inline(
        celery_worker_process, generated, tmp_path):
    people, reports = generated
    moved_row, id_row, moved, by_id = special_records(people)
    records = [identity(r) for r in reports[:40]] + [moved_row, id_row]
    config, single = single_index(records)
    probes = [make_probe(**r) for r in records]

    def queue(job, round_, ids):
        shards.run_celery(job, round_, ids, timeout=120)

    queued = shards.match_sharded(probes, config=config, job_dir=tmp_path / "job", run=queue)

    assert all(same(a, b) for a, b in zip(single, queued))
    assert (queued[-2].citizen_id, queued[-1].candidates[0].citizen_id) == (moved.pk, by_id.pk)


@pytest.mark.django_db
def test_the_sharded_run_fits_its_own_model_and_links_as_one_index_does(generated, tmp_path):
    _people, reports = generated
    records = [identity(r) for r in reports]
    config, single = single_index(records)
    probes = [make_probe(**r) for r in records]

    own = shards.fit_config(probes, job_dir=tmp_path / "fit")
    sharded = shards.match_sharded(probes, config=own, job_dir=tmp_path / "job")

    assert abs(own.params.match_rate - config.params.match_rate) < 0.005
    one, mine = ({(k, r.citizen_id) for k, r in enumerate(run) if r.decision == LINKED}
                 for run in (single, sharded))
    assert one == mine and len(one) > RECORDS // 2


@pytest.mark.django_db
def test_match_records_sharded_writes_the_links_of_the_single_index_command(generated, tmp_path):
    # The command an operator runs: `match_records --sharded` (shards in this process) writes the
    # same columns and links every record the one-index command links, to the same CCCD/CMND.
    _people, reports = generated
    source = tmp_path / "reports.csv"
    with open(source, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(reports[0]))
        writer.writeheader()
        writer.writerows(reports)
    outputs = {}
    for name, extra in (("single", []), ("sharded", ["--sharded"])):
        out = tmp_path / f"{name}.csv"
        call_command("match_records", str(source), "--output", str(out), *extra, stdout=io.StringIO())
        with open(out, newline="", encoding="utf-8") as fh:
            outputs[name] = list(csv.reader(fh))
    single, sharded = outputs["single"], outputs["sharded"]
    assert sharded[0] == list(MATCH_OUTPUT_COLUMNS) and len(sharded) == len(single) == RECORDS + 1
    links = {name: {(row[0], row[2]) for row in rows[1:] if row[1] == LINKED}
             for name, rows in outputs.items()}
    assert links["sharded"] == links["single"] and len(links["single"]) > RECORDS // 2
    assert [row[0] for row in sharded] == [row[0] for row in single]


def test_match_records_refuses_celery_without_sharded(tmp_path):
    source = tmp_path / "reports.csv"
    source.write_text("record_id,full_name\n1,Nguyễn Văn An\n", encoding="utf-8")
    with pytest.raises(CommandError, match="--celery"):
        call_command("match_records", str(source), "--output", str(tmp_path / "out.csv"), "--celery")
    assert not (tmp_path / "out.csv").exists()
