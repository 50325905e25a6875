"""Pure analysis functions of the graph: inventory, exposure, content, compliance, chokepoints.

Public names load on first use (:mod:`oretrace.graphmodel._lazy`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oretrace.graphmodel._lazy import attach

#: Each public name and the module that defines it.
_HOMES = {
    "Compliance": "oretrace.queries.compliance",
    "ContentShare": "oretrace.queries.content",
    "Cut": "oretrace.queries.chokepoints",
    "Dependant": "oretrace.queries.exposure",
    "ElementShare": "oretrace.queries.content",
    "Exposure": "oretrace.queries.exposure",
    "Feasibility": "oretrace.queries.feasibility",
    "Neighbour": "oretrace.queries.inventory",
    "NodeReport": "oretrace.queries.inventory",
    "ORIGIN_STAGES": "oretrace.queries.content",
    "POLICIES": "oretrace.queries.feasibility",
    "PUBLISHED_SHARES": "oretrace.queries.plots",
    "ProcurementVerdict": "oretrace.queries.compliance",
    "PublishedShare": "oretrace.queries.plots",
    "RARE_EARTHS": "oretrace.queries.content",
    "RuleVerdict": "oretrace.queries.compliance",
    "ScenarioDiff": "oretrace.queries.scenarios",
    "ScenarioResult": "oretrace.queries.scenarios",
    "Shipment": "oretrace.queries.shipments",
    "ShipmentVerdict": "oretrace.queries.shipments",
    "Shortfall": "oretrace.queries.capacity",
    "SinglePoints": "oretrace.queries.chokepoints",
    "TechnologyFlag": "oretrace.queries.compliance",
    "check_compliance": "oretrace.queries.compliance",
    "describe_node": "oretrace.queries.inventory",
    "diff_scenarios": "oretrace.queries.scenarios",
    "element_content": "oretrace.queries.content",
    "evaluate": "oretrace.queries.compliance",
    "find_concentration": "oretrace.queries.concentration",
    "find_element_content": "oretrace.queries.content",
    "find_exposed": "oretrace.queries.exposure",
    "find_exposed_native": "oretrace.queries.native",
    "find_matching_native": "oretrace.queries.native",
    "find_rule_windows": "oretrace.queries.plots",
    "find_shipments": "oretrace.queries.shipments",
    "find_shortfall": "oretrace.queries.capacity",
    "find_single_points_of_failure": "oretrace.queries.chokepoints",
    "find_smallest_cut": "oretrace.queries.chokepoints",
    "find_where_used": "oretrace.queries.exposure",
    "find_where_used_native": "oretrace.queries.native",
    "list_platforms": "oretrace.queries.inventory",
    "list_rules": "oretrace.queries.compliance",
    "list_shipments": "oretrace.queries.shipments",
    "origin_facilities": "oretrace.queries.content",
    "origin_share": "oretrace.queries.content",
    "plot_chokepoints": "oretrace.queries.plots",
    "plot_concentration": "oretrace.queries.plots",
    "plot_exposure_matrix": "oretrace.queries.plots",
    "plot_supply_flow": "oretrace.queries.plots",
    "plot_timeline": "oretrace.queries.plots",
    "procurement_verdicts": "oretrace.queries.compliance",
    "rank_chokepoints": "oretrace.queries.chokepoints",
    "render_report": "oretrace.queries.report",
    "rule_status": "oretrace.queries.compliance",
    "shipment_verdicts": "oretrace.queries.shipments",
    "simulate": "oretrace.queries.feasibility",
    "simulate_scenario": "oretrace.queries.scenarios",
    "summarize": "oretrace.queries.inventory",
    "supply_graph": "oretrace.queries.exposure",
    "technology_flags": "oretrace.queries.compliance",
    "trace": "oretrace.queries.exposure",
}

__all__ = [
    "Compliance",
    "ContentShare",
    "Cut",
    "Dependant",
    "ElementShare",
    "Exposure",
    "Feasibility",
    "Neighbour",
    "NodeReport",
    "ORIGIN_STAGES",
    "POLICIES",
    "PUBLISHED_SHARES",
    "ProcurementVerdict",
    "PublishedShare",
    "RARE_EARTHS",
    "RuleVerdict",
    "ScenarioDiff",
    "ScenarioResult",
    "Shipment",
    "ShipmentVerdict",
    "Shortfall",
    "SinglePoints",
    "TechnologyFlag",
    "check_compliance",
    "describe_node",
    "diff_scenarios",
    "element_content",
    "evaluate",
    "find_concentration",
    "find_element_content",
    "find_exposed",
    "find_exposed_native",
    "find_matching_native",
    "find_rule_windows",
    "find_shipments",
    "find_shortfall",
    "find_single_points_of_failure",
    "find_smallest_cut",
    "find_where_used",
    "find_where_used_native",
    "list_platforms",
    "list_rules",
    "list_shipments",
    "origin_facilities",
    "origin_share",
    "plot_chokepoints",
    "plot_concentration",
    "plot_exposure_matrix",
    "plot_supply_flow",
    "plot_timeline",
    "procurement_verdicts",
    "rank_chokepoints",
    "render_report",
    "rule_status",
    "shipment_verdicts",
    "simulate",
    "simulate_scenario",
    "summarize",
    "supply_graph",
    "technology_flags",
    "trace",
]

if TYPE_CHECKING:  # the same names, statically, for type checkers
    from oretrace.queries.capacity import (
        Shortfall,
        find_shortfall,
    )
    from oretrace.queries.chokepoints import (
        Cut,
        SinglePoints,
        find_single_points_of_failure,
        find_smallest_cut,
        rank_chokepoints,
    )
    from oretrace.queries.compliance import (
        Compliance,
        ProcurementVerdict,
        RuleVerdict,
        TechnologyFlag,
        check_compliance,
        evaluate,
        list_rules,
        procurement_verdicts,
        rule_status,
        technology_flags,
    )
    from oretrace.queries.concentration import (
        find_concentration,
    )
    from oretrace.queries.content import (
        ORIGIN_STAGES,
        RARE_EARTHS,
        ContentShare,
        ElementShare,
        element_content,
        find_element_content,
        origin_facilities,
        origin_share,
    )
    from oretrace.queries.exposure import (
        Dependant,
        Exposure,
        find_exposed,
        find_where_used,
        supply_graph,
        trace,
    )
    from oretrace.queries.feasibility import (
        POLICIES,
        Feasibility,
        simulate,
    )
    from oretrace.queries.inventory import (
        Neighbour,
        NodeReport,
        describe_node,
        list_platforms,
        summarize,
    )
    from oretrace.queries.native import (
        find_exposed_native,
        find_matching_native,
        find_where_used_native,
    )
    from oretrace.queries.plots import (
        PUBLISHED_SHARES,
        PublishedShare,
        find_rule_windows,
        plot_chokepoints,
        plot_concentration,
        plot_exposure_matrix,
        plot_supply_flow,
        plot_timeline,
    )
    from oretrace.queries.report import (
        render_report,
    )
    from oretrace.queries.scenarios import (
        ScenarioDiff,
        ScenarioResult,
        diff_scenarios,
        simulate_scenario,
    )
    from oretrace.queries.shipments import (
        Shipment,
        ShipmentVerdict,
        find_shipments,
        list_shipments,
        shipment_verdicts,
    )

__getattr__, __dir__ = attach(__name__, _HOMES, frozenset())
