"""Accuracy and speed of the linkage engine on a registry/reports/truth CSV triple.

    .venv/bin/python bench/linkage_accuracy.py [DATA_DIR] [--workers 2]

DATA_DIR defaults to ../shared/data/linkage-sample (relative to the repository) and must
hold registry.csv, reports.csv and truth.csv (record_id -> citizen_id, blank = nobody).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.results import record  # noqa: E402
from verification.linkage import CitizenIndex, Engine, LinkageConfig  # noqa: E402
from verification.linkage.engine import tie_tolerance  # noqa: E402
from verification.linkage.probes import ProbeBatch, make_probe  # noqa: E402
from verification.linkage.training import fit_m  # noqa: E402

DEFAULT_DIR = REPO.parent / "shared" / "data" / "linkage-sample"


def read_reports(path):
    with open(path, newline="", encoding="utf-8-sig") as fh:
        yield from csv.DictReader(fh)


def read_truth(path) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return {row["record_id"]: row["citizen_id"] for row in csv.DictReader(fh)}


def in_reported_tie(engine, report, res, want) -> bool:
    """The true citizen is not listed but scores as the last listed candidate, in a list the
    engine reported as cut inside a tie (``res.ties``): the output said how many tie. Scores
    within the engine's tie tolerance of each other tie (``LinkageConfig.tie_tolerance``)."""
    if not res.ties or not res.candidates:
        return False
    ix = engine.index
    position = ix.ids.index(want)  # only for the few records with a reported tie
    batch = ProbeBatch(ix, [make_probe(**report)])
    score = float(engine.scorer.score(batch, np.array([0]), np.array([position]))[0][0])
    return abs(score - res.candidates[-1].score) < tie_tolerance(engine.config)


def evaluate(results, truth, *, engine=None, reports=None) -> dict:
    """results: iterable of (record_id, MatchResult). With ``engine`` and ``reports`` (by
    record id), a true citizen inside a reported tie counts as covered (``covered_in_tie``)."""
    counts: Counter = Counter()
    linked = correct = true_matches = linked_true = unlinked_true = covered = in_tie = 0
    wrong = []
    for record_id, res in results:
        counts[res.decision] += 1
        want = truth.get(record_id, "")
        if want:
            true_matches += 1
        if res.decision == "linked":
            linked += 1
            if res.citizen_id == want:
                correct += 1
                linked_true += 1
            else:
                wrong.append((record_id, want, res))
        elif want:
            unlinked_true += 1
            if any(c.citizen_id == want for c in res.candidates):
                covered += 1
            elif engine is not None and in_reported_tie(engine, reports[record_id], res, want):
                in_tie += 1
    return {
        "precision": correct / linked if linked else 1.0,
        "recall": linked_true / true_matches if true_matches else 1.0,
        "review_coverage": (covered + in_tie) / unlinked_true if unlinked_true else 1.0,
        "covered_in_tie": in_tie,
        "counts": dict(counts),
        "linked": linked,
        "wrong_links": len(wrong),
        "true_matches": true_matches,
        "unlinked_true": unlinked_true,
        "covered": covered,
        "wrong": wrong,
    }


def run(data_dir: Path, *, workers: int = 1, fit: bool = True, config: LinkageConfig | None = None,
        verbose: bool = True):
    t0 = time.perf_counter()
    index = CitizenIndex.from_registry_csv(data_dir / "registry.csv")
    t1 = time.perf_counter()
    reports = list(read_reports(data_dir / "reports.csv"))
    config = config or LinkageConfig()
    if fit:
        config = fit_m(index, reports, config)
    t2 = time.perf_counter()
    engine = Engine(index, config)
    results = list(engine.match_many(reports, workers=workers))
    t3 = time.perf_counter()
    truth = read_truth(data_dir / "truth.csv")
    stats = evaluate(zip((r["record_id"] for r in reports), results), truth, engine=engine,
                     reports={r["record_id"]: r for r in reports})
    stats["time"] = {"index": t1 - t0, "fit": t2 - t1, "match": t3 - t2, "total": t3 - t0}
    stats["citizens"] = index.size
    stats["records"] = len(reports)
    stats["engine"] = engine
    stats["results"] = results
    stats["reports"] = reports
    if verbose:
        print(f"citizens {index.size:,}  records {len(reports):,}  workers {workers}")
        right = stats["linked"] - stats["wrong_links"]
        print(f"precision of linked      {stats['precision']:.4f}  ({right}/{stats['linked']})")
        print(f"recall of linked         {stats['recall']:.4f}  "
              f"(of {stats['true_matches']} records with a citizen)")
        print(f"review coverage          {stats['review_coverage']:.4f}  "
              f"({stats['covered']} listed + {stats['covered_in_tie']} in a reported tie"
              f" / {stats['unlinked_true']} true matches not linked)")
        print(f"decisions                {stats['counts']}")
        tm = stats["time"]
        print(f"time  index {tm['index']:.2f}s  fit {tm['fit']:.2f}s  match {tm['match']:.2f}s  "
              f"total {tm['total']:.2f}s")
    return stats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", nargs="?", default=str(DEFAULT_DIR))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--no-fit", action="store_true", help="use the prior m-probabilities as they are")
    ap.add_argument("--show-wrong", type=int, default=0, help="print this many wrong links")
    args = ap.parse_args(argv)
    stats = run(Path(args.data_dir), workers=args.workers, fit=not args.no_fit)
    sample = Path(args.data_dir).name
    record("linkage", f"precision ({sample})", stats["precision"], "", "≥ 0.999",
           met=stats["precision"] >= 0.999)
    record("linkage", f"recall ({sample})", stats["recall"], "", "≥ 0.97", met=stats["recall"] >= 0.97)
    record("linkage", f"review coverage ({sample})", stats["review_coverage"], "", "≥ 0.995",
           met=stats["review_coverage"] >= 0.995)
    for record_id, want, res in stats["wrong"][: args.show_wrong]:
        print(record_id, "truth", want or "-", "linked", res.citizen_id, f"{res.score:.1f}",
              res.candidates[0].reason_dicts())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
