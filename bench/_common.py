"""Shared benchmark helpers: timing, peak memory, machine info, result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def median_time(fn, repeats: int = 5, warmup: int = 1, setup=None) -> dict:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmup`` runs.

    ``setup()`` (untimed) runs before every call and its result is passed to fn.
    """
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
