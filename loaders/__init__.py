"""Loaders: dataset files (and, opt-in, a Neo4j database) into a validated graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oretrace.graphmodel._lazy import attach_imports

# The public names, written once: type checkers read these imports, and attach_imports
# reads them from this file to load each name on first use.
if TYPE_CHECKING:
    from oretrace.loaders.files import (
        OPTIONAL_TABLES as OPTIONAL_TABLES,
        REQUIRED_COLUMNS as REQUIRED_COLUMNS,
        bundled_path as bundled_path,
        load_dataset as load_dataset,
        read_records as read_records,
        validate_dataset as validate_dataset,
    )

__getattr__, __dir__, __all__ = attach_imports(__name__, __file__)
