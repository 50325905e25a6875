"""Each package's ``__all__`` names exactly what it exports, and every name resolves."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["graphmodel", "loaders", "queries", "oretrace"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_matches_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = {n for n in vars(module) if not n.startswith("_")}
    submodules = {n for n in public if getattr(getattr(module, n), "__name__", "").startswith(
        f"{name}.") and type(getattr(module, n)).__name__ == "module"}
    assert set(module.__all__) == public - submodules
    for member in module.__all__:
        assert getattr(module, member) is not None
