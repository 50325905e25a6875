"""Installed with ``pip install .``, everything lives under the one import name ``oretrace``.

The package is installed (without its dependencies, which the machine has) into a fresh
target folder, and a fresh interpreter imports it from a folder that holds the
clone under the name ``oretrace`` — where a namespace package named after the clone once
shadowed the real one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    # build from a copy of the working tree (tracked and new files, as they are): an in-tree
    # build would leave build/ and *.egg-info in the clone
    files = subprocess.run(["git", "ls-files", "-c", "-o", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        source = ROOT / name
        if source.is_file() and not name.startswith(("tests/", "notebooks/", "tools/")):
            (build / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            (build / "src" / name).write_bytes(source.read_bytes())
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--disable-pip-version-check", "--target",
                    str(target), str(build / "src")], check=True, timeout=300,
                   capture_output=True)
    return target


def run_in(folder: Path, site: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-c", code], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


def test_only_oretrace_is_installed(installed: Path) -> None:
    tops = {p.name for p in installed.iterdir() if not p.name.endswith((".dist-info", "bin"))}
    assert tops == {"oretrace"}
    assert (installed / "oretrace" / "loaders" / "bundled" / "rules.yaml").is_file()


@pytest.mark.parametrize("name", ["queries", "loaders", "graphmodel"])
def test_generic_names_are_not_importable(installed: Path, tmp_path: Path, name: str) -> None:
    result = run_in(tmp_path, installed, f"import {name}")
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr


def test_front_door_from_the_clones_parent(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "oretrace").symlink_to(ROOT)  # the clone, named as the project
    result = run_in(tmp_path, installed,
                    "import oretrace; oretrace.find_exposed; print(oretrace.__file__)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(installed))
