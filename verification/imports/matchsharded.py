"""``manage.py match_records --sharded``: the file matched shard by shard (one index per
province of residence, :mod:`verification.imports.shards`) instead of one index of everybody;
the same output as :func:`~verification.imports.matchfile.match_file` (without ``--explain``).

The model is fitted without an index of everybody (``shards.fit_config``) unless ``fit`` is
false; the shards run in this process one after another (``celery=False``) or as Celery tasks
on the deployment's workers (``celery=True``: ``shards.run_celery``, one task per shard and round).
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from vaxrecon.spreadsheets import csv_writer
from verification.imports import shards
from verification.imports.linking import CANDIDATES_SHOWN, MATCH_OUTPUT_COLUMNS, external_ids, linkage_config
from verification.imports.matchfile import _load_chunk, _read_file, _status
from verification.linkage.engine import LINKED, NONE, REVIEW


def match_file_sharded(path: Path, output: Path, *, fit: bool = True, celery: bool = False,
                       timings: dict | None = None) -> dict[str, int]:
    """Match every row of ``path`` shard by shard and write ``output``; the count of each
    decision. A file that is not a reports table raises MalformedFile before anything is written."""
    timings = {} if timings is None else timings
    run = shards.run_celery if celery else shards.run_inline
    with tempfile.TemporaryDirectory(prefix="match_records-") as tmp:
        work = Path(tmp)
        _read_file(path, work)
        _total, n_chunks = _status(work)
        record_ids, probes = [], []
        for k in range(n_chunks):
            ids, chunk = _load_chunk(work, k)
            record_ids += ids
            probes += chunk
        config = linkage_config()
        if fit and probes:
            config = shards.fit_config(probes, job_dir=work / "fit", config=config, run=run)
        results = shards.match_sharded(probes, config=config, job_dir=work / "job", run=run)
    shown = external_ids(c.citizen_id for r in results for c in r.candidates[:CANDIDATES_SHOWN])
    counts = {LINKED: 0, REVIEW: 0, NONE: 0}
    with open(output, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow(MATCH_OUTPUT_COLUMNS)
        writer = csv_writer(fh)
        for record_id, res in zip(record_ids, results):
            counts[res.decision] += 1
            writer.writerow((
                record_id, res.decision,
                shown.get(res.citizen_id, "") if res.decision == LINKED else "",
                "" if res.score is None else f"{res.score:.2f}",
                ";".join(f"{shown.get(c.citizen_id, '')}:{c.score:.2f}"
                         for c in res.candidates[:CANDIDATES_SHOWN]),
                res.ties or "",
            ))
    return counts
