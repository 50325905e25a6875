"""Shared fixtures: the bundled graph (loaded once), the hand-drawn mini dataset, doctest names."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest

from loaders import load_dataset

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini"


@pytest.fixture(scope="session")
def bundled() -> nx.MultiDiGraph:
    """The bundled dataset's graph (queries never mutate it, so one load serves all tests)."""
    return load_dataset()


@pytest.fixture
def mini_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy the mini dataset to a temporary directory, optionally editing one file's lines.

    ``mini_copy("facilities.csv", lambda lines: ...)`` returns the new directory; the
    function gets the file's lines (without newlines) and returns the new lines.
    """
    def make(file: str | None = None,
             edit: Callable[[list[str]], list[str]] | None = None) -> Path:
        target = tmp_path / "dataset"
        if not target.exists():
            shutil.copytree(MINI, target)
        if file is not None and edit is not None:
            path = target / file
            lines = path.read_text(encoding="utf-8").splitlines()
            path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
        return target
    return make


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace: dict[str, object]) -> None:
    doctest_namespace["nx"] = nx
