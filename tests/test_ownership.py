"""The ownership fixed point (oretrace.graphmodel.ownership), on networks drawn by hand."""

from __future__ import annotations

from oretrace.graphmodel.ownership import held_companies


def test_chain_of_halves_and_a_minority() -> None:
    # a --0.5--> b --0.6--> c        x --0.4--> c
    #            b --0.3--> d        x --0.3--> d
    # b is held by a (0.5 reaches the line); c by b alone (0.6); d only 0.3 counted of 0.6.
    holders = {"b": [("a", 0.5)], "c": [("b", 0.6), ("x", 0.4)],
               "d": [("b", 0.3), ("x", 0.3)]}
    assert held_companies(holders, ["a"]) == {"b": ["a"], "c": ["b"]}


def test_joint_holding_found_after_a_later_company_counts() -> None:
    # s --0.3--> t, u --0.25--> t, s --0.5--> u: t reaches 0.55 only once u counts, and
    # t is listed before u in the mapping, so a single pass would miss it.
    holders = {"t": [("s", 0.3), ("u", 0.25)], "u": [("s", 0.5)]}
    assert held_companies(holders, {"s"}) == {"u": ["s"], "t": ["s", "u"]}


def test_threshold_and_seeds_are_not_reported() -> None:
    holders = {"b": [("a", 0.5)], "a": [("b", 1.0)]}
    assert held_companies(holders, ["a"], threshold=0.51) == {}
    assert held_companies(holders, ["a"]) == {"b": ["a"]}
