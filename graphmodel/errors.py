"""Errors raised by oretrace.

Every error derives from one base, so ``except OretraceError`` catches them all::

    OretraceError
    ├── LoadError             a dataset or graph could not be read at all
    │   └── DatasetError      rows are invalid; ``.problems`` lists every one
    ├── UnknownNodeError      an id names no node (with close matches)
    ├── QueryError            a query was asked with options it cannot answer
    │   ├── SolverError       a linear programme failed (status and message kept)
    │   └── OverrideError     a what-if override (--set/--drop) is malformed or invalid
    └── BackendError          a storage backend (Neo4j) failed; message says the fix
        ├── BackendUnavailable  the server cannot be reached
        └── BackendAuthError    the server refused the credentials
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "BackendAuthError",
    "BackendError",
    "BackendUnavailable",
    "DatasetError",
    "LoadError",
    "OretraceError",
    "OverrideError",
    "Problem",
    "QueryError",
    "SolverError",
    "UnknownNodeError",
]


class OretraceError(Exception):
    """Base of every error oretrace raises on purpose."""


class LoadError(OretraceError):
    """Raised when a dataset, file or graph cannot be read at all."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a dataset, located as ``file:line:column``.

    ``line`` and ``column`` are 1-based; 0 means "the whole file" or "the whole row".
    ``severity`` is ``"error"`` (nothing loads) or ``"warning"`` (loads, but says so).
    """

    file: str
    line: int
    column: int
    reason: str
    severity: str = "error"

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else "warning: "
        return f"{self.file}:{self.line}:{self.column}: {tag}{self.reason}"


class DatasetError(LoadError):
    """Raised when any row of a dataset is invalid; nothing is loaded.

    Parameters
    ----------
    problems : sequence of Problem
        Every error and warning found, in file order; kept as ``problems``. The message
        lists the first 50 errors.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        shown = "\n".join(str(p) for p in errors[:50])
        more = f"\n... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{len(errors)} error(s) in the dataset:\n{shown}{more}")


class UnknownNodeError(OretraceError, KeyError):
    """Raised when an id names no node of the expected kind; suggests close matches.

    Parameters
    ----------
    node : str
        The id asked for; kept as ``node``.
    known : iterable of str
        The ids of the expected kind; the (up to three) closest to ``node`` are kept as
        ``suggestions`` and named in the message.
    kind : str
        What was expected (``node``, ``product``, ``rule`` …), for the message.
    """

    def __init__(self, node: str, known: Iterable[str] = (), kind: str = "node") -> None:
        self.node = node
        self.suggestions = difflib.get_close_matches(node, list(known), n=3, cutoff=0.5)
        hint = (f"; did you mean {', '.join(map(repr, self.suggestions))}?"
                if self.suggestions else "")
        self.message = f"no {kind} with id {node!r}{hint}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class QueryError(OretraceError, ValueError):
    """Raised when a query is asked with options it cannot answer (bad level, date, predicate)."""


class SolverError(QueryError):
    """Raised when a linear or integer programme fails other than by being infeasible.

    Numerical trouble or an unbounded relaxation, say; the solver's status and message are
    kept.

    Parameters
    ----------
    solver : str
        The solver, e.g. ``"linprog (HiGHS)"``; kept as ``solver``.
    status : int
        The solver's status code; kept as ``status``.
    message : str
        The solver's message; kept as ``message``.
    """

    def __init__(self, solver: str, status: int, message: str) -> None:
        self.solver, self.status, self.message = solver, status, message
        super().__init__(f"{solver} failed (status {status}): {message}")


class OverrideError(QueryError):
    """Raised when a what-if override (``with_overrides``, ``--set``/``--drop``) is invalid.

    It is malformed, names no node, field or link, or leaves a record its model rejects; the
    message is one line naming the override.
    """


class BackendError(OretraceError):
    """Raised when a storage backend fails; the message says how to fix it."""


class BackendUnavailable(BackendError):
    """Raised when the Neo4j server cannot be reached at the configured URI."""


class BackendAuthError(BackendError):
    """Raised when the Neo4j server refuses the configured user name or password."""
