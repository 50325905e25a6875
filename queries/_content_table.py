"""Content tables: the kilograms of each element in one unit of each product, read through
the bills of materials, and the ranged lines that widen them (see
:mod:`oretrace.queries.content`)."""

from __future__ import annotations

import networkx as nx
from oretrace.graphmodel import Confidence, QueryError, bill_of_materials
from oretrace.graphmodel.ranges import range_of
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from pydantic import BaseModel

__all__ = ["RangedLine"]


class RangedLine(BaseModel):
    """A bill-of-materials line whose quantity is a range (``lo..hi``), with what each end
    reads (columns ``low_reading`` and ``high_reading`` of ``bom.csv``)."""

    product: str
    input: str
    qty: float
    qty_low: float
    qty_high: float
    low_reading: str | None
    high_reading: str | None
    sources: list[str]
    confidence: Confidence



def _content_table(G: nx.MultiDiGraph) -> dict[str, dict[str, float]]:
    """Element kilograms per unit of every product of ``G``."""
    table: dict[str, dict[str, float]] = {}
    visiting: set[str] = set()

    def content(product: str) -> dict[str, float]:
        if product in table:
            return table[product]
        if product in visiting:
            raise QueryError(f"the bill of materials of {product!r} contains itself")
        visiting.add(product)
        attrs = G.nodes[product]
        declared = attrs.get("elements") or {}
        if declared and attrs.get("unit") == "kg":
            out = {e: float(f) for e, f in declared.items()}
        else:
            out = {}
            for inp, qty in bill_of_materials(G, product).items():
                if inp not in G:
                    continue
                for e, kg in content(inp).items():
                    out[e] = out.get(e, 0.0) + qty * kg
        visiting.discard(product)
        table[product] = out
        return out

    for n, kind in G.nodes(data="kind"):
        if kind == NodeKind.PRODUCT:
            content(n)
    return table


def _is_opaque(G: nx.MultiDiGraph, product: str, memo: dict[str, bool]) -> bool:
    """Whether ``product`` declares no element fractions (counted in kg) and every input of
    its bill of materials is opaque too: its composition is unknown, not empty."""
    if product not in memo:
        attrs = G.nodes[product]
        memo[product] = False  # a loop through the bill of materials is not opaque
        declared = attrs.get("elements") if attrs.get("unit") == "kg" else None
        memo[product] = not declared and all(
            inp in G and _is_opaque(G, inp, memo) for inp in bill_of_materials(G, product))
    return memo[product]


def _content_bounds(G: nx.MultiDiGraph, target: str, elements: frozenset[str]
                    ) -> tuple[float, float, list[RangedLine]]:
    """Kilograms of ``elements`` in one unit of ``target`` with every ranged quantity at its
    low end, and at its high end; and the ranged lines that hold any of them."""
    memo: dict[tuple[str, int], float] = {}
    lines: dict[tuple[str, str], RangedLine] = {}

    def kg(product: str, end: int) -> float:
        key = (product, end)
        if key not in memo:
            memo[key] = 0.0  # a loop contributes nothing more (content raises on loops)
            attrs = G.nodes[product]
            declared = attrs.get("elements") or {}
            if declared and attrs.get("unit") == "kg":
                memo[key] = sum(float(f) for e, f in declared.items() if e in elements)
            else:
                total = 0.0
                for _, inp, d in G.out_edges(product, data=True):
                    if d.get("kind") != EdgeKind.REQUIRES or d.get("substitute_for") is not None:
                        continue
                    ends = range_of(d, "qty")
                    qty = float(d["qty"]) if ends is None else ends[end]
                    held = kg(inp, end)
                    total += qty * held
                    if ends is not None and held > 0:
                        lines[(product, inp)] = RangedLine(
                            product=product, input=inp, qty=float(d["qty"]), qty_low=ends[0],
                            qty_high=ends[1], low_reading=d.get("low_reading"),
                            high_reading=d.get("high_reading"), sources=list(d["sources"]),
                            confidence=d["confidence"])
                memo[key] = total
        return memo[key]

    return kg(target, 0), kg(target, 1), [lines[k] for k in sorted(lines)]
