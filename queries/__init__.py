"""Pure analysis functions of the graph: inventory, exposure, content, compliance, chokepoints."""

from queries.capacity import Shortfall, find_shortfall
from queries.chokepoints import (
    Cut,
    SinglePoints,
    find_single_points_of_failure,
    find_smallest_cut,
    rank_chokepoints,
)
from queries.compliance import RuleVerdict, evaluate, list_rules, rule_status
from queries.concentration import find_concentration
from queries.content import (
    ORIGIN_STAGES,
    RARE_EARTHS,
    ContentShare,
    ElementShare,
    element_content,
    find_element_content,
    origin_facilities,
    origin_share,
)
from queries.exposure import (
    Dependant,
    Exposure,
    find_exposed,
    find_where_used,
    supply_graph,
    trace,
)
from queries.feasibility import POLICIES, Feasibility, simulate
from queries.inventory import Neighbour, NodeReport, describe_node, list_platforms, summarize
from queries.native import find_exposed_native, find_matching_native, find_where_used_native
from queries.plots import (
    PUBLISHED_SHARES,
    PublishedShare,
    find_rule_windows,
    plot_chokepoints,
    plot_concentration,
    plot_exposure_matrix,
    plot_supply_flow,
    plot_timeline,
)
from queries.report import render_report
from queries.scenarios import ScenarioDiff, ScenarioResult, diff_scenarios, simulate_scenario

__all__ = [
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
    "PublishedShare",
    "RARE_EARTHS",
    "RuleVerdict",
    "ScenarioDiff",
    "ScenarioResult",
    "Shortfall",
    "SinglePoints",
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
    "find_shortfall",
    "find_single_points_of_failure",
    "find_smallest_cut",
    "find_where_used",
    "find_where_used_native",
    "list_platforms",
    "list_rules",
    "origin_facilities",
    "origin_share",
    "plot_chokepoints",
    "plot_concentration",
    "plot_exposure_matrix",
    "plot_supply_flow",
    "plot_timeline",
    "rank_chokepoints",
    "render_report",
    "rule_status",
    "simulate",
    "simulate_scenario",
    "summarize",
    "supply_graph",
    "trace",
]
