"""Loaders: dataset files (and, opt-in, a Neo4j database) into a validated graph.

Public names load on first use (:mod:`oretrace.graphmodel._lazy`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oretrace.graphmodel._lazy import attach

#: Each public name and the module that defines it.
_HOMES = {
    "OPTIONAL_TABLES": "oretrace.loaders.files",
    "REQUIRED_COLUMNS": "oretrace.loaders.files",
    "bundled_path": "oretrace.loaders.files",
    "load_dataset": "oretrace.loaders.files",
    "read_records": "oretrace.loaders.files",
    "validate_dataset": "oretrace.loaders.files",
}

__all__ = [
    "OPTIONAL_TABLES",
    "REQUIRED_COLUMNS",
    "bundled_path",
    "load_dataset",
    "read_records",
    "validate_dataset",
]

if TYPE_CHECKING:  # the same names, statically, for type checkers
    from oretrace.loaders.files import (
        OPTIONAL_TABLES,
        REQUIRED_COLUMNS,
        bundled_path,
        load_dataset,
        read_records,
        validate_dataset,
    )

__getattr__, __dir__ = attach(__name__, _HOMES, frozenset())
