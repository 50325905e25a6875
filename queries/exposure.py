"""Exposure: which products reach matching facilities (witness paths), where-used, trace.

Everything here reads the *needed-supply graph* (:func:`supply_graph`): a plain
``networkx.DiGraph`` over facilities with an edge ``u -> v`` when ``u`` supplies ``v`` a
product ``v`` needs (``oretrace.graphmodel.supply_edges``), plus an edge from each facility making a
target product to that product's node. It is facility-level: a facility's output is taken
to carry everything it receives, as the feasibility model of DESIGN §3 reads it.

Confidence of a hop ``u -> v``: the weakest of the supply edge and the bill-of-materials
line that makes its product needed (the strongest such pair when several products flow).
A witness path's confidence is the weakest over its facilities and hops; an answer's
``confidence`` is that of its strongest witness, which is exactly the highest
``min_confidence`` at which the answer still holds. Ties between equally short paths are
broken by the graph's own order (facilities in the order of ``G``), never by set order, so
a supply graph built on a part of the facilities gives the same paths as the whole one.

:func:`find_exposed` and :func:`find_where_used` take ``backend``
(:mod:`oretrace.queries._dispatch`): ``compiled`` finds the facilities upstream of each
product (or downstream of the node) on the compiled form, and the witness paths on the
needed-supply graph read as arrays once per graph and date
(:mod:`oretrace.queries._exposure_hops`); both engines find the paths with networkx's own
search replayed on arrays (:mod:`oretrace.queries._exposure_yen`), so alike. The compiled
engine reads the network at a date, not above a confidence floor, so with
``min_confidence`` the networkx reference answers. ``neo4j``
answers in Cypher on a server (:mod:`oretrace.queries.native`), given a
:class:`~oretrace.queries._dispatch.Neo4jGraph`.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> from oretrace.queries.predicates import CN_TECHNOLOGY
>>> G = load_dataset(MINI)
>>> [e.paths for e in find_exposed(G, CN_TECHNOLOGY, as_of="2026-06-01")]
[[['cn-mine', 'cn-sep', 'jp-mag', 'us-comp', 'us-asm', 'missile']]]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, cast

import networkx as nx
from oretrace.graphmodel import Confidence, parse_date, restrict
from oretrace.graphmodel._docs import shared_docs
from oretrace.queries._dispatch import Neo4jGraph, dispatchable
from oretrace.queries._exposure_chains import (
    NO_CHAIN,
    ChainGap,
    _ChainCheck,
    _floored as _floored,  # native's
    _gaps as _gaps,  # native's
    find_broken_chains,
)
from oretrace.queries._exposure_graph import (
    _as_predicate,
    _check_k as _check_k,  # also native's
    _makers_of,
    makers,
    resolve_products,
    supply_graph,
)
from oretrace.queries._exposure_hops import path_sources
from oretrace.queries._exposure_paths import (
    _path_sources as _path_sources,  # also native's
    path_confidence,
    upstream_among,
    weakest_of,
    witness_paths,
    witnesses,
)
from oretrace.queries._exposure_reach import (
    _compiled_downstream,
    _compiled_upstream,
    _facilities_for,
)
from oretrace.queries._exposure_trace import effective_stage, trace
from oretrace.queries._exposure_yen import Hops
from oretrace.queries.predicates import ANY_CN, Predicate
from pydantic import BaseModel, Field

__all__ = [
    "NO_CHAIN",
    "ChainGap",
    "Dependant",
    "Exposure",
    "effective_stage",
    "find_broken_chains",
    "find_exposed",
    "find_where_used",
    "makers",
    "path_confidence",
    "resolve_products",
    "supply_graph",
    "trace",
    "witness_paths",
]


class _Witnessed(BaseModel):
    """The fields :class:`Exposure` and :class:`Dependant` share, after their own ones: the
    witness paths with their confidence, the answer's confidence and sources, its status and
    ``gaps`` (where its chains break when none is left at the floor)."""

    paths: list[list[str]]
    path_confidence: list[Confidence]
    confidence: Confidence
    sources: list[str]
    status: str
    gaps: list[ChainGap] = Field(default_factory=list)


class _ExposureOwn(BaseModel):
    """:class:`Exposure`'s own fields (a base, so that they come before the shared ones)."""

    platform: str
    name: str | None
    predicate: str
    as_of: dt.date
    through: list[str]


