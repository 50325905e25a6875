"""Pure analysis functions of the graph: inventory, exposure, content, compliance, chokepoints."""

from queries.inventory import Neighbour, NodeReport, describe_node, list_platforms, summarize

__all__ = ["Neighbour", "NodeReport", "describe_node", "list_platforms", "summarize"]
