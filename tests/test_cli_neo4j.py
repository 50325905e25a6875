"""The command line against a real Neo4j server: ``--neo4j-dataset`` picks what is read.

Reliability report N12: ``--backend neo4j`` always read the dataset named ``oretrace``. Here
tests/data/mini is pushed under another name; reading that name through the server gives
the answers the files give (the same graph), for a pulled command (``info``) and a native
one (``exposed``), and ``neo4j status`` reports the name and a version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from oretrace.loaders import load_dataset
from typer.testing import CliRunner

from oretrace.cli import make_app

pytestmark = pytest.mark.neo4j

MINI = str(Path(__file__).parent / "data" / "mini")
runner = CliRunner()
app = make_app()


def run_json(*args: str) -> Any:
    result = runner.invoke(app, ["-f", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_neo4j_dataset_reads_the_named_dataset(neo4j_server: Any) -> None:
    server = ["--neo4j-uri", neo4j_server.uri, "--neo4j-user", neo4j_server.user,
              "--neo4j-password", neo4j_server.password]
    pushed = run_json("--data", MINI, *server, "--neo4j-dataset", "cli-mini", "neo4j", "push")
    assert (pushed["dataset"], pushed["nodes"]) == ("cli-mini", len(load_dataset(MINI)))
    status = run_json(*server, "--neo4j-dataset", "cli-mini", "neo4j", "status")
    assert (status["dataset"], status["current_version"]) == ("cli-mini", pushed["version"])
    neo = [*server, "--backend", "neo4j", "--neo4j-dataset", "cli-mini"]
    assert run_json(*neo, "info") == run_json("--data", MINI, "info")
    assert run_json(*neo, "exposed", "--as-of", "2026-06-01") == \
        run_json("--data", MINI, "exposed", "--as-of", "2026-06-01")
