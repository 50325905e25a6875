"""Loaders: dataset files (and, opt-in, a Neo4j database) into a validated graph."""

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

__all__ = sorted(_HOMES)

if TYPE_CHECKING:  # the same names, statically, for type checkers (re-exported)
    from oretrace.loaders.files import OPTIONAL_TABLES as OPTIONAL_TABLES
    from oretrace.loaders.files import REQUIRED_COLUMNS as REQUIRED_COLUMNS
    from oretrace.loaders.files import bundled_path as bundled_path
    from oretrace.loaders.files import load_dataset as load_dataset
    from oretrace.loaders.files import read_records as read_records
    from oretrace.loaders.files import validate_dataset as validate_dataset

__getattr__, __dir__ = attach(__name__, _HOMES, frozenset())
