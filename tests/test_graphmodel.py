"""The graph model: construction, what a facility needs, time slicing, confidence filtering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest
from oretrace.graphmodel import (
    QueryError,
    UnknownNodeError,
    at,
    bill_of_materials,
    get_node,
    need_confidence,
    needed_inputs,
    restrict,
    supply_edges,
    weakest,
)
from oretrace.graphmodel.graph import facility_needs
from oretrace.graphmodel.schema import Facility, Product
from oretrace.loaders import load_dataset


def test_needs_are_bom_inputs_of_the_products(mini_copy: Callable[..., Path]) -> None:
    G = load_dataset(mini_copy())
    # jp-mag makes magnet; magnet needs 0.312 kg oxide (bom.csv line 3).
    assert needed_inputs(G, "jp-mag") == {"oxide"}
    assert bill_of_materials(G, "magnet") == {"oxide": 0.312}
    # Mines make ore, which has no inputs.
    assert needed_inputs(G, "cn-mine") == set()


def test_a_facility_does_not_need_what_it_makes_itself(mini_copy: Callable[..., Path]) -> None:
    # An integrated mine + separator lists ore and oxide: oxide needs ore, made in-house.
    path = mini_copy("facilities.csv",
                     lambda ls: [line.replace("cn-sep,CN separator,cn-co,CN,separation,oxide",
                                           "cn-sep,CN separator,cn-co,CN,separation,ore;oxide")
                                 for line in ls])
    G = load_dataset(path)
    assert needed_inputs(G, "cn-sep") == set()


def test_market_nodes_need_what_they_pass_through(mini_copy: Callable[..., Path]) -> None:
    path = mini_copy("facilities.csv", lambda ls: [
        *ls, "oxide-market,World oxide market,,,market,oxide,,,,,,,hand,estimated"])
    G = load_dataset(path)
    assert needed_inputs(G, "oxide-market") == {"oxide"}


def test_supply_edges_carry_only_needed_inputs(mini_copy: Callable[..., Path]) -> None:
    path = mini_copy("supplies.csv", lambda ls: [*ls, "cn-mine,jp-mag,ore,1,,,hand,illustrative"])
    G = load_dataset(path)
    # jp-mag receives ore from cn-mine, but magnets do not need ore: the edge is not followed.
    assert sorted((s, p) for s, p, _ in supply_edges(G, "jp-mag")) == [
        ("cn-sep", "oxide"), ("us-sep", "oxide")]
    assert len(supply_edges(G, "jp-mag", needed_only=False)) == 3


def test_time_slicing_follows_facility_and_link_windows(mini_copy: Callable[..., Path]) -> None:
    G = load_dataset(mini_copy())
    before, after = at(G, "2026-12-31"), at(G, "2027-01-01")
    # us-sep is planned with online_from 2027-01-01 (inclusive): absent the day before.
    assert "us-sep" not in before and "us-sep" in after
    assert not before.has_edge("us-sep", "jp-mag") and after.has_edge("us-sep", "jp-mag")
    # The view is read-only and leaves the graph whole.
    assert "us-sep" in G
    with pytest.raises(nx.NetworkXError, match="Frozen graph"):
        before.add_node("x")


def test_closed_and_undated_planned_facilities_are_absent() -> None:
    from oretrace.graphmodel import is_active
    planned = Facility(id="f", name="F", stage="mine", products=["ore"], status="planned",
                       sources=["s"], confidence="reported").model_dump()
    planned["kind"] = "facility"
    assert not is_active(planned, dt.date(2100, 1, 1))
    closed = dict(planned, status="closed", online_until=dt.date(2020, 1, 1))
    assert is_active(closed | {"online_from": None}, dt.date(2019, 12, 31))
    assert not is_active(closed, dt.date(2020, 1, 1))
    # suspended is read as closed: it ran until online_until, and without that date it
    # runs at no date (it loaded as running at every date before)
    suspended = dict(closed, status="suspended")
    assert is_active(suspended, dt.date(2019, 12, 31))
    assert not is_active(suspended, dt.date(2020, 1, 1))
    assert not is_active(suspended | {"online_until": None}, dt.date(2019, 12, 31))


def test_confidence_floor_drops_weaker_links(mini_copy: Callable[..., Path]) -> None:
    path = mini_copy("supplies.csv", lambda ls: [line.replace(
        "cn-sep,jp-mag,oxide,0.6,,,hand,illustrative", "cn-sep,jp-mag,oxide,0.6,,,hand,documented")
        for line in ls])
    G = load_dataset(path)
    view = restrict(G, min_confidence="reported")
    assert view.has_edge("cn-sep", "jp-mag")
    assert not view.has_edge("us-sep", "jp-mag")
    with pytest.raises(QueryError, match="confidence level"):
        restrict(G, min_confidence="sure")


def test_weakest_confidence_orders_levels() -> None:
    assert weakest(["documented", "reported"]) == "reported"
    assert weakest(["reported", "illustrative", "estimated"]) == "illustrative"


def test_unknown_ids_suggest_close_matches(mini_copy: Callable[..., Path]) -> None:
    G = load_dataset(mini_copy())
    with pytest.raises(UnknownNodeError) as info:
        get_node(G, "missle", kind="product")
    assert info.value.suggestions[0] == "missile"
    assert "did you mean 'missile'" in str(info.value)


def test_records_accept_csv_text_and_python_values() -> None:
    a = Product.model_validate({"id": "m", "name": "M", "category": "magnet", "unit": "kg",
                                "elements": "Sm=0.231", "sources": "s;t",
                                "confidence": "documented"})
    b = Product(id="m", name="M", category="magnet", unit="kg", elements={"Sm": 0.231},
                sources=("s", "t"), confidence="documented")
    assert a == b


# A magnet plant drawn on paper (its bill of materials, one line per arrow):
#
#     magnet --0.3 kg, reported-----> oxide
#     magnet --0.3 kg, documented---> oxide      (a second line for the same input)
#     magnet --estimated, substitute for oxide--> ce-oxide
#     magnet --illustrative---------> coating    (made in-house by the plant below)
#     coating --reported------------> resin
#
# The plant lists magnet and coating. It needs oxide (documented: the stronger of its two
# lines) and resin (coating's input); not coating, which it makes; ce-oxide only when
# substitutes count. A market listing magnet needs magnet itself, documented.
_LINES = {"magnet": [("oxide", None, "reported"), ("oxide", None, "documented"),
                     ("ce-oxide", "oxide", "estimated"), ("coating", None, "illustrative")],
          "coating": [("resin", None, "reported")]}


@pytest.mark.parametrize(("stage", "substitutes", "expected"), [
    ("magnet", False, {"oxide": "documented", "resin": "reported"}),
    ("magnet", True, {"oxide": "documented", "ce-oxide": "estimated", "resin": "reported"}),
    ("market", False, {"magnet": "documented", "coating": "documented"}),
])
def test_facility_needs_is_the_rule_on_plain_data(
        stage: str, substitutes: bool, expected: dict[str, str]) -> None:
    needs = facility_needs(["magnet", "coating"], stage, lambda p: _LINES.get(p, []),
                           substitutes=substitutes)
    assert needs == expected


def test_needed_inputs_and_need_confidence_read_the_same_needs(
        mini_copy: Callable[..., Path]) -> None:
    # tests/data/mini/bom.csv: oxide <- ore and magnet <- oxide, both lines illustrative;
    # cn-sep makes oxide, jp-mag makes magnet, cn-mine makes ore (no inputs).
    G = load_dataset(mini_copy())
    assert need_confidence(G, "jp-mag") == {"oxide": "illustrative"}
    assert need_confidence(G, "cn-sep") == {"ore": "illustrative"}
    assert need_confidence(G, "cn-mine") == {}
    for facility in ("jp-mag", "cn-sep", "cn-mine"):
        assert needed_inputs(G, facility) == set(need_confidence(G, facility))