class _DependantOwn(BaseModel):
    """:class:`Dependant`'s own fields (a base, so that they come before the shared ones)."""

    node: str
    platform: str
    name: str | None
    as_of: dt.date
    via: list[str]


class Exposure(_Witnessed, _ExposureOwn):
    """A product whose needed supply reaches facilities matching a predicate.

    Under a confidence floor, a product that is not exposed *and* has no supply chain left
    at that level is listed too, with ``status`` ``no_chain_at_level``: "not exposed" is
    then not an answer the evidence at that level can give. Such an entry has no
    ``through`` or ``paths``; ``gaps`` says where its chains break, and ``confidence`` is
    the floor.
    """

    status: Literal["exposed", "no_chain_at_level"] = "exposed"


class Dependant(_Witnessed, _DependantOwn):
    """A product that depends on ``node`` (through the facilities in ``via``).

    Under a confidence floor, a product that does not depend on ``node`` at that level and
    has no supply chain left there is listed with ``status`` ``no_chain_at_level``, as in
    :class:`Exposure`.
    """

    status: Literal["depends", "no_chain_at_level"] = "depends"


# --------------------------------------------------------------------------- answers

#: Reads the sources of witness paths (of the graph they were found on).
_Sources = Callable[[list[list[str]]], list[str]]


@dataclass(frozen=True)
class _Asked:
    """What one call asks, read and checked once: the date, the products, the dated (and
    floored) view and the number of paths."""

    G: nx.MultiDiGraph
    day: dt.date
    targets: list[str]
    V: nx.MultiDiGraph
    k: int
    floor: str | Confidence | None

    @classmethod
    def read(cls, G: nx.MultiDiGraph, *, as_of: str | dt.date | None = None, k: int = 3,
             min_confidence: str | Confidence | None = None,
             products: str | Iterable[str] | None = None) -> _Asked:
        _check_k(k)
        day = parse_date(as_of)
        targets = resolve_products(G, products)
        V = restrict(G, as_of=day, min_confidence=min_confidence)
        return cls(G, day, targets, V, k, min_confidence)

    def answers(self, hops: Hops, reached: dict[str, set[str]], *, starts: bool,
                fallback: Confidence | None, sources_of: _Sources
                ) -> dict[str, dict[str, Any]]:
        """The fields common to both answers, per product asked for, in order: paths on
        ``hops`` (the needed-supply graph's arrays) from the facilities ``reached`` (per
        product; from them when ``starts``, else from where supply begins) or, without any,
        the no-chain entry under a floor (others left out). ``fallback`` is the confidence
        of an answer without paths (``None``: the weakest of its reached facilities);
        ``sources_of`` reads the sources of paths."""
        check = _ChainCheck(self.G, self.day, self.floor,
                            _makers_of(self.V, self.targets) if self.floor is not None else {})
        out: dict[str, dict[str, Any]] = {}
        for target in self.targets:
            common = {"platform": target, "name": self.G.nodes[target].get("name"),
                      "as_of": self.day}
            hits = reached.get(target, set())
            if not hits:
                gaps = check.gaps(target)
                if gaps is not None and check.floor is not None:
                    out[target] = {**common, "paths": [], "path_confidence": [],
                                   "confidence": check.floor, "sources": [],
                                   "status": NO_CHAIN, "gaps": gaps}
                continue
            found = witnesses(hops, target, [hits], self.k, starts=hits if starts else None
                              ) if target in hops.index else []
            paths = [p for p, _ in found]
            level = found[0][1] if found else fallback or weakest_of(hops, hits)
            out[target] = {**common, "paths": paths, "path_confidence": [c for _, c in found],
                           "confidence": level, "sources": sources_of(paths)}
        return out


