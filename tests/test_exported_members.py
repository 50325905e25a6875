"""The public surface: one import name, each package's ``__all__`` sorted and resolvable, and
the front door pinned by a written list (pandas ``tests/api/test_api.py``), so adding or
removing a public name is a deliberate edit here."""

from __future__ import annotations

import importlib

import pytest

import oretrace

PACKAGES = ["oretrace", "oretrace.graphmodel", "oretrace.loaders", "oretrace.queries"]

#: What a notebook finds behind ``import oretrace``.
FRONT_DOOR = [
    "ANY_CN", "AllOf", "AnyOf", "BackendAuthError", "BackendError", "BackendUnavailable",
    "BriefFacts", "CN_MINING", "CN_OWNED", "CN_PROCESSING", "CN_TECHNOLOGY", "Category",
    "ChainGap", "Compliance", "ComplianceAnswer", "Confidence", "ContentShare", "Cut",
    "DatasetError", "DecidingLink", "DecidingLinks", "Dependant", "Distribution", "ElementShare",
    "Explorer", "Exposure", "FacilityStatus", "Feasibility", "LoadError", "Located",
    "MissingInput", "Neighbour", "Neo4jGraph", "NodeReport", "Not", "ORIGIN_STAGES",
    "OretraceError", "OverrideError", "OwnedBy", "POLICIES", "PREDICATES", "PUBLISHED_SHARES",
    "Predicate", "Problem", "ProcurementVerdict", "PublishedShare", "QueryError", "RARE_EARTHS",
    "Restoration", "RuleVerdict", "SampledContent", "SampledShortfall", "ScenarioDiff",
    "ScenarioResult", "Sensitivity", "Shipment", "ShipmentVerdict", "Shortfall", "SinglePoints",
    "SolverError", "Spec", "Stage", "TechnologyFlag", "UnknownNodeError", "UsesTechnologyFrom",
    "at", "brief_facts", "bundled_path", "change_dates", "check_compliance", "content_sensitivity",
    "controlled_companies", "describe_node", "diff_scenarios", "element_content", "evaluate",
    "explore", "find_broken_chains", "find_concentration", "find_deciding_links",
    "find_element_content", "find_exposed", "find_matching_native",
    "find_restore", "find_rule_windows", "find_shipments", "find_shortfall",
    "find_single_points_of_failure", "find_smallest_cut", "find_where_used",
    "get_node", "list_platforms", "list_rules", "list_shipments",
    "load_dataset", "located_in", "origin_facilities", "origin_share", "owned_by", "parse_date",
    "platforms", "plot_chokepoints", "plot_concentration", "plot_exposure_matrix",
    "plot_sensitivity", "plot_supply_flow", "plot_timeline", "predicate", "procurement_verdicts",
    "rank_chokepoints", "read_json", "render_brief", "render_report", "restrict", "rule_status",
    "sample_content", "sample_shortfall", "select_facilities", "shipment_verdicts",
    "shortfall_sensitivity", "simulate", "simulate_scenario", "summarize", "supply_graph",
    "technology_flags", "today", "trace", "uses_technology_from", "validate_dataset",
    "with_overrides", "write_graphml", "write_json",
]


def test_front_door_is_the_written_list() -> None:
    assert oretrace.__all__ == sorted(FRONT_DOOR)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_every_name_resolves(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__ == sorted(set(module.__all__))
    for member in module.__all__:
        assert getattr(module, member) is not None
    assert set(module.__all__) <= set(dir(module))


def test_front_door_names_are_the_library_objects() -> None:
    """The front door re-exports; it does not wrap (a result model is the queries' class)."""
    from oretrace.loaders import load_dataset
    from oretrace.queries.exposure import Exposure, find_exposed

    assert oretrace.find_exposed is find_exposed
    assert oretrace.Exposure is Exposure
    assert oretrace.load_dataset is load_dataset


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'find_exposd'"):
        _ = oretrace.find_exposd  # type: ignore[attr-defined]


def test_subpackages_are_reachable_as_attributes() -> None:
    assert oretrace.queries.find_exposed is oretrace.find_exposed


def test_a_package_names_what_it_imports_from_itself_for_type_checkers() -> None:
    """The public names of a subpackage are its imports under ``if TYPE_CHECKING:`` from its
    own modules, by their bound names; nothing else in its ``__init__`` counts."""
    from oretrace.graphmodel._lazy import imported_names

    source = "\n".join([
        "from pkg.a import outside as outside",          # not under TYPE_CHECKING
        "if TYPE_CHECKING:",
        "    from pkg.a import (one as one, two as alias)",
        "    from pkg import three as three",
        "    from pkgx.b import four as four",            # another package, same prefix
        "    from typing import Any",                     # not the package's
        "    from .c import five as five",                # relative: not read
        "    import pkg.d",
        "else:",
        "    from pkg.e import six as six",
    ])
    assert imported_names(source, "pkg") == {"one": "pkg.a", "alias": "pkg.a", "three": "pkg"}


def test_every_name_of_a_subpackage_is_reexported_for_type_checkers() -> None:
    """What ``__all__`` lists is what mypy sees exported: each name imported ``X as X``."""
    import ast
    from pathlib import Path

    for name in PACKAGES[1:]:
        module = importlib.import_module(name)
        aliased = {a.name for node in ast.walk(ast.parse(Path(module.__file__).read_text()))
                   if isinstance(node, ast.ImportFrom) for a in node.names if a.asname == a.name}
        assert set(module.__all__) <= aliased, name
