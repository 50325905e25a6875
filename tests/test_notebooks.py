"""The five analyst notebooks run from a clean kernel without error, and keep their outputs.

Each notebook is executed with nbclient in a fresh ``python3`` kernel, from the
``notebooks/`` directory, exactly as committed; any cell error fails the test. The stored
copies must carry their outputs (so they read on a repository page) and stay small.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_explore_the_graph", "02_f35_exposure", "03_chokepoints",
         "04_scenarios_2025_2030", "05_bring_your_own_data"]

pytestmark = pytest.mark.notebooks


def test_the_five_notebooks_are_there() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_stored_notebook_keeps_its_outputs(name: str) -> None:
    """Every code cell was run, in order, without error; figures are there; under 1 MB."""
    path = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    outputs = [o for c in cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert path.stat().st_size < 1_000_000


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_from_a_clean_kernel(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