def _exposures(ask: _Asked, pred: Predicate, hops: Hops, upstream_of: dict[str, set[str]],
               matched: set[str], sources_of: _Sources) -> list[Exposure]:
    """:func:`find_exposed`'s answer from ``hops`` and the facilities upstream of each
    product."""
    through = {t: up & matched for t, up in upstream_of.items()}
    return [Exposure(**fields, predicate=pred.name,
                     through=sorted(through.get(t, ())) if "gaps" not in fields else [])
            for t, fields in ask.answers(hops, through, starts=False, fallback=None,
                                         sources_of=sources_of).items()]


def _dependants(ask: _Asked, node: str, hops: Hops, via: set[str], sources_of: _Sources
                ) -> list[Dependant]:
    """:func:`find_where_used`'s answer from ``hops`` (hops leaving ``via`` already limited
    to the product ``node`` names, if one) and ``node``'s facilities in it."""
    # compiled: a target not in hops is not downstream of ``node`` at all
    upstream = upstream_among(hops, [t for t in ask.targets if t in hops.index], via)
    return [Dependant(**fields, node=node,
                      via=sorted(upstream.get(t, ())) if "gaps" not in fields else [])
            for t, fields in ask.answers(hops, upstream, starts=True,
                                         fallback=Confidence.ILLUSTRATIVE,
                                         sources_of=sources_of).items()]


def _on_graph(H: nx.DiGraph) -> tuple[Hops, _Sources]:
    """The arrays of the needed-supply graph ``H`` and the sources of paths in it."""
    return Hops.of(H), partial(_path_sources, H)


# --------------------------------------------------------------------------- queries


@dispatchable()
@shared_docs
def find_exposed(
    G: nx.MultiDiGraph,
    predicate: Predicate | str = ANY_CN,
    *,
    as_of: str | dt.date | None = None,
    k: int = 3,
    min_confidence: str | Confidence | None = None,
    products: str | Iterable[str] | None = None,
) -> list[Exposure]:
    """Return every product whose needed supply reaches a facility matching ``predicate``.

    Parameters
    ----------
    %(G)s
    predicate : Predicate or str
        What to look for: a :class:`oretrace.queries.predicates.Predicate` or its name
        (``cn-processing``, ``cn-owned``, ``cn-technology``, ``any``; ``a|b``, ``a&b``).
    %(as_of)s
    k : int
        The most witness paths to return per product (default 3).
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level first. A product that is then
        not exposed and has no supply chain left at that level (no supply whose every hop
        is that strong, :func:`find_broken_chains`) is reported with ``status``
        ``no_chain_at_level`` rather than left out.
    %(products)s
    %(backend)s

    Returns
    -------
    list of Exposure
        One per exposed product: ``through`` (matching facilities upstream), ``paths``
        (start of supply → … → product, strongest first), their confidence, the exposure's
        ``confidence`` (its strongest path) and the sources the paths rest on. Under
        ``min_confidence``, also one per product with no chain left at that level
        (``status`` ``no_chain_at_level``, ``gaps`` where its chains break), in the order
        of the products.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> [(e.platform, e.through) for e in find_exposed(G, "cn-processing")]
    [('missile', ['cn-sep'])]
    >>> find_exposed(G, "cn-processing", products=["F-53"])
    Traceback (most recent call last):
    ...
    oretrace.graphmodel.errors.UnknownNodeError: no product with id 'F-53'
    """
    pred = _as_predicate(predicate)
    ask = _Asked.read(G, as_of=as_of, k=k, min_confidence=min_confidence, products=products)
    H = supply_graph(ask.V, targets=ask.targets)
    hops, sources_of = _on_graph(H)
    return _exposures(ask, pred, hops, {t: nx.ancestors(H, t) for t in ask.targets},
                      pred.select(ask.V), sources_of)


def _find_exposed_compiled(G: nx.MultiDiGraph, predicate: Predicate | str = ANY_CN,
                           **options: Any) -> list[Exposure]:
    """:func:`find_exposed` on the compiled form: reach there, paths on what it reaches."""
    pred = _as_predicate(predicate)
    ask = _Asked.read(G, **options)
    hops, upstream_of, matched = _compiled_upstream(G, ask.V, ask.day, ask.targets, pred)
    return _exposures(ask, pred, hops, upstream_of, matched,
                      partial(path_sources, G, ask.day, hops))


