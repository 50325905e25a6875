"""The command line imports only what a command needs (issue 10, item 3).

``oretrace --help`` must not pay for pandas, networkx, scipy, matplotlib, pydantic or the
query modules; ``oretrace.cli._output`` must not import pandas. Checked by listing
``sys.modules`` in a fresh interpreter, not by timing (speed is measured by
``python -m benchmarks.startup``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import oretrace

#: Libraries the issue names as heavy, and numpy, which each of them pulls in.
HEAVY = ("pandas", "networkx", "scipy", "matplotlib", "pydantic", "numpy", "yaml", "neo4j")
#: The only oretrace modules below graphmodel and queries that help may read: the tiny
#: vocabulary and error modules, the lazy-import helper, the keyword groups (the scenario's
#: options, standard library only), and the queries' help words.
LIGHT = {"oretrace.graphmodel", "oretrace.graphmodel._lazy", "oretrace.graphmodel.errors",
         "oretrace.graphmodel._keywords", "oretrace.graphmodel.vocab", "oretrace.queries",
         "oretrace.queries._vocab"}

PROBE = """
import json, sys
{setup}
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
ours = sorted(m for m in sys.modules
              if m.startswith(("oretrace.graphmodel", "oretrace.queries", "oretrace.loaders")))
print(json.dumps({{"heavy": sorted({{m.split(".")[0] for m in heavy}}), "ours": ours}}))
"""

HELP = """
from oretrace.cli import make_app
for args in {argv!r}:
    try:
        make_app()(args=args)
    except SystemExit:
        pass
"""


def modules_after(setup: str) -> dict[str, list[str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(oretrace.__file__).parents[1]), env.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup, heavy=HEAVY)],
                            capture_output=True, text=True, env=env, timeout=120, check=True)
    found: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize("argv", [
    [["--help"]],
    [["chokepoints", "--help"], ["scenario", "--help"], ["content", "--help"],
     ["neo4j", "push", "--help"], ["plot", "--help"], ["report", "--help"]],
], ids=["oretrace --help", "command help"])
def test_help_imports_nothing_heavy(argv: list[list[str]]) -> None:
    """A command's own help parses its parameters, which typer (0.29: ``typer._adapters``)
    does through pydantic: that import is typer's, and the only one allowed."""
    found = modules_after(HELP.format(argv=argv))
    typers = {"pydantic"} if argv != [["--help"]] else set()
    assert set(found["heavy"]) <= typers
    assert set(found["ours"]) <= LIGHT, sorted(set(found["ours"]) - LIGHT)


def test_output_module_does_not_import_pandas() -> None:
    found = modules_after("import oretrace.cli._output")
    assert "pandas" not in found["heavy"]
    assert found["heavy"] == []


def test_policy_words_are_defined_once() -> None:
    """The help reads levels and policy summaries from queries._vocab; the policies the
    queries apply are the same names, with the same summaries."""
    from oretrace.queries import _vocab
    from oretrace.queries.feasibility import LEVELS, POLICIES

    assert LEVELS is _vocab.LEVELS
    assert {n: p.summary for n, p in POLICIES.items()} == _vocab.POLICY_SUMMARIES
