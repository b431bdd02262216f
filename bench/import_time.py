"""Time of ``import rnla`` against the libraries it cannot avoid.

    python -m bench.import_time [--quick]

Medians of 5 fresh interpreters (3 with --quick), alternated in one run:
``import rnla`` against ``import numpy, scipy.sparse, scipy.linalg,
scipy.sparse.linalg, numba`` (target: at most 0.2 s more) and against a bare
interpreter.  Writes bench/results/import_time[_quick].{json,md}.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from bench._common import write_results

CASES = {
    "python": "pass",
    "numpy, scipy.sparse(.linalg), scipy.linalg, numba":
        "import numpy, scipy.sparse, scipy.linalg, scipy.sparse.linalg, numba",
    "rnla": "import rnla",
}


def _seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 runs per case")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 5
    for code in CASES.values():  # warm the file cache
        _seconds(code)
    times = {name: [] for name in CASES}
    for _ in range(repeats):
        for name, code in CASES.items():
            times[name].append(_seconds(code))
    base = statistics.median(times["numpy, scipy.sparse(.linalg), scipy.linalg, numba"])
    rows = [{"import": name, "median_s": statistics.median(t), "times_s": t,
             "above_dependencies_s": statistics.median(t) - base} for name, t in times.items()]
    write_results("import_time" + ("_quick" if args.quick else ""), {"repeats": repeats},
                  rows, ["import", "median_s", "above_dependencies_s"],
                  notes="Wall time of a fresh interpreter running the import (medians, "
                        "alternated); target: `import rnla` at most 0.2 s above its "
                        "dependencies. Command: `python -m bench.import_time`.")


if __name__ == "__main__":
    main()