def _find_exposed_neo4j(G: Neo4jGraph, predicate: Predicate | str = ANY_CN,
                        **options: Any) -> list[Exposure]:
    """:func:`find_exposed` in Cypher on the server holding ``G``'s dataset."""
    from oretrace.queries.native import exposed  # it imports this module

    return exposed(G, predicate, **options)


@dispatchable()
@shared_docs
def find_where_used(
    G: nx.MultiDiGraph,
    node: str,
    *,
    as_of: str | dt.date | None = None,
    k: int = 3,
    min_confidence: str | Confidence | None = None,
    products: str | Iterable[str] | None = None,
) -> list[Dependant]:
    """Return the platforms (or ``products``) whose needed supply depends on ``node``.

    ``node`` may be a facility; a company (the facilities it or its ≥ 50 %-controlled
    subsidiaries operate); a technology (the facilities running it); or a product (the
    facilities making it, whose first hop must carry that product). Paths run from
    ``node``'s facilities down to the platform, strongest first.

    Parameters
    ----------
    %(G)s
    node : str
        The id of a facility, company, technology or product.
    %(as_of)s
    k : int
        The most witness paths to return per product (default 3).
    min_confidence : {"documented", "reported", "estimated", "illustrative"}, optional
        Drop facilities and links weaker than this level first; a product that does not
        then depend on ``node`` and has no supply chain left at that level is listed with
        ``status`` ``no_chain_at_level``, as in :func:`find_exposed`.
    %(products)s
    %(backend)s

    Returns
    -------
    list of Dependant
        One per dependent product: ``via`` (``node``'s facilities on its supply), ``paths``
        (from them down to the product, strongest first) with their confidence, the
        dependant's ``confidence`` (its strongest path), ``sources`` and ``status``.

    Raises
    ------
    UnknownNodeError
        When ``node`` or a product id names no such node; the message lists close matches.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> [(d.platform, d.via, d.paths) for d in find_where_used(G, "cn-sx", as_of="2026-01-01")]
    [('missile', ['cn-sep'], [['cn-sep', 'jp-mag', 'us-comp', 'us-asm', 'missile']])]
    """
    facilities, carried = _facilities_for(G, node)
    ask = _Asked.read(G, as_of=as_of, k=k, min_confidence=min_confidence, products=products)
    H = supply_graph(ask.V, targets=ask.targets)
    via = {f for f in facilities if f in H}
    if carried is not None:  # a product: only hops carrying it leave its makers
        H.remove_edges_from([(u, v) for u, v, d in H.out_edges(via, data=True)
                             if carried not in d["products"]])
    hops, sources_of = _on_graph(H)
    return _dependants(ask, node, hops, via, sources_of)


def _find_where_used_compiled(G: nx.MultiDiGraph, node: str, **options: Any
                              ) -> list[Dependant]:
    """:func:`find_where_used` on the compiled form: reach there, paths on what it reaches."""
    facilities, carried = _facilities_for(G, node)
    ask = _Asked.read(G, **options)
    hops, via = _compiled_downstream(G, ask.V, ask.day, ask.targets, facilities, carried)
    return _dependants(ask, node, hops, via, partial(path_sources, G, ask.day, hops))


def _find_where_used_neo4j(G: Neo4jGraph, node: str, **options: Any) -> list[Dependant]:
    """:func:`find_where_used` in Cypher on the server holding ``G``'s dataset."""
    from oretrace.queries.native import where_used  # it imports this module

    return where_used(G, node, **options)


# The other backends of each query (:mod:`oretrace.queries._dispatch`); the compiled form
# reads the network at a date, not above a confidence floor.
_FLOOR = ("min_confidence",)
cast(Any, find_exposed).register("compiled", unsupported=_FLOOR)(_find_exposed_compiled)
cast(Any, find_exposed).register("neo4j")(_find_exposed_neo4j)
cast(Any, find_where_used).register("compiled", unsupported=_FLOOR)(_find_where_used_compiled)
cast(Any, find_where_used).register("neo4j")(_find_where_used_neo4j)
