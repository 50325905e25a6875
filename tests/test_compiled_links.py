"""The compiled form's links and needs, read in bulk from the graph's own dicts, are exactly
what a plain edge-by-edge walk finds.

``compile_graph`` walks the edges buyer by buyer with C-level maps and applies the date rule
only to dated edges (``Window.fields``). The oracle here walks ``G.edges(data=True)`` one
edge at a time with :func:`oretrace.graphmodel.is_active` and
:func:`oretrace.queries._feasibility_network.need_options`: every supplies edge between two
active facilities, live at the date, carrying an option of a need of its buyer, is one link
per need it meets (with that option's rank and the edge's share).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, strategies as st
from oretrace.graphmodel import FACILITY_WINDOW, LINK_WINDOW, is_active, restrict
from oretrace.loaders import load_dataset
from oretrace.loaders.synth import generate_network, write_network
from oretrace.queries._compiled_graph import CompiledGraph, compile_graph
from oretrace.queries._feasibility_network import need_options
from test_compiled import DAY, SETTINGS, networks

Link = tuple[str, str, str, str | None, int, float]
SUBSTITUTE = {"product": "ndfeb-alloy", "input": "tb-metal", "qty": "0.02",
              "substitute_for": "dy-metal", "sources": "SYN", "confidence": "illustrative"}


def plain_links(G: nx.MultiDiGraph, day: dt.date, substitutions: bool) -> Counter[Link]:
    """``(supplier, buyer, carried, needed, rank, share)`` of every link, edge by edge."""
    products = {n for n, k in G.nodes(data="kind") if k == "product"}
    active = {n for n, d in G.nodes(data=True)
              if d.get("kind") == "facility" and is_active(d, day)}
    out: Counter[Link] = Counter()
    for u, v, d in G.edges(data=True):
        if d.get("kind") != "supplies" or u not in active or v not in active \
                or not is_active(d, day):
            continue
        for needed, opts in need_options(G, v, substitutions).items():
            kept = [o for o in opts if o in products]
            if d.get("product") in kept:
                out[(u, v, d["product"], needed if needed in products else None,
                     kept.index(d["product"]), float(d.get("share", 0.0)))] += 1
    return out


def compiled_links(cg: CompiledGraph) -> Counter[Link]:
    out: Counter[Link] = Counter()
    for li in range(cg.n_links):
        r = int(cg.link_need[li])
        needed = int(cg.need_product[r])
        out[(cg.facilities[cg.link_supplier[li]], cg.facilities[cg.need_facility[r]],
             cg.products[cg.link_product[li]], cg.products[needed] if needed >= 0 else None,
             int(cg.link_rank[li]), float(cg.link_share[li]))] += 1
    return out


def check(G: nx.MultiDiGraph, day: dt.date, substitutions: bool) -> CompiledGraph:
    """Links as the plain walk finds them; needs as ``need_options`` lists them; links in
    (need, supplier) order."""
    cg = compile_graph(G, as_of=day, substitutions=substitutions)
    assert compiled_links(cg) == plain_links(G, day, substitutions)
    rows = zip(cg.need_facility.tolist(), cg.need_product.tolist(), strict=True)
    needs = Counter((cg.facilities[f], cg.products[p] if p >= 0 else None) for f, p in rows)
    products = set(cg.products)
    assert needs == Counter((f, p if p in products else None) for f in cg.facilities
                            for p in need_options(G, f, substitutions))
    keys = list(zip(cg.link_need.tolist(), cg.link_supplier.tolist(), strict=True))
    assert keys == sorted(keys)
    return cg


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    """600 synthetic facilities (seed 5) with a substitute line, and edges drawn to trip a
    bulk walk: a second edge for one pair and product (shares 0.012345 then 0.054321 after the
    first), one starting after the date, one ending after it, one with ``start: None``, an
    ``owns`` edge carrying a needed product, a supplies edge from a company and one into a
    facility planned with no start date."""
    net = generate_network(600, seed=5)
    bom = net.tables["bom"].assign(substitute_for="")
    net.tables["bom"] = pd.concat([bom, pd.DataFrame([SUBSTITUTE])], ignore_index=True)
    G = load_dataset(write_network(net, tmp_path_factory.mktemp("links")))
    day = dt.date(2026, 11, 24)
    live = [(u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True)
            if d["kind"] == "supplies" and LINK_WINDOW.fields.isdisjoint(d)
            and is_active(G.nodes[u], day) and is_active(G.nodes[v], day)]
    extra: list[tuple[str, str, dict[str, Any]]] = []
    (u, v, _, d) = live[0]
    extra += [(u, v, {**d, "share": 0.012345}), (u, v, {**d, "share": 0.054321})]
    extra.append((live[1][0], live[1][1], {**live[1][3], "start": dt.date(2027, 1, 1)}))
    extra.append((live[2][0], live[2][1], {**live[2][3], "end": dt.date(2027, 1, 1)}))
    extra.append((live[3][0], live[3][1], {**live[3][3], "start": None}))
    extra.append((live[4][0], live[4][1], {**live[4][3], "kind": "owns"}))
    company = next(n for n, k in G.nodes(data="kind") if k == "company")
    extra.append((company, live[5][1], dict(live[5][3])))
    G.add_node("planned-x", **{**G.nodes[live[6][1]], "status": "planned",
                               "online_from": None})
    assert not FACILITY_WINDOW.holds(G.nodes["planned-x"], day)
    extra.append((live[6][0], "planned-x", dict(live[6][3])))
    for a, b, attrs in extra:
        G.add_edge(a, b, **attrs)
    return G


@pytest.mark.parametrize("substitutions", [False, True])
@pytest.mark.parametrize("day", [dt.date(2026, 11, 24), dt.date(2027, 6, 1)])
def test_synthetic_links_are_the_plain_walk(synth: nx.MultiDiGraph, day: dt.date,
                                            substitutions: bool) -> None:
    check(synth, day, substitutions)


def test_edges_of_one_pair_keep_their_key_order(synth: nx.MultiDiGraph) -> None:
    """The three edges of the drawn pair and product are three links, in key order."""
    day = dt.date(2026, 11, 24)
    cg = check(synth, day, False)
    (u, v, d), = [(u, v, d) for u, v, d in synth.edges(data=True) if d.get("share") == 0.012345]
    same = [li for li in range(cg.n_links)
            if cg.facilities[cg.link_supplier[li]] == u
            and cg.facilities[cg.need_facility[cg.link_need[li]]] == v
            and cg.products[cg.link_product[li]] == d["product"]]
    shares = [float(cg.link_share[li]) for li in same]
    assert shares[1:] == [0.012345, 0.054321] and len(shares) == 3


def test_a_view_compiles_as_the_plain_walk(synth: nx.MultiDiGraph) -> None:
    """A view (networkx's filtered adjacency, not plain dicts) walks alike: here the one as
    of a date, which drops the dated edges and the inactive facilities itself."""
    check(restrict(synth, as_of="2026-11-24"), dt.date(2026, 11, 24), True)


@SETTINGS
@given(networks())
def test_drawn_networks_links_are_the_plain_walk(G: nx.MultiDiGraph) -> None:
    for substitutions in (False, True):
        check(G, DAY, substitutions)


DATES = st.one_of(st.none(), st.sampled_from([dt.date(2025, 1, 1), dt.date(2026, 6, 1),
                                              dt.date(2027, 1, 1)]))
ATTRS = st.fixed_dictionaries({}, optional={
    "start": DATES, "end": DATES, "online_from": DATES, "online_until": DATES,
    "status": st.sampled_from(["planned", "closed", "operating", None, ["planned"]]),
    "share": st.sampled_from([0.0, 0.5])})


@SETTINGS
@given(st.lists(ATTRS, max_size=30), st.sampled_from([dt.date(2025, 6, 1), DAY,
                                                       dt.date(2027, 1, 1)]))
def test_holds_each_is_holds_of_each(many: list[dict[str, Any]], day: dt.date) -> None:
    """The bulk date rule (once per distinct window; one by one past an unhashable status)
    answers as the rule asked of each dict."""
    for window in (LINK_WINDOW, FACILITY_WINDOW):
        assert window.holds_each(many, day) == [window.holds(a, day) for a in many]
