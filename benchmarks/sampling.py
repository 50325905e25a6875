"""``python -m benchmarks.sampling``: 1,000 samples of the F-35's CN-origin value share.

Issue 13's target: 1,000 draws of every ranged figure of the F-35's value share on the
bundled data in at most 10 s. Measured: compiling the value model once
(:func:`oretrace.queries.intervals.value_model`) and evaluating all draws with numpy
(:func:`~oretrace.queries.sampling.sample_content`, the public call, which also computes the
exact interval), next to the plain reference: re-reading the share on an overlay of the graph
per draw (:func:`~oretrace.queries.intervals.with_figures` then
:func:`~oretrace.queries.content.origin_share`), timed on a few draws and extrapolated, and
checked to give the same values on those draws. Also timed: the exact bounds, the
tornado (:func:`oretrace.queries.sensitivity.content_sensitivity`) and 200 draws of the
F-35 chain's shortfalls when China fails (:func:`~oretrace.queries.sampling.sample_shortfall`).

    python -m benchmarks.sampling                 # 1,000 samples
    python -m benchmarks --sampling               # the same, from the benchmarks table
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

TARGET_S = 10.0


def run_sampling(args: argparse.Namespace) -> dict[str, Any]:
    """Time the sampled F-35 value share; check the fast path against overlays."""
    from oretrace.loaders import load_dataset
    from oretrace.queries.content import origin_share
    from oretrace.queries.intervals import value_model, with_figures
    from oretrace.queries.sampling import draw, sample_content, sample_shortfall
    from oretrace.queries.sensitivity import content_sensitivity

    G = load_dataset()
    day = args.as_of
    start = time.perf_counter()
    result = sample_content(G, "F-35", samples=args.samples, seed=args.seed, as_of=day)
    t_public = time.perf_counter() - start
    start = time.perf_counter()
    model = value_model(G, "F-35", as_of=day)
    t_compile = time.perf_counter() - start
    theta = draw(model.figures, args.samples, args.seed)
    start = time.perf_counter()
    fast = model.evaluate(theta)
    t_eval = time.perf_counter() - start
    start = time.perf_counter()
    low, high = model.bounds()
    t_bounds = time.perf_counter() - start
    start = time.perf_counter()
    content_sensitivity(G, "F-35", as_of=day)
    t_tornado = time.perf_counter() - start
    start = time.perf_counter()
    short = sample_shortfall(G, fail=["country:CN"], platform="F-35", as_of=day,
                             samples=args.shortfall_samples, seed=args.seed)
    t_short = time.perf_counter() - start
    varying = sum(1 for r in short if r.shortfall.p5 != r.shortfall.p95)
    k = min(args.reference, args.samples)
    start = time.perf_counter()
    slow = np.array([origin_share(
        with_figures(G, {f.key: theta[n, j] for j, f in enumerate(model.figures)}), "F-35",
        by="value", as_of=day).share for n in range(k)], dtype=float)
    t_ref = (time.perf_counter() - start) / k * args.samples
    agree = bool(np.allclose(fast[:k], slow, rtol=1e-9, atol=0.0))
    inside = bool(low - 1e-15 <= fast.min() and fast.max() <= high + 1e-15)
    d = result.distribution
    n = f"{args.samples:,}"
    rows = [
        {"measure": f"sample_content F-35 value share, {n} draws of {len(model.figures)} "
                    "figures (public call)",
         "seconds": t_public, "reference_seconds": t_ref,
         "speedup": t_ref / t_public if t_public else None,
         "target": f"≤ {TARGET_S:g} s", "met": t_public <= TARGET_S},
        {"measure": "  compile the value model once", "seconds": t_compile},
        {"measure": f"  evaluate {n} draws (numpy)", "seconds": t_eval},
        {"measure": "  exact bounds (one sweep each way)", "seconds": t_bounds},
        {"measure": "tornado: every figure low/high alone", "seconds": t_tornado},
        {"measure": f"sample_shortfall F-35 chain, CN fails, {args.shortfall_samples:,} draws "
                    f"({len(short)} products, {varying} varying: LPs per draw)",
         "seconds": t_short},
    ]
    summary = {"point": d.point, "p5": d.p5, "p50": d.p50, "p95": d.p95, "mean": d.mean,
               "low": low, "high": high}
    print("F-35 CN-origin value share: " + ", ".join(
        f"{key} {value * 100:.4g} %" for key, value in summary.items() if value is not None))
    return {"rows": rows, "agree": {f"overlay per draw ({k} draws)": agree,
                                    "draws inside the exact bounds": inside},
            "summary": summary}


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sampling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2026-11-24", help="date of the queries")
    parser.add_argument("--shortfall-samples", type=int, default=200,
                        help="draws of the F-35 chain's shortfalls (LPs per draw)")
    parser.add_argument("--reference", type=int, default=20,
                        help="draws re-read on an overlay (the plain reference, extrapolated)")
    parser.add_argument("--json", default="artifacts/benchmark-sampling.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.__main__ import _print_table

    args = _args(argv)
    result = run_sampling(args)
    print()
    _print_table(result["rows"])
    print()
    print("checks: " + ", ".join(f"{k} {'yes' if v else 'NO'}"
                                 for k, v in result["agree"].items()))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    met = [r["met"] for r in result["rows"] if r.get("met") is not None]
    return 0 if all(met) and all(result["agree"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
