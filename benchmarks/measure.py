"""Timing and memory helpers of the benchmark: medians of repeats, peak resident memory."""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["Timing", "differences", "load_in_fresh_process", "peak_rss_mb", "reset_peak_rss",
           "rss_mb", "time_call", "time_once", "time_warm"]


class Timing(dict[str, float]):
    """``median``, ``min`` and ``repeats`` of a timed call, in seconds."""


def time_call(fn: Callable[[], Any], *, repeats: int, warmup: int = 1) -> Timing:
    """Time ``fn`` ``repeats`` times after ``warmup`` untimed calls (median and minimum)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return Timing(median=statistics.median(times), min=min(times), repeats=float(repeats))


def time_warm(fn: Callable[[], Any], *, most: int, least: int = 1,
              budget: float = 10.0) -> Timing:
    """Time ``fn`` warm (its first call made already): ``least`` to ``most`` calls.

    Past ``least`` calls it goes on only while the next call (as long as the last one) would
    end within ``budget`` seconds of the start, so slow calls run ``least`` times.
    """
    times: list[float] = []
    least = max(1, least)
    start = time.perf_counter()
    while len(times) < least or (
            len(times) < most and time.perf_counter() - start + times[-1] <= budget):
        begin = time.perf_counter()
        fn()
        times.append(time.perf_counter() - begin)
    return Timing(median=statistics.median(times), min=min(times), repeats=float(len(times)))


def time_once(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``fn`` once; return (seconds, its result)."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _status(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    """Resident memory of this process now, MB (Linux)."""
    return _status("VmRSS")


def peak_rss_mb() -> float:
    """Peak resident memory of this process since start or the last reset, MB (Linux)."""
    return _status("VmHWM")


def reset_peak_rss() -> bool:
    """Reset the peak to the current resident memory (Linux ``clear_refs``); say if it did."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


# VmHWM, not ru_maxrss: a child forked from a big process inherits its ru_maxrss.
_LOADER = """
import json, sys, time
start = time.perf_counter()
from oretrace.loaders import load_dataset
imported = time.perf_counter()
G = load_dataset(sys.argv[1])
done = time.perf_counter()
with open("/proc/self/status", encoding="ascii") as handle:
    hwm = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))
print(json.dumps({"seconds": done - imported, "import_seconds": imported - start,
                  "peak_mb": hwm / 1024, "edges": G.number_of_edges(),
                  "nodes": G.number_of_nodes()}))
"""


def load_in_fresh_process(path: Path) -> dict[str, Any]:
    """Load the dataset at ``path`` in a new Python process; its time and peak memory."""
    out = subprocess.run([sys.executable, "-c", _LOADER, str(path)], check=True,
                         capture_output=True, text=True, cwd=os.getcwd())
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _plain(x: Any) -> Any:
    if hasattr(x, "model_dump"):
        return x.model_dump()
    if hasattr(x, "to_dict") and hasattr(x, "attrs"):  # a DataFrame
        return {"rows": x.to_dict("records"), "attrs": dict(x.attrs)}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where two query answers differ: exactly, but floats to 1e-9 relative (nan = nan).

    Pydantic results are compared as their dumps, frames as records and attributes.
    """
    a, b = _plain(a), _plain(b)
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{where}: keys differ"]
        return [d for k in a for d in differences(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in differences(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        if (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            return []
    elif a == b:
        return []
    return [f"{where}: {a!r} != {b!r}"]
