"""Every example in a docstring of the installed package runs and shows what it says.

The packages install under the one import name ``oretrace`` from folders at the repository
root, so pytest's ``--doctest-modules`` (which imports files by path) would load them under
their folder names; this module collects the examples from the imported modules instead.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import networkx as nx
import pytest

import oretrace


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
    for sub in ("graphmodel.timeslice", "loaders.files", "queries.exposure", "cli.graph"):
        assert f"oretrace.{sub}" in MODULES
    assert oretrace.__name__ in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    for test in finder.find(module, name, globs={"nx": nx, **vars(module)}):
        if test.examples and test.name.startswith(name):
            runner.run(test, out=lambda s: None)
    result = runner.summarize(verbose=False)
    if result.failed:
        report: list[str] = []
        runner2 = doctest.DocTestRunner(
            optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        for test in finder.find(module, name, globs={"nx": nx, **vars(module)}):
            if test.examples and test.name.startswith(name):
                runner2.run(test, out=report.append)
        pytest.fail("".join(report), pytrace=False)
