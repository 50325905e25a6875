"""oretrace's graph model: record schema, graph construction, time slicing, errors.

Public names load on first use (:mod:`oretrace.graphmodel._lazy`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oretrace.graphmodel._lazy import attach

#: Each public name and the module that defines it.
_HOMES = {
    "BackendAuthError": "oretrace.graphmodel.errors",
    "BackendError": "oretrace.graphmodel.errors",
    "BackendUnavailable": "oretrace.graphmodel.errors",
    "CONFIDENCE_ORDER": "oretrace.graphmodel.vocab",
    "Category": "oretrace.graphmodel.vocab",
    "Confidence": "oretrace.graphmodel.vocab",
    "DatasetError": "oretrace.graphmodel.errors",
    "EdgeKind": "oretrace.graphmodel.vocab",
    "FacilityStatus": "oretrace.graphmodel.vocab",
    "LoadError": "oretrace.graphmodel.errors",
    "NodeKind": "oretrace.graphmodel.vocab",
    "OretraceError": "oretrace.graphmodel.errors",
    "OverrideError": "oretrace.graphmodel.errors",
    "Problem": "oretrace.graphmodel.errors",
    "QueryError": "oretrace.graphmodel.errors",
    "Records": "oretrace.graphmodel.graph",
    "SolverError": "oretrace.graphmodel.errors",
    "Stage": "oretrace.graphmodel.vocab",
    "TechStage": "oretrace.graphmodel.vocab",
    "UnknownNodeError": "oretrace.graphmodel.errors",
    "Verdict": "oretrace.graphmodel.vocab",
    "at": "oretrace.graphmodel.timeslice",
    "bill_of_materials": "oretrace.graphmodel.graph",
    "build_graph": "oretrace.graphmodel.graph",
    "edges_of": "oretrace.graphmodel.graph",
    "facilities_making": "oretrace.graphmodel.graph",
    "get_node": "oretrace.graphmodel.graph",
    "is_active": "oretrace.graphmodel.timeslice",
    "need_confidence": "oretrace.graphmodel.graph",
    "needed_inputs": "oretrace.graphmodel.graph",
    "nodes_of": "oretrace.graphmodel.graph",
    "parse_date": "oretrace.graphmodel.timeslice",
    "platforms": "oretrace.graphmodel.graph",
    "read_json": "oretrace.graphmodel.io",
    "restrict": "oretrace.graphmodel.timeslice",
    "supply_edges": "oretrace.graphmodel.graph",
    "supply_key": "oretrace.graphmodel.graph",
    "today": "oretrace.graphmodel.timeslice",
    "weakest": "oretrace.graphmodel.vocab",
    "with_overrides": "oretrace.graphmodel.overrides",
    "write_graphml": "oretrace.graphmodel.io",
    "write_json": "oretrace.graphmodel.io",
}

__all__ = [
    "BackendAuthError",
    "BackendError",
    "BackendUnavailable",
    "CONFIDENCE_ORDER",
    "Category",
    "Confidence",
    "DatasetError",
    "EdgeKind",
    "FacilityStatus",
    "LoadError",
    "NodeKind",
    "OretraceError",
    "OverrideError",
    "Problem",
    "QueryError",
    "Records",
    "SolverError",
    "Stage",
    "TechStage",
    "UnknownNodeError",
    "Verdict",
    "at",
    "bill_of_materials",
    "build_graph",
    "edges_of",
    "facilities_making",
    "get_node",
    "is_active",
    "need_confidence",
    "needed_inputs",
    "nodes_of",
    "parse_date",
    "platforms",
    "read_json",
    "restrict",
    "supply_edges",
    "supply_key",
    "today",
    "weakest",
    "with_overrides",
    "write_graphml",
    "write_json",
]

if TYPE_CHECKING:  # the same names, statically, for type checkers
    from oretrace.graphmodel.errors import (
        BackendAuthError,
        BackendError,
        BackendUnavailable,
        DatasetError,
        LoadError,
        OretraceError,
        OverrideError,
        Problem,
        QueryError,
        SolverError,
        UnknownNodeError,
    )
    from oretrace.graphmodel.graph import (
        Records,
        bill_of_materials,
        build_graph,
        edges_of,
        facilities_making,
        get_node,
        need_confidence,
        needed_inputs,
        nodes_of,
        platforms,
        supply_edges,
        supply_key,
    )
    from oretrace.graphmodel.io import (
        read_json,
        write_graphml,
        write_json,
    )
    from oretrace.graphmodel.overrides import (
        with_overrides,
    )
    from oretrace.graphmodel.timeslice import (
        at,
        is_active,
        parse_date,
        restrict,
        today,
    )
    from oretrace.graphmodel.vocab import (
        CONFIDENCE_ORDER,
        Category,
        Confidence,
        EdgeKind,
        FacilityStatus,
        NodeKind,
        Stage,
        TechStage,
        Verdict,
        weakest,
    )

__getattr__, __dir__ = attach(__name__, _HOMES, frozenset())
