"""The packages stay clean under ruff and mypy --strict, as configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", ".", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def installed_layout(tmp_path: Path) -> Path:
    """A tree of links laid out as ``pip install`` lays the package out (``oretrace/graphmodel``
    ...), since the folders stay at the repository root (setuptools ``package-dir``)."""
    package = tmp_path / "tree" / "oretrace"
    package.mkdir(parents=True)
    for entry in (ROOT / "oretrace").iterdir():
        (package / entry.name).symlink_to(entry)
    for sub in ("graphmodel", "loaders", "queries"):
        (package / sub).symlink_to(ROOT / sub)
    return package.parent


def test_mypy_strict_finds_nothing(tmp_path: Path) -> None:
    tree = installed_layout(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "mypy-cache"), "-p", "oretrace"],
        cwd=tree, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
