"""Pure analysis functions of the graph: inventory, exposure, content, compliance, chokepoints.

Public names load on first use (:mod:`oretrace.graphmodel._lazy`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oretrace.graphmodel._lazy import attach_imports

# The public names, written once: type checkers read these imports, and attach_imports
# reads them from this file to load each name on first use.
if TYPE_CHECKING:
    from oretrace.queries._dispatch import (
        Neo4jGraph as Neo4jGraph,
    )
    from oretrace.queries.brief import (
        BriefFacts as BriefFacts,
        brief_facts as brief_facts,
        render_brief as render_brief,
    )
    from oretrace.queries.capacity import (
        Shortfall as Shortfall,
        find_shortfall as find_shortfall,
    )
    from oretrace.queries.chokepoints import (
        Cut as Cut,
        SinglePoints as SinglePoints,
        find_single_points_of_failure as find_single_points_of_failure,
        find_smallest_cut as find_smallest_cut,
        rank_chokepoints as rank_chokepoints,
    )
    from oretrace.queries.compliance import (
        Compliance as Compliance,
        ProcurementVerdict as ProcurementVerdict,
        RuleVerdict as RuleVerdict,
        TechnologyFlag as TechnologyFlag,
        check_compliance as check_compliance,
        evaluate as evaluate,
        list_rules as list_rules,
        procurement_verdicts as procurement_verdicts,
        rule_status as rule_status,
        technology_flags as technology_flags,
    )
    from oretrace.queries.concentration import (
        find_concentration as find_concentration,
    )
    from oretrace.queries.content import (
        ORIGIN_STAGES as ORIGIN_STAGES,
        RARE_EARTHS as RARE_EARTHS,
        ContentShare as ContentShare,
        ElementShare as ElementShare,
        element_content as element_content,
        find_element_content as find_element_content,
        origin_facilities as origin_facilities,
        origin_share as origin_share,
    )
    from oretrace.queries.deciding import (
        ComplianceAnswer as ComplianceAnswer,
        DecidingLink as DecidingLink,
        DecidingLinks as DecidingLinks,
        find_deciding_links as find_deciding_links,
    )
    from oretrace.queries.explore import (
        Explorer as Explorer,
        explore as explore,
    )
    from oretrace.queries.exposure import (
        ChainGap as ChainGap,
        Dependant as Dependant,
        Exposure as Exposure,
        find_broken_chains as find_broken_chains,
        find_exposed as find_exposed,
        find_where_used as find_where_used,
        supply_graph as supply_graph,
        trace as trace,
    )
    from oretrace.queries.feasibility import (
        POLICIES as POLICIES,
        Feasibility as Feasibility,
        simulate as simulate,
    )
    from oretrace.queries.inventory import (
        Neighbour as Neighbour,
        NodeReport as NodeReport,
        describe_node as describe_node,
        list_platforms as list_platforms,
        summarize as summarize,
    )
    from oretrace.queries.native import (
        find_matching_native as find_matching_native,
    )
    from oretrace.queries.plots import (
        PUBLISHED_SHARES as PUBLISHED_SHARES,
        PublishedShare as PublishedShare,
        find_rule_windows as find_rule_windows,
        plot_chokepoints as plot_chokepoints,
        plot_concentration as plot_concentration,
        plot_exposure_matrix as plot_exposure_matrix,
        plot_supply_flow as plot_supply_flow,
        plot_timeline as plot_timeline,
    )
    from oretrace.queries.report import (
        render_report as render_report,
    )
    from oretrace.queries.restore import (
        MissingInput as MissingInput,
        Restoration as Restoration,
        change_dates as change_dates,
        find_restore as find_restore,
    )
    from oretrace.queries.sampling import (
        Distribution as Distribution,
        SampledContent as SampledContent,
        SampledShortfall as SampledShortfall,
        sample_content as sample_content,
        sample_shortfall as sample_shortfall,
    )
    from oretrace.queries.scenarios import (
        ScenarioDiff as ScenarioDiff,
        ScenarioResult as ScenarioResult,
        diff_scenarios as diff_scenarios,
        simulate_scenario as simulate_scenario,
    )
    from oretrace.queries.sensitivity import (
        Sensitivity as Sensitivity,
        content_sensitivity as content_sensitivity,
        plot_sensitivity as plot_sensitivity,
        shortfall_sensitivity as shortfall_sensitivity,
    )
    from oretrace.queries.shipments import (
        Shipment as Shipment,
        ShipmentVerdict as ShipmentVerdict,
        find_shipments as find_shipments,
        list_shipments as list_shipments,
        shipment_verdicts as shipment_verdicts,
    )

__getattr__, __dir__, __all__ = attach_imports(__name__, __file__)
