"""Independent non-Chinese routes without the integer programme where the answer is forced.

``find_concentration`` counts a stage's ``non_cn_routes`` as the smallest cut of its
non-Chinese producers once China fails. A producer that needs nothing (a mine) is in every
cut, and one producer left alone is cut by its own loss; the query answers those without
solving, so a fan-in of many mines stays linear. The integer programme on the same targets
(:func:`oretrace.queries.chokepoints.solve_cut`) is the oracle.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from oretrace.graphmodel import Records, build_graph
from oretrace.graphmodel.schema import BomLine, Facility, Product, Source, Supply
from oretrace.graphmodel.vocab import Stage
from oretrace.loaders import load_dataset
from oretrace.queries.chokepoints import solve_cut
from oretrace.queries.concentration import find_concentration
from oretrace.queries.feasibility import group_keys, supplied_mask, supply_network

DATA = Path(__file__).parent / "data"


def _mines_into_two_separators() -> nx.MultiDiGraph:
    """Three AU mines and two CN mines; s1 (AU) buys ore from all five, s2 (AU) from a1:

        a1 (AU) ──┬──► s1 (AU) ◄── a2 (AU), a3 (AU), c1 (CN), c2 (CN)
                  └──► s2 (AU)

    With China lost: the mine row's cut must hold a1, a2 and a3 (each stops only by its own
    loss): 3 routes. The separation row needs s1 stopped (itself, or all of a1-a3) and s2
    (itself or a1): {s1, s2} or {s1, a1}: 2 routes."""
    kw = {"sources": ["s"], "confidence": "illustrative"}
    mines = {"a1": "AU", "a2": "AU", "a3": "AU", "c1": "CN", "c2": "CN"}
    facilities = [Facility(id=m, name=m, country=c, stage="mine", products=["ore"], **kw)
                  for m, c in mines.items()]
    facilities += [Facility(id=s, name=s, country="AU", stage="separation",
                            products=["oxide"], **kw) for s in ("s1", "s2")]
    supplies = [Supply(supplier=m, buyer="s1", product="ore", share=0.2, **kw) for m in mines]
    supplies.append(Supply(supplier="a1", buyer="s2", product="ore", share=1.0, **kw))
    return build_graph(Records(
        sources=[Source(id="s", title="t")],
        products=[Product(id="ore", name="ore", category="ore", unit="kg", **kw),
                  Product(id="oxide", name="oxide", category="oxide", unit="kg", **kw)],
        bom=[BomLine(product="oxide", input="ore", qty=10, **kw)],
        facilities=facilities, supplies=supplies))


def test_routes_worked_by_hand() -> None:
    table = find_concentration(_mines_into_two_separators())
    routes = {(r["stage"], r["product"]): r["non_cn_routes"]
              for r in table.to_dict(orient="records")}
    assert routes[("mine", "ore")] == 3
    assert routes[("separation", "oxide")] == 2


def _by_programme(G: nx.MultiDiGraph, stage: str, product: str) -> int:
    """The integer programme's smallest cut of the non-Chinese producers still supplied
    once every Chinese facility fails (markets never count)."""
    net = supply_network(G)
    chinese = [i for i, f in enumerate(net.facilities)
               if net.view.nodes[f].get("country") == "CN"]
    ok = supplied_mask(net, chinese)
    targets = [i for i, f in enumerate(net.facilities)
               if (d := net.view.nodes[f]).get("stage") == stage
               and d.get("stage") != Stage.MARKET
               and (product == "*" or product in d.get("products", ()))
               and d.get("country") != "CN" and ok[i]]
    if not targets:
        return 0
    sol = solve_cut(net, keys=group_keys(net, "facility"), targets=targets, failed=chinese)
    return 0 if sol.cut is None else len(sol.cut)


@pytest.mark.parametrize("data", ["mini", "compliance_mini", "choke_andor", "choke_time",
                                  "choke_market", "choke_cycle",
                                  None])
def test_routes_agree_with_the_integer_programme(data: str | None) -> None:
    G = _mines_into_two_separators() if data is None else load_dataset(DATA / data)
    table = find_concentration(G)
    assert len(table)
    for row in table.to_dict(orient="records"):
        assert row["non_cn_routes"] == _by_programme(G, row["stage"], row["product"]), row
