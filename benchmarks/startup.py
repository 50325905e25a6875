"""``python -m benchmarks.startup``: how fast the command line starts (issue 10, item 3).

Runs ``oretrace --help`` and ``oretrace info`` (bundled dataset, table output) several times,
each in a fresh interpreter (``python -m oretrace``, with this process's environment, so the
tree on ``PYTHONPATH`` is the one measured), and prints the median wall time of each against
its target, with a met / not met column. The CPU time of the runs (user + system, from
``getrusage``) and the load average are printed beside it: on a shared machine the wall time
rises with the load, the CPU time much less.

    python -m benchmarks.startup                 # 7 runs of each
    python -m benchmarks.startup --runs 15 --json startup.json
    python -m benchmarks.startup --imports       # also the slowest imports (-X importtime)

Not a test: targets are for "this machine" (the issue's 2-core box), and timings belong in
``benchmarks/``, never in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

#: The commands measured and their targets (seconds of median wall time).
TARGETS: dict[str, tuple[list[str], float]] = {
    "oretrace --help": (["--help"], 0.5),
    "oretrace info": (["info"], 1.5),
}


@dataclass
class Result:
    """The runs of one command."""

    command: str
    runs: int
    median_s: float
    min_s: float
    max_s: float
    median_cpu_s: float
    target_s: float
    met: bool


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of ``python -m oretrace ARGS`` in a fresh process."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "oretrace", *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=dict(os.environ),
                          check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"oretrace {' '.join(args)} failed ({done.returncode}): "
                         f"{done.stderr.strip()[-500:]}")
    return wall, _children_cpu() - cpu


def measure(name: str, args: list[str], target: float, runs: int) -> Result:
    """Median over ``runs`` fresh processes, after one warm-up run (file system caches)."""
    run_once(args)
    walls, cpus = zip(*(run_once(args) for _ in range(runs)), strict=True)
    median = statistics.median(walls)
    return Result(command=name, runs=runs, median_s=median, min_s=min(walls),
                  max_s=max(walls), median_cpu_s=statistics.median(cpus), target_s=target,
                  met=median <= target)


def slowest_imports(args: list[str], n: int = 12) -> list[tuple[str, float]]:
    """The ``n`` top-level imports with the largest cumulative time (``-X importtime``)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "oretrace", *args],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env=dict(os.environ), check=False)
    found: list[tuple[str, float]] = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "cumulative" in line:
            continue
        depth = len(parts[2]) - len(parts[2].lstrip())
        if depth == 1:  # imported by the program itself, not by another module
            found.append((parts[2].strip(), int(parts[1]) / 1e6))
    return sorted(found, key=lambda item: -item[1])[:n]


def table(results: list[Result]) -> str:
    """The results as a fixed-width text table."""
    head = (f"{'command':<18} {'runs':>4} {'median s':>9} {'min s':>7} {'max s':>7} "
            f"{'cpu s':>7} {'target s':>9}  met")
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(f"{r.command:<18} {r.runs:>4} {r.median_s:>9.3f} {r.min_s:>7.3f} "
                     f"{r.max_s:>7.3f} {r.median_cpu_s:>7.3f} {r.target_s:>9.2f}  "
                     f"{'met' if r.met else 'not met'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table (and the slowest imports), write JSON if asked."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per command")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--imports", action="store_true",
                        help="list the slowest top-level imports of each command")
    opts = parser.parse_args(argv)
    if opts.runs < 1:
        parser.error("--runs must be at least 1")
    load_before = os.getloadavg()
    results = [measure(name, args, target, opts.runs)
               for name, (args, target) in TARGETS.items()]
    load_after = os.getloadavg()
    print(table(results))
    print(f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after, "
          f"on {os.cpu_count()} CPU(s); python {sys.version.split()[0]}")
    if opts.imports:
        for name, (args, _) in TARGETS.items():
            print(f"\nslowest imports of {name} (cumulative s, one run):")
            for module, seconds in slowest_imports(args):
                print(f"  {seconds:7.3f}  {module}")
    if opts.json is not None:
        opts.json.write_text(json.dumps({"results": [asdict(r) for r in results],
                                         "loadavg": [load_before, load_after]}, indent=1),
                             encoding="utf-8")
    return 0 if all(r.met for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
