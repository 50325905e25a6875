"""``python -m benchmarks.deciding``: deciding links of every platform and question, bundled data.

Times :func:`oretrace.queries.deciding.find_deciding_links` for every platform of the bundled
dataset and each question (supplied, exposed through ``any``, compliance), links below
``reported``, against a brute-force baseline measured in the same run: remove one live link
below ``reported`` from a copy of the graph and ask the ordinary query again (``simulate``
and ``find_exposed`` answer every platform per removal; ``check_compliance`` one platform per
call, so its baseline is timed on a sample of removals and extrapolated). The supplied and
exposed answers are checked against the baseline's. Target (issue 13): all platforms and
questions in at most 2 s.

Each question is timed on the wall clock and in CPU seconds of this process (on a machine
shared with other jobs the wall clock also counts their time); ``--repeat N`` keeps the best
of N runs; ``--no-baseline`` times oretrace alone.

    python -m benchmarks.deciding
    python -m benchmarks.deciding --as-of 2026-11-24 --sample 6 --json out.json
    python -m benchmarks.deciding --no-baseline --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from oretrace.graphmodel import CONFIDENCE_ORDER, platforms
from oretrace.loaders import load_dataset
from oretrace.queries.compliance import check_compliance
from oretrace.queries.deciding import QUESTIONS, find_deciding_links, live_links, without_link
from oretrace.queries.exposure import find_exposed
from oretrace.queries.feasibility import simulate

TARGET_S = 2.0


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _timed(G: Any, plats: list[str], q: str, as_of: dt.date, repeat: int
           ) -> tuple[dict[str, set[tuple[str, str, str]]], float, float]:
    """The deciding links of every platform for ``q``, best wall and CPU seconds."""
    wall, cpu = float("inf"), float("inf")
    found: dict[str, set[tuple[str, str, str]]] = {}
    for _ in range(max(1, repeat)):
        start, start_cpu = time.perf_counter(), time.process_time()
        found = {p: {(d.supplier, d.buyer, d.product) for d in find_deciding_links(
            G, p, question=q, as_of=as_of).links} for p in plats}  # type: ignore[arg-type]
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return found, wall, cpu


def run(as_of: dt.date, sample: int, seed: int, *, repeat: int = 1, baseline: bool = True
        ) -> dict[str, Any]:
    G = load_dataset()
    plats = platforms(G)
    links = sorted(k for k, (c, _) in live_links(G, as_of=as_of).items()
                   if CONFIDENCE_ORDER[c] < CONFIDENCE_ORDER["reported"])
    found: dict[str, dict[str, set[tuple[str, str, str]]]] = {}
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for q in QUESTIONS:
        found[q], seconds[q], cpu[q] = _timed(G, plats, q, as_of, repeat)
    total, total_cpu = sum(seconds.values()), sum(cpu.values())
    base: dict[str, float] = {}
    agree: dict[str, bool] = {}
    if baseline:
        _baseline(G, plats, links, as_of, found, sample, seed, base, agree)
    rows = [{"question": q, "seconds": seconds[q], "cpu_seconds": cpu[q],
             "baseline_seconds": base.get(q), "speedup": base[q] / seconds[q] if q in base
             else None, "agree": agree.get(q),
             "deciding_links": sum(len(v) for v in found[q].values())} for q in QUESTIONS]
    return {"as_of": as_of.isoformat(), "platforms": len(plats), "links_below_reported":
            len(links), "rows": rows, "total_seconds": total, "total_cpu_seconds": total_cpu,
            "target_seconds": TARGET_S, "met": total <= TARGET_S,
            "met_cpu": total_cpu <= TARGET_S, "repeat": repeat,
            "compliance_baseline_sample": min(sample, len(links)) if baseline else 0}


def _baseline(G: Any, plats: list[str], links: list[tuple[str, str, str]], as_of: dt.date,
              found: dict[str, dict[str, set[tuple[str, str, str]]]], sample: int, seed: int,
              base: dict[str, float], agree: dict[str, bool]) -> None:
    """Time the brute force of each question (module docstring) into ``base``; whether it
    agrees with ``found`` into ``agree``."""
    start = time.perf_counter()
    supplied = set(simulate(G, as_of=as_of).supplied)
    brute: dict[str, set[tuple[str, str, str]]] = {p: set() for p in plats}
    for link in links:
        for p in supplied ^ set(simulate(without_link(G, link, as_of=as_of),
                                         as_of=as_of).supplied):
            brute[p].add(link)
    base["supplied"] = time.perf_counter() - start
    agree["supplied"] = brute == found["supplied"]

    start = time.perf_counter()
    exposed = {e.platform for e in find_exposed(G, "any", as_of=as_of)}
    brute = {p: set() for p in plats}
    for link in links:
        now = {e.platform for e in find_exposed(without_link(G, link, as_of=as_of), "any",
                                                 as_of=as_of)}
        for p in exposed ^ now:
            brute[p].add(link)
    base["exposed"] = time.perf_counter() - start
    agree["exposed"] = brute == found["exposed"]

    drawn = random.Random(seed).sample(links, k=min(sample, len(links)))
    start = time.perf_counter()
    for link in drawn:
        check_compliance(without_link(G, link, as_of=as_of), plats[0], as_of=as_of)
    per_call = (time.perf_counter() - start) / max(1, len(drawn))
    base["compliance"] = per_call * len(links) * len(plats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.deciding", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", default="2026-12-03", help="date of the queries")
    parser.add_argument("--sample", type=int, default=6,
                        help="removals timed for the compliance baseline (extrapolated)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1,
                        help="time each question this many times, keep the best")
    parser.add_argument("--no-baseline", action="store_true",
                        help="time oretrace alone (no brute-force baseline)")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    result = run(dt.date.fromisoformat(args.as_of), args.sample, args.seed,
                 repeat=args.repeat, baseline=not args.no_baseline)
    print(f"bundled data as of {result['as_of']}: {result['platforms']} platforms, "
          f"{result['links_below_reported']} live links below reported")
    print(f"{'question':<12}{'deciding':>10}{'oretrace':>12}{'cpu':>10}{'brute force':>16}"
          f"{'speed-up':>10}{'agree':>7}")
    for r in result["rows"]:
        shown = "-" if r["baseline_seconds"] is None else _fmt(r["baseline_seconds"]) + (
            "*" if r["question"] == "compliance" else "")
        speedup = "-" if r["speedup"] is None else f"{r['speedup']:.1f}×"
        agree = {True: "yes", False: "NO", None: "-"}[r["agree"]]
        print(f"{r['question']:<12}{r['deciding_links']:>10}{_fmt(r['seconds']):>12}"
              f"{_fmt(r['cpu_seconds']):>10}{shown:>16}{speedup:>10}{agree:>7}")
    print(f"total {_fmt(result['total_seconds'])}, cpu {_fmt(result['total_cpu_seconds'])} "
          f"(target ≤ {TARGET_S:.0f} s): {'met' if result['met'] else 'NOT met'} on the wall "
          f"clock, {'met' if result['met_cpu'] else 'NOT met'} in CPU time")
    if result["compliance_baseline_sample"]:
        print(f"* extrapolated from {result['compliance_baseline_sample']} timed removals "
              "(check_compliance on the whole graph, per platform)")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if result["met"] and all(r["agree"] is not False for r in result["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
