"""Packages whose public names load on first use (PEP 562), so imports stay cheap.

``import oretrace`` and the command line must not pay for pandas, scipy or matplotlib
until a function that needs them is called. Each subpackage ``__init__`` writes its public
names once, as imports under ``if TYPE_CHECKING:`` (``from m import (a as a, ...)``: what type
checkers and IDEs read), and :func:`attach_imports` reads that block from the package's
source to give the package its ``__getattr__``, ``__dir__`` and ``__all__`` (the approach of
scientific-python's ``lazy_loader``, SPEC 1, which reads a ``.pyi`` stub). The front door
(:mod:`oretrace`) builds its map from its subpackages' ``__all__`` and asks :func:`attach`.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["attach", "attach_imports", "imported_names"]


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


def imported_names(source: str, package: str) -> dict[str, str]:
    """Return each name the ``if TYPE_CHECKING:`` blocks of ``source`` import from ``package``'s
    own modules, and its module.

    Imports from elsewhere (``typing``, another package) are not the package's names and are
    left out, as are relative imports and everything outside those blocks.

    Parameters
    ----------
    source : str
        A package ``__init__``'s source code.
    package : str
        The package's name (``oretrace.loaders``).

    Returns
    -------
    dict of str to str
        Each name (as bound: ``b`` of ``from m import a as b``), in source order, and the
        module it is imported from.

    Examples
    --------
    >>> imported_names("if TYPE_CHECKING:\\n    from json.decoder import (JSONDecoder as "
    ...                "JSONDecoder, scanstring)\\n    from typing import Any\\n", "json")
    {'JSONDecoder': 'json.decoder', 'scanstring': 'json.decoder'}
    """
    homes: dict[str, str] = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module and (
                    stmt.module == package or stmt.module.startswith(package + ".")):
                homes |= {alias.asname or alias.name: stmt.module for alias in stmt.names}
    return homes


def attach_imports(package: str, init_file: str) -> tuple[Callable[[str], Any],
                                                          Callable[[], list[str]], list[str]]:
    """Return a ``__getattr__``, a ``__dir__`` and ``__all__`` for ``package`` from the names
    its ``__init__`` imports under ``if TYPE_CHECKING:`` (:func:`imported_names`).

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    init_file : str
        The package's ``__file__`` (its source is read once, at import).

    Returns
    -------
    tuple
        ``(__getattr__, __dir__, __all__)`` to assign at the package's top level; ``__all__``
        is the imported names, sorted.

    Examples
    --------
    >>> import oretrace.loaders as loaders
    >>> _, _, names = attach_imports(loaders.__name__, loaders.__file__)
    >>> "load_dataset" in names, names == loaders.__all__
    (True, True)
    """
    homes = imported_names(Path(init_file).read_text(encoding="utf-8"), package)
    getattr_, dir_ = attach(package, homes)
    return getattr_, dir_, sorted(homes)
