"""Compare the CLI's JSON output on the bundled data between two revisions, byte for byte.

    python tools/compare_cli.py REV_BEFORE [REV_AFTER]    # REV_AFTER default: the work tree

Each revision is checked out into a temporary folder and run as ``python -m oretrace`` with
its own code first on the path (either layout: top-level packages before the one import
name, ``oretrace.*`` after). Every command below runs with ``--format json`` and fixed dates,
so a refactor that must not change behaviour shows no difference. Exit status 1 and a
unified diff for each command whose output differs.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS: list[list[str]] = [
    ["info"], ["platforms"], ["show", "F-35"], ["rules", "--as-of", "2025-12-15"],
    ["exposed", "--as-of", "2022-08-19"], ["exposed", "--through", "cn-technology"],
    ["exposed", "--through", "any", "--as-of", "2026-12-02", "-k", "2"],
    ["exposed", "--min-confidence", "reported", "--as-of", "2022-08-19"],
    ["where-used", "mp-mountain-pass", "--as-of", "2026-12-02"],
    ["trace", "F-35", "--as-of", "2026-12-02"],
    ["content", "F-35", "--as-of", "2026-12-02"],
    ["content", "F-35", "--by", "value", "--as-of", "2026-12-02"],
    ["content", "Tomahawk", "--as-of", "2026-12-02"],
    ["compliance", "F-35", "--as-of", "2025-12-15"],
    ["compliance", "F-35", "--as-of", "2026-12-15"],
    ["chokepoints", "--as-of", "2026-12-02"],
    ["chokepoints", "--level", "country", "--as-of", "2026-12-02"],
    ["cut", "Virginia", "--as-of", "2026-12-02"],
    ["scenario", "--fail", "country:CN", "--as-of", "2026-12-02"],
    ["scenario", "--policy", "cn-denies-military", "--as-of", "2026-12-15"],
    ["concentration", "--as-of", "2026-12-02"],
    ["diff", "--as-of", "2025-04-01", "--vs", "2026-12-02"],
]


def checkout(rev: str, into: Path) -> Path:
    subprocess.run(["git", "worktree", "add", "-q", "--detach", str(into), rev], cwd=ROOT,
                   check=True)
    return into


def python_path(tree: Path, farm: Path) -> str:
    """A folder laid out as installed: ``oretrace/`` with the three packages inside it, and
    the three packages at the top too (the layout before the one import name)."""
    package = farm / "oretrace"
    package.mkdir(parents=True)
    for entry in (tree / "oretrace").iterdir():
        (package / entry.name).symlink_to(entry)
    for sub in ("graphmodel", "loaders", "queries"):
        if not (package / sub).exists():
            (package / sub).symlink_to(tree / sub)
        (farm / sub).symlink_to(tree / sub)
    return str(farm)


def outputs(tree: Path, farm: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": python_path(tree, farm), "PYTHONSAFEPATH": "1",
           "COLUMNS": "100"}
    found = {}
    for args in COMMANDS:
        done = subprocess.run([sys.executable, "-m", "oretrace", "--format", "json", *args],
                              cwd=farm, env=env, capture_output=True, text=True, timeout=600)
        found[" ".join(args)] = f"exit {done.returncode}\n{done.stdout}{done.stderr}"
    return found


def main(argv: list[str]) -> int:
    if argv in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if not argv or len(argv) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    for rev in argv:
        known = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                               cwd=ROOT, capture_output=True)
        if known.returncode:
            print(f"compare_cli: {rev!r} names no commit of this repository", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        trees = [checkout(argv[0], base / "before")]
        trees.append(checkout(argv[1], base / "after") if len(argv) == 2 else ROOT)
        try:
            before, after = (outputs(t, base / f"farm{i}") for i, t in enumerate(trees))
        finally:
            for t in trees:
                if t != ROOT:
                    subprocess.run(["git", "worktree", "remove", "--force", str(t)], cwd=ROOT)
    differ = [c for c in before if before[c] != after[c]]
    for command in differ:
        sys.stdout.writelines(difflib.unified_diff(
            before[command].splitlines(True), after[command].splitlines(True),
            f"{argv[0]}: {command}", f"after: {command}"))
    print(f"{len(before) - len(differ)} of {len(before)} commands give identical output")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
