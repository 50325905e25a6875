"""Pydantic models of every record kind: one validator per invariant, named as its sentence.

The models accept either Python values or the raw text of a CSV cell (lists separated by
``;``, element fractions as ``Nd=0.267;Dy=0.04``, empty cell = unknown), so the file loader
and a notebook user build records the same way.

Examples
--------
>>> Product.model_validate({"id": "ndfeb", "name": "NdFeB magnet", "category": "magnet",
...     "elements": "Nd=0.267;Dy=0.04", "unit": "kg", "unit_price_usd": "60",
...     "sources": "FM-Lynas", "confidence": "reported"}).elements
{'Nd': 0.267, 'Dy': 0.04}
"""

from __future__ import annotations

from typing import Any

from oretrace.graphmodel._schema_cells import (
    ELEMENTS as ELEMENTS,
    parse_date,
    parse_id,
    parse_id_list,
    parse_number,
)
from oretrace.graphmodel._schema_records import (
    BomLine,
    Company,
    Facility,
    Ownership,
    Product,
    Record,
    Source,
    Supply,
    Technology,
)
from oretrace.graphmodel.rules import Clause, Rule, RuleScope, Suspension, Trigger

__all__ = [
    "BomLine",
    "Clause",
    "Company",
    "Facility",
    "Ownership",
    "Product",
    "RECORD_MODELS",
    "RESERVED_COLUMNS",
    "STORAGE_NAMES",
    "Rule",
    "RuleScope",
    "Source",
    "Supply",
    "Suspension",
    "Technology",
    "Trigger",
    "column_name_problem",
    "dataset_json_schema",
    "parse_date",
    "parse_id",
    "parse_id_list",
    "parse_number",
]


# --------------------------------------------------------------------------- rules
# The rule records live in oretrace.graphmodel.rules (with rule time); re-exported here.

#: The CSV tables of a dataset, in load order, with the model of each row.
RECORD_MODELS: dict[str, type[Record]] = {
    "sources": Source,
    "companies": Company,
    "ownership": Ownership,
    "technologies": Technology,
    "products": Product,
    "bom": BomLine,
    "facilities": Facility,
    "supplies": Supply,
}


#: Property names the Neo4j backend stores beside a node's or edge's attributes
#: (``oretrace.graphmodel.backends.neo4j.RESERVED`` must stay within these).
STORAGE_NAMES: frozenset[str] = frozenset(
    {"dataset", "version", "id", "_json", "_nulls", "_key", "_seq", "needed", "_need", "_in",
     "_empty"}
)

#: Names an extra column may not have: ``kind``, the storage's own names (and any name
#: starting with ``_``, kept for storage), and every column the format defines for a node
#: or edge table (queries read attributes by these names, so an extra ``kind`` or ``share``
#: column would change what a row means).
RESERVED_COLUMNS: frozenset[str] = frozenset(
    {"kind"} | STORAGE_NAMES
    | {name for table, model in RECORD_MODELS.items() if table != "sources"
       for name in model.model_fields}
)


def column_name_problem(table: str, name: str) -> str | None:
    """Say what is wrong with a column ``name`` in ``table``'s header, if anything.

    Examples
    --------
    >>> column_name_problem("supplies", "share") is None, column_name_problem("supplies", "notes")
    (True, None)
    >>> column_name_problem("supplies", "kind")
    "extra column 'kind' is reserved (oretrace gives it a meaning); rename it"
    """
    if not name:
        return "a column has no name (a trailing comma in the header?)"
    if name in RECORD_MODELS[table].model_fields:
        return None
    if name in RESERVED_COLUMNS or name.startswith("_"):
        return f"extra column {name!r} is reserved (oretrace gives it a meaning); rename it"
    return None


def dataset_json_schema() -> dict[str, Any]:
    """Return a JSON Schema of one row of each table, and of ``rules.yaml``.

    The committed copy is ``docs/dataset.schema.json``; a test keeps it current.
    """
    tables = {name: model.model_json_schema(mode="validation")
              for name, model in RECORD_MODELS.items()}
    tables["rules.yaml"] = {
        "type": "object",
        "properties": {"rules": {"type": "array",
                                 "items": Rule.model_json_schema(mode="validation")}},
        "required": ["rules"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "oretrace dataset",
        "description": "One row of each CSV table (cells as text or typed values), and rules.yaml.",
        "type": "object",
        "properties": tables,
    }

