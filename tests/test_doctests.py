"""Every example in a docstring of the installed package runs and shows what it says.

The packages install under the one import name ``oretrace`` from folders at the repository
root, so pytest's ``--doctest-modules`` (which imports files by path) would load them under
their folder names; this module collects the examples from the imported modules instead.

Examples build their graph inline or load one documented fixture, never a path relative to
the working directory: ``MINI``, the hand-drawn mini dataset of ``tests/data/mini`` (a
Chinese and a US mine and separator, a Japanese magnet plant, a US actuator plant and a
missile assembly), ``DATA``, the folder of the hand-drawn datasets, and ``nx``, networkx.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import networkx as nx
import pytest

import oretrace

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini"


def _modules() -> list[str]:
    names = ["oretrace"]
    for sub in ("graphmodel", "loaders", "queries", "cli"):
        package = importlib.import_module(f"oretrace.{sub}")
        names.append(package.__name__)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    return sorted(names)


MODULES = _modules()


def test_every_subpackage_is_walked() -> None:
    """A module added under any of the four folders is found (one from each, at least)."""
    for name in ("oretrace.graphmodel.timeslice", "oretrace.loaders.files",
                 "oretrace.queries.exposure", "oretrace.cli.graph"):
        assert name in MODULES
    assert oretrace.__name__ in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    globs = {"nx": nx, "MINI": MINI, "DATA": DATA, **vars(module)}
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    report: list[str] = []
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name, globs=globs):
        if test.examples and test.name.startswith(name):  # not the ones it imports
            runner.run(test, out=report.append)
    if runner.summarize(verbose=False).failed:
        pytest.fail("".join(report), pytrace=False)
