"""Predicates on the server: the spec of :mod:`oretrace.queries.predicates`, as Cypher.

A predicate is data (:data:`~oretrace.queries.predicates.Spec`): it is written as one Cypher
condition on a facility, its values passed as parameters. Only the 50 % ownership fixed
point runs in Python: the company/owns subgraph (small) is pulled and
:func:`~oretrace.queries.predicates.controlled_companies` reused, and the controlled
companies enter the condition as a parameter.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from oretrace.graphmodel import QueryError
from oretrace.graphmodel.timeslice import LINK_WINDOW
from oretrace.graphmodel.vocab import EdgeKind, NodeKind
from oretrace.queries._native_cypher import FACILITIES, Q_COMPANIES, Q_OWNS, active, strong
from oretrace.queries._native_store import Store
from oretrace.queries.predicates import (
    AllOf,
    AnyOf,
    Located,
    Not,
    OwnedBy,
    Predicate,
    Spec,
    controlled_companies,
    predicate,
)

__all__ = ["owners_graph", "select", "spec_of", "where"]


def spec_of(value: Predicate | str) -> tuple[str, Spec]:
    """The name and spec of a predicate, or of a name read by the one grammar
    (:func:`oretrace.queries.predicates.predicate`, whose errors it raises)."""
    pred = predicate(value) if isinstance(value, str) else value
    if pred.spec is None:
        raise QueryError(f"predicate {pred.name!r} is a custom test with no native form: "
                         "build it from located_in, owned_by and uses_technology_from "
                         "(combined with |, & and ~), or use the networkx backend")
    return pred.name, pred.spec


def owners_graph(store: Store, *, all_links: bool) -> nx.MultiDiGraph:
    """The company/owns subgraph (at the date and floor, or every link ever)."""
    probe = nx.MultiDiGraph()
    for row in store.read(Q_COMPANIES):
        probe.add_node(row["id"], kind=NodeKind.COMPANY, country=row["country"])
    for row in store.read(Q_OWNS, all_links=all_links):
        probe.add_edge(row["u"], row["v"], kind=EdgeKind.OWNS,
                       share=row["share"] if row["share"] is not None else 0.0)
    return probe


class _Where:
    """A spec written as one condition on facility ``f``; every value a parameter."""

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self.params: dict[str, Any] = {}
        self._owners: nx.MultiDiGraph | None = None

    def value(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def stages(self, prop: str, stages: frozenset[str] | None) -> str:
        if stages is None:
            return ""
        return f" AND coalesce({prop} IN {self.value(sorted(str(s) for s in stages))}, false)"

    def companies(self, spec: OwnedBy) -> list[str]:
        if self.store is None:
            return []
        if self._owners is None:
            self._owners = owners_graph(self.store, all_links=False)
        return sorted(controlled_companies(self._owners, spec.country, spec.threshold))

    def condition(self, spec: Spec) -> str:
        if isinstance(spec, AnyOf | AllOf):
            word = " OR " if isinstance(spec, AnyOf) else " AND "
            return f"({word.join(self.condition(p) for p in spec.parts)})"
        if isinstance(spec, Not):
            return f"NOT {self.condition(spec.part)}"
        if isinstance(spec, Located):
            return (f"(coalesce(f.country = {self.value(spec.country)}, false)"
                    f"{self.stages('f.stage', spec.stages)})")
        if isinstance(spec, OwnedBy):
            return f"coalesce(f.company IN {self.value(self.companies(spec))}, false)"
        return ("EXISTS { MATCH (f)-[u:USES]->(t:Technology) WHERE "
                f"coalesce(t.origin_country = {self.value(spec.country)}, false)"
                f"{self.stages('t.stage', spec.stages)} AND {active('u', LINK_WINDOW)} "
                f"AND {strong('u')} AND {active('t', LINK_WINDOW)} }}")


def where(spec: Spec, store: Store | None = None) -> tuple[str, dict[str, Any]]:
    """The Cypher query selecting the present facilities ``spec`` matches, and its values.

    Without a ``store`` the companies of an ownership atom are left empty (the text alone).
    """
    text = _Where(store)
    condition = text.condition(spec)
    return (f"MATCH {FACILITIES} WHERE {active('f')} AND {condition} RETURN f.id AS id",
            text.params)


def select(store: Store, spec: Spec) -> set[str]:
    """The ids of the facilities present in ``store`` that ``spec`` matches."""
    query, params = where(spec, store)
    return set(store.ids(query, **params))
