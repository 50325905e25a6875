"""``python -m benchmarks.windows``: validation time of many date windows, at n and 10 n.

One supply link of the hand-drawn mini dataset (``tests/data/mini``: cn-mine ships ore to
cn-sep) is written as ``n`` consecutive one-day windows, each at share 1: valid, but both
the share-sum check (``n`` instants for one buyer and product) and the windows-apart check
(``n`` windows of one link) see all of them. The reliability probe (L03) measured the
date-by-date checks at 38 s for 10,000 windows, quadratic. Both readers are timed at ``n``
and ``10 n``; n log n work gives a ratio near 10, quadratic work near 100.

    python -m benchmarks.windows              # n = 2,000 and 20,000
    python -m benchmarks.windows --n 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from oretrace.graphmodel import Problem
from oretrace.loaders import validate_dataset
from oretrace.loaders.fast import validate_dataset_fast

MINI = Path(__file__).parents[1] / "tests" / "data" / "mini"


def _dataset(root: Path, n: int) -> Path:
    path = root / f"windows-{n}"
    shutil.copytree(MINI, path)
    lines = (path / "supplies.csv").read_text(encoding="utf-8").splitlines()
    day = dt.date(2000, 1, 1)
    rows = [f"cn-mine,cn-sep,ore,1,{day + dt.timedelta(i)},{day + dt.timedelta(i + 1)},"
            "hand,illustrative" for i in range(n)]
    kept = [line for line in lines if not line.startswith("cn-mine,cn-sep,")]
    (path / "supplies.csv").write_text("\n".join(kept + rows) + "\n", encoding="utf-8")
    return path


def _time(check: Callable[[Path], list[Problem]], path: Path) -> float:
    started = time.perf_counter()
    problems = check(path)
    elapsed = time.perf_counter() - started
    errors = [p for p in problems if p.severity == "error"]
    assert not errors, errors[:3]
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="windows at the smaller size")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        small, large = _dataset(Path(tmp), args.n), _dataset(Path(tmp), 10 * args.n)
        print(f"{'reader':<12}{'n':>10}{'seconds':>10}{'10 n':>10}{'seconds':>10}{'ratio':>8}")
        readers = (("row by row", validate_dataset), ("large-table", validate_dataset_fast))
        for name, check in readers:
            a, b = _time(check, small), _time(check, large)
            print(f"{name:<12}{args.n:>10,}{a:>10.2f}{10 * args.n:>10,}{b:>10.2f}{b / a:>8.1f}")


if __name__ == "__main__":
    main()
