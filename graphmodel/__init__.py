"""oretrace's graph model: record schema, graph construction, time slicing, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oretrace.graphmodel._lazy import attach_imports

# The public names, written once: type checkers read these imports, and attach_imports
# reads them from this file to load each name on first use.
if TYPE_CHECKING:
    from oretrace.graphmodel.errors import (
        BackendAuthError as BackendAuthError,
        BackendError as BackendError,
        BackendUnavailable as BackendUnavailable,
        DatasetError as DatasetError,
        LoadError as LoadError,
        OretraceError as OretraceError,
        OverrideError as OverrideError,
        Problem as Problem,
        QueryError as QueryError,
        SolverError as SolverError,
        UnknownNodeError as UnknownNodeError,
    )
    from oretrace.graphmodel.graph import (
        Records as Records,
        RequiresLine as RequiresLine,
        bill_of_materials as bill_of_materials,
        build_graph as build_graph,
        edges_of as edges_of,
        facilities_making as facilities_making,
        facility_needs as facility_needs,
        get_node as get_node,
        need_confidence as need_confidence,
        needed_inputs as needed_inputs,
        nodes_of as nodes_of,
        platforms as platforms,
        supply_edges as supply_edges,
        supply_key as supply_key,
    )
    from oretrace.graphmodel.io import (
        read_json as read_json,
        write_graphml as write_graphml,
        write_json as write_json,
    )
    from oretrace.graphmodel.overrides import (
        with_overrides as with_overrides,
    )
    from oretrace.graphmodel.timeslice import (
        FACILITY_WINDOW as FACILITY_WINDOW,
        LINK_WINDOW as LINK_WINDOW,
        Window as Window,
        at as at,
        is_active as is_active,
        parse_date as parse_date,
        restrict as restrict,
        today as today,
        window_of as window_of,
    )
    from oretrace.graphmodel.vocab import (
        CONFIDENCE_ORDER as CONFIDENCE_ORDER,
        Category as Category,
        Confidence as Confidence,
        EdgeKind as EdgeKind,
        FacilityStatus as FacilityStatus,
        NodeKind as NodeKind,
        Stage as Stage,
        TechStage as TechStage,
        Verdict as Verdict,
        weakest as weakest,
    )

__getattr__, __dir__, __all__ = attach_imports(__name__, __file__)
