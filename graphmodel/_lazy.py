"""Packages whose public names load on first use (PEP 562), so imports stay cheap.

``import oretrace`` and the command line must not pay for pandas, scipy or matplotlib
until a function that needs them is called. Each package ``__init__`` keeps a written map
from public name to defining module, imports the same names statically under
``TYPE_CHECKING`` for type checkers, and asks :func:`attach` for its ``__getattr__``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(package: str, homes: Mapping[str, str],
           submodules: frozenset[str] = frozenset()) -> tuple[Callable[[str], Any],
                                                               Callable[[], list[str]]]:
    """Return a ``__getattr__`` and a ``__dir__`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    homes : Mapping[str, str]
        Each public name and the module that defines it.
    submodules : frozenset[str]
        Subpackages reachable as attributes (``oretrace.queries``) without an import.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)`` to assign at the package's top level.

    Examples
    --------
    >>> getattr_, dir_ = attach("json", {"loads": "json"})
    >>> getattr_("loads")("[1]")
    [1]
    """
    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        try:
            home = homes[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(home), name)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
