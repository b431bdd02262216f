"""Shared benchmark helpers: timing, peak memory, machine info, result files."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"

#: busy-loop processes started around every timing inside ``loaded_timings()``
BUSY_PROCESSES = 2
LOADED_NOTES = (f"Each case timed quiet, then again with {BUSY_PROCESSES} busy-loop processes "
                "running through its timing (`_loaded` columns); loaded_vs_quiet = loaded "
                "ratio / quiet ratio (target <= 1.5), time_loaded_vs_quiet = rnla's loaded "
                "time / its quiet time. ")
_loaded = False


@contextlib.contextmanager
def busy_cores(count: int = BUSY_PROCESSES):
    """Run ``count`` busy-loop processes (other work on the machine) while the block runs."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
             for _ in range(count)]
    try:
        time.sleep(0.05)  # let them reach the loop
        yield
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


@contextlib.contextmanager
def loaded_timings():
    """Inside this block every ``median_time`` runs with ``BUSY_PROCESSES`` busy loops
    started before its warm-up and stopped after its last run."""
    global _loaded
    previous, _loaded = _loaded, True
    try:
        yield
    finally:
        _loaded = previous


def merge_loaded(quiet: list[dict], loaded: list[dict], keys: tuple[str, ...],
                 timed: tuple[str, ...], ratio: str, speedup: bool = False) -> list[dict]:
    """Quiet rows with the loaded run's ``timed`` columns beside them (``<col>_loaded``),
    matched on ``keys``; ``loaded_vs_quiet`` is the loaded ``ratio`` over the quiet one
    (rnla against its baseline, both under load; for a ``speedup`` column, baseline over
    rnla, the quiet one over the loaded one), and ``time_loaded_vs_quiet`` rnla's own
    slowdown ``timed[0]`` loaded over quiet."""
    by_key = {tuple(row.get(k) for k in keys): row for row in loaded}
    merged = []
    for row in quiet:
        other = by_key.get(tuple(row.get(k) for k in keys), {})
        row = dict(row)
        for col in timed:
            if col in other:
                row[f"{col}_loaded"] = other[col]
        if isinstance(row.get(ratio), float) and isinstance(other.get(ratio), float):
            row["loaded_vs_quiet"] = (row[ratio] / other[ratio] if speedup
                                      else other[ratio] / row[ratio])
        if isinstance(row.get(timed[0]), float) and isinstance(other.get(timed[0]), float):
            row["time_loaded_vs_quiet"] = other[timed[0]] / row[timed[0]]
        merged.append(row)
    return merged


def median_time(fn, repeats: int = 5, warmup: int = 1, setup=None) -> dict:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmup`` runs.

    ``setup()`` (untimed) runs before every call and its result is passed to fn.
    Inside ``loaded_timings()`` busy loops run on the machine throughout.
    """
    if _loaded:
        with busy_cores(), _suspend_loaded():
            return median_time(fn, repeats, warmup, setup)
    def once():
        arg = setup() if setup is not None else None
        t0 = time.perf_counter()
        fn(arg) if setup is not None else fn()
        return time.perf_counter() - t0

    for _ in range(warmup):
        once()
    times = [once() for _ in range(repeats)]
    return {"median_s": statistics.median(times), "times_s": times}


def peak_memory(fn) -> int:
    """Peak bytes allocated through numpy/Python while ``fn()`` runs (tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def machine() -> dict:
    import numba
    import scipy

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
    }


def write_results(name: str, params: dict, rows: list[dict], columns: list[str],
                  notes: str = "", tables: list[tuple[str, list[dict], list[str]]] = ()
                  ) -> Path:
    """Write ``bench/results/<name>.json`` and a Markdown table ``<name>.md``.

    ``tables`` adds further ``(title, rows, columns)`` tables to both files.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    all_rows = rows + [row for _, extra, _ in tables for row in extra]
    payload = {"benchmark": name, "machine": machine(), "params": params, "rows": all_rows}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=1, default=float))
    lines = [f"# {name}", "", notes, ""] + _table(rows, columns)
    for title, extra, extra_columns in tables:
        lines += ["", f"## {title}", ""] + _table(extra, extra_columns)
    md = "\n".join(lines) + "\n"
    (RESULTS / f"{name}.md").write_text(md)
    print(md)
    return RESULTS / f"{name}.md"


def _table(rows: list[dict], columns: list[str]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(c, "")) for c in columns) + " |")
    return lines


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.3e}"
    return str(v)


@contextlib.contextmanager
def _suspend_loaded():
    """Nested timings inside one loaded timing do not start more busy loops."""
    global _loaded
    _loaded = False
    try:
        yield
    finally:
        _loaded = True
