"""By when (:mod:`oretrace.queries.restore`): the inputs no facility outside the failed set
makes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import networkx as nx
from oretrace.graphmodel import facilities_making, is_active, weakest
from oretrace.graphmodel.rules import Rule
from oretrace.graphmodel.vocab import EdgeKind
from oretrace.queries._restore_state import _State
from pydantic import BaseModel

__all__ = ["MissingInput", "missing_inputs"]


class MissingInput(BaseModel):
    """A product the platform needs that no facility outside the failed set makes.

    ``makers`` are every facility of the data making it, ``later_makers`` those outside the
    failed set that come into service only after the date searched to; ``sentence`` says
    it in words, with each maker and why it does not count.
    """

    product: str
    makers: list[str]
    later_makers: list[str]
    sentence: str
    sources: list[str]
    confidence: str


@dataclass(frozen=True)
class _Search:
    """One question and the dates walked: what every platform's answer reads."""

    G: nx.MultiDiGraph
    rules: dict[str, Rule]
    specs: list[str]
    policy: str | None
    substitutions: bool
    failed: set[str]  # facility ids the specs fail
    horizon: dt.date
    after: list[dt.date]  # change dates after the horizon
    states: list[_State]


def _chain_products(G: nx.MultiDiGraph, platform: str, substitutions: bool
                    ) -> tuple[set[str], dict[str, set[str]]]:
    """The platform and the products of its bill of materials, all tiers, and for each the
    inputs that may stand in for it (``substitute_for`` lines, only with ``substitutions``)."""
    seen, alternatives, stack = {platform}, dict[str, set[str]](), [platform]
    while stack:
        for _, q, d in G.out_edges(stack.pop(), data=True):
            target = d.get("substitute_for")
            if d.get("kind") != EdgeKind.REQUIRES or (target is not None and not substitutions):
                continue
            if target is not None:
                alternatives.setdefault(str(target), set()).add(q)
            if q not in seen:
                seen.add(q)
                stack.append(q)
    return seen, alternatives


def _maker_note(q: _Search, maker: str, product: str) -> str:
    """One maker of a missing input, and why it does not count."""
    attrs = q.G.nodes[maker]
    country = attrs.get("country") or "no country"
    if maker in q.failed:
        return f"{maker} ({country}; failed in the scenario)"
    key = (attrs.get("country"), product)
    denial = next((s.denied[key] for s in q.states if key in s.denied), None)
    if denial is not None:
        return f"{maker} ({country}; shipments from {country} denied by {' '.join(denial)})"
    since = attrs.get("online_from")
    if isinstance(since, dt.date) and since > q.horizon:
        return f"{maker} ({country}; online from {since}, after {q.horizon})"
    return f"{maker} ({country}; not in service from {q.states[0].day} to {q.horizon})"


def _missing_input(q: _Search, product: str) -> MissingInput:
    G, makers = q.G, facilities_making(q.G, product)
    countries = sorted({c for s in q.states for c, p in s.denied if p == product})
    # the failed set in words: the specs as given (``country:`` dropped), the countries
    # whose shipments of the product the policy denies
    names = [spec.partition(":")[2] if spec.lower().startswith(("country:", "facility:"))
             else spec for spec in q.specs]
    who = ", ".join(dict.fromkeys([*names, *countries])) or "the failed set"
    sentence = (f"no facility outside {who} makes {product} at any date from "
                f"{q.states[0].day} to {q.horizon}; its makers in the data: "
                + "; ".join(_maker_note(q, m, product) for m in makers)
                if makers else f"no facility in the data makes {product}")
    later = [m for m in makers if m not in q.failed and G.nodes[m].get("country") not in
             countries and any(is_active(G.nodes[m], d) for d in q.after)]
    denying = {r for s in q.states for (_, p), (r, _) in s.denied.items() if p == product}
    sources = {str(x) for m in makers for x in G.nodes[m].get("sources", [])}
    sources |= {x for r in denying if r in q.rules for x in q.rules[r].sources}
    return MissingInput(product=product, makers=makers, later_makers=later, sentence=sentence,
                        sources=sorted(sources),
                        confidence=weakest([G.nodes[m].get("confidence", "documented")
                                            for m in makers]).value)


def missing_inputs(q: _Search, platform: str) -> list[MissingInput]:
    """The products of the platform's chain that no maker outside the failed set makes on
    any date walked (module docstring); one with a substitute made outside is not missing."""
    products, alternatives = _chain_products(q.G, platform, q.substitutions)
    lacking = {p for p in products if not any(
        m in s.net.index and m not in q.failed
        and (q.G.nodes[m].get("country"), p) not in s.denied
        for m in facilities_making(q.G, p) for s in q.states)}
    return [_missing_input(q, p) for p in sorted(lacking)
            if not alternatives.get(p, set()) - lacking]
