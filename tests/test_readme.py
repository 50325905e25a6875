"""The README's Python snippet runs as written, against the installed front door."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_a_python_snippet() -> None:
    assert any("import oretrace" in block for block in python_blocks())


def test_readme_python_snippet_runs() -> None:
    for block in python_blocks():
        namespace: dict[str, object] = {}
        exec(compile(block, str(README), "exec"), namespace)
        assert "G" in namespace
