"""An origin share is the same number on every run, and a share never reads above 1.

Python randomises the order of a set of strings per process (``PYTHONHASHSEED``). A roll-up
that iterated a facility's needs as a set summed the same terms in another order in each
process, so ``oretrace content F-35`` printed 1.0 in one run and 1.0000000000000002 in the
next: a share above 1, and output that changes without the data changing. Two processes
with different hash seeds must now print the same bytes, and no share exceeds 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

COMMANDS = [["content", "F-35", "--as-of", "2026-12-02"],
            ["content", "F-35", "--by", "value", "--as-of", "2026-12-02"]]


def run(args: list[str], seed: int) -> str:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    done = subprocess.run([sys.executable, "-P", "-m", "oretrace", "-f", "json", *args],
                          env=env, capture_output=True, text=True, timeout=300, check=True)
    return done.stdout


def shares(x: Any, path: str = "") -> list[tuple[str, float]]:
    """Every float field whose name says it is a share, with its path."""
    if isinstance(x, dict):
        return [s for k, v in x.items() for s in shares(v, f"{path}.{k}")]
    if isinstance(x, list):
        return [s for i, v in enumerate(x) for s in shares(v, f"{path}[{i}]")]
    leaf = path.rsplit(".", 1)[-1]
    return [(path, x)] if isinstance(x, float) and "share" in leaf else []


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_same_bytes_under_any_hash_seed_and_no_share_above_one(args: list[str]) -> None:
    outputs = {run(args, seed) for seed in (1, 2, 3)}
    assert len(outputs) == 1
    found = shares(json.loads(outputs.pop()))
    assert found, "the answer carries shares"
    assert [(p, v) for p, v in found if not 0.0 <= v <= 1.0] == []
