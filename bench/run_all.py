"""`make bench`: run every benchmark in turn and print where the figures go.

Each script measures one target of an issue and appends its section to docs/BENCHMARKS.md
itself (machine and date included). Sizes default to the issues' targets; pass
`--quick` for a smaller run that checks the scripts still work.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    # script, full-size args, quick args
    ("linkage_accuracy.py", [], []),
    ("linkage_speed.py", [], ["--citizens", "100000", "--records", "20000"]),
    ("import_speed.py", [], ["--rows", "100000"]),
    ("sign_raw.py", [], []),
    ("sign_bench.py", [], ["--records", "50000"]),
    ("reports_bench.py", ["--database", "vaxrecon_national", "--generate"],
     ["--database", "vaxrecon_reports_quick", "--generate", "--quick", "--days", "60", "--requests", "50"]),
]


def main() -> int:
    quick = "--quick" in sys.argv
    failures = 0
    for script, full, small in BENCHES:
        path = HERE / script
        if not path.exists():
            print(f"-- {script}: not present, skipped")
            continue
        args = small if quick else full
        print(f"\n== {script} {' '.join(args)}", flush=True)
        started = time.monotonic()
        # Not checked: a failing benchmark is counted and the others still run.
        result = subprocess.run([sys.executable, str(path), *args], cwd=HERE.parent, check=False)
        print(f"-- {script}: exit {result.returncode} after {time.monotonic() - started:.0f}s")
        failures += result.returncode != 0
    print("\nResults: docs/BENCHMARKS.md")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
