"""The figures of a benchmark run, gathered for the one table at the top of docs/BENCHMARKS.md.

A benchmark script calls ``record`` for each figure it measured, with the target the issue
states and the baseline it measured in the same run. When ``BENCH_RESULTS`` names a file
(``bench/run_all.py`` sets it), each figure is appended there as one JSON line; otherwise
nothing is written, so a script run by hand only prints. ``run_all.py`` then rewrites the
table between the two markers below.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

START, END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"


@dataclass(frozen=True)
class Figure:
    benchmark: str
    figure: str
    measured: float
    unit: str
    target: str  # as the issue states it, e.g. "≤ 10 s", "≥ 0.999", "≤ 1.5× baseline"
    met: bool | None = None  # None: no target to meet (a reference figure)
    baseline: float | None = None
    baseline_label: str = ""  # what the baseline is (hand-written SQL, raw \copy, ...)
    ratio: float | None = None  # measured / baseline, or as the target reads it


def record(benchmark: str, figure: str, measured: float, unit: str, target: str = "", *,
           met: bool | None = None, baseline: float | None = None, baseline_label: str = "",
           ratio: float | None = None) -> Figure:
    """Keep one figure of this run (appended to $BENCH_RESULTS when set) and return it."""
    result = Figure(benchmark, figure, float(measured), unit, target, met,
                    None if baseline is None else float(baseline), baseline_label,
                    None if ratio is None else float(ratio))
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
    return result


def load(path: Path) -> list[Figure]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Figure(**json.loads(line)) for line in lines if line.strip()]


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"
    return f"{text} {unit}".strip()


def table(figures: list[Figure], *, heading: str) -> str:
    """The markdown block (markers included) for the top of docs/BENCHMARKS.md."""
    lines = [START, heading, "",
             "| benchmark | figure | target | measured | baseline (same run) | ratio | met |",
             "| --- | --- | --- | ---: | --- | ---: | --- |"]
    for f in figures:
        baseline = "—" if f.baseline is None else f"{_number(f.baseline, f.unit)} ({f.baseline_label})"
        met = {True: "yes", False: "**no**", None: "—"}[f.met]
        lines.append(f"| {f.benchmark} | {f.figure} | {f.target or '—'} | {_number(f.measured, f.unit)} | "
                     f"{baseline} | {'—' if f.ratio is None else f'{f.ratio:.2f}'} | {met} |")
    if not figures:
        lines.append("| (no figure recorded) | | | | | | |")
    lines.append(END)
    return "\n".join(lines)


def rewrite(document: Path, block: str) -> None:
    """Put `block` at the top of the document (after its title), replacing the previous one."""
    text = document.read_text(encoding="utf-8")
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + block + after
    else:
        title, _, body = text.partition("\n")
        text = f"{title}\n\n{block}\n{body}"
    document.write_text(text, encoding="utf-8")
