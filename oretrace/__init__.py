"""oretrace: map the rare-earth supply network from mines to weapon systems.

The front door for notebooks: ``import oretrace`` finds every public function, result model,
predicate and error here (``oretrace.load_dataset``, ``oretrace.find_exposed``,
``oretrace.origin_share``, ``oretrace.CN_PROCESSING``, ``oretrace.OretraceError`` ...). The
work lives in three subpackages: :mod:`oretrace.graphmodel` (the model and its rules),
:mod:`oretrace.loaders` (files, Neo4j) and :mod:`oretrace.queries` (pure analysis); the
command line is :mod:`oretrace.cli`.

Names are resolved on first use (PEP 562), so ``import oretrace`` and the command line start
without importing pandas, scipy or matplotlib until a function that needs them is called.

>>> import oretrace
>>> G = oretrace.load_dataset()
>>> "F-35" in oretrace.platforms(G)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oretrace.graphmodel._lazy import attach
from oretrace.graphmodel.errors import __all__ as _errors_all
from oretrace.queries import __all__ as _queries_all

__version__ = "0.1.0"

_SUBPACKAGES = frozenset({"cli", "graphmodel", "loaders", "queries"})

#: What a notebook needs of the graph model besides its errors (the rest stays in
#: ``oretrace.graphmodel``).
_GRAPHMODEL = (
    "Category",
    "Confidence",
    "FacilityStatus",
    "Stage",
    "at",
    "get_node",
    "parse_date",
    "platforms",
    "read_json",
    "restrict",
    "today",
    "with_overrides",
    "write_graphml",
    "write_json",
)

_LOADERS = ("bundled_path", "load_dataset", "validate_dataset")

_PREDICATES = ("ANY_CN", "AllOf", "AnyOf", "CN_MINING", "CN_OWNED", "CN_PROCESSING",
               "CN_TECHNOLOGY", "Located", "Not", "OwnedBy", "PREDICATES", "Predicate", "Spec",
               "UsesTechnologyFrom", "controlled_companies", "located_in", "owned_by",
               "predicate", "select_facilities", "uses_technology_from")

#: Where each public name is defined: all of the queries and errors, and what a notebook
#: needs of the rest (the other names stay in their subpackage).
_HOME: dict[str, str] = {
    **dict.fromkeys(_errors_all, "oretrace.graphmodel.errors"),
    **dict.fromkeys(_GRAPHMODEL, "oretrace.graphmodel"),
    **dict.fromkeys(_LOADERS, "oretrace.loaders"),
    **dict.fromkeys(_queries_all, "oretrace.queries"),
    **dict.fromkeys(_PREDICATES, "oretrace.queries.predicates"),
}

__all__ = sorted(_HOME)

if TYPE_CHECKING:  # the same names, statically, for type checkers and IDEs
    from oretrace.graphmodel import (
        Category,
        Confidence,
        FacilityStatus,
        Stage,
        at,
        get_node,
        parse_date,
        platforms,
        read_json,
        restrict,
        today,
        with_overrides,
        write_graphml,
        write_json,
    )
    from oretrace.graphmodel.errors import *
    from oretrace.loaders import bundled_path, load_dataset, validate_dataset
    from oretrace.queries import *
    from oretrace.queries.predicates import *

__getattr__, __dir__ = attach(__name__, _HOME, _SUBPACKAGES)
