"""Loaders: dataset files (and, opt-in, a Neo4j database) into a validated graph."""

from loaders.files import (
    OPTIONAL_TABLES,
    REQUIRED_COLUMNS,
    bundled_path,
    load_dataset,
    read_records,
    validate_dataset,
)

__all__ = [
    "OPTIONAL_TABLES",
    "REQUIRED_COLUMNS",
    "bundled_path",
    "load_dataset",
    "read_records",
    "validate_dataset",
]
