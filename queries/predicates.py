"""Predicates that mark facilities: Chinese processing, Chinese ownership, Chinese technology.

A :class:`Predicate` selects a set of facility ids from a graph (usually a time-sliced view,
so ownership and facilities are read as of a date). Predicates compose with ``|``, ``&`` and
``~`` into new predicates.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> G = load_dataset()
>>> "cn-separation-pool" in CN_PROCESSING.select(G)
True
>>> (CN_PROCESSING | CN_TECHNOLOGY).name
'cn-processing|cn-technology'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Union

import networkx as nx
from oretrace.graphmodel import QueryError
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.ownership import held_companies
from oretrace.graphmodel.vocab import PROCESSING_STAGES, EdgeKind, NodeKind, Stage

__all__ = [
    "ANY_CN",
    "CN_MINING",
    "CN_OWNED",
    "CN_PROCESSING",
    "CN_TECHNOLOGY",
    "PREDICATES",
    "AllOf",
    "AnyOf",
    "Located",
    "Not",
    "OwnedBy",
    "Predicate",
    "Spec",
    "UsesTechnologyFrom",
    "controlled_companies",
    "located_in",
    "owned_by",
    "predicate",
    "select_facilities",
    "uses_technology_from",
]

# --------------------------------------------------------------------------- specs
# A predicate built from the atoms below is data: the networkx engine reads it
# (:func:`select_facilities`), the Cypher engine translates the same tree (``queries.native``).


@dataclass(frozen=True)
class _AtStages:
    country: str
    stages: frozenset[str] | None = None


@dataclass(frozen=True)
class Located(_AtStages):
    """Facilities in ``country`` at one of ``stages`` (any stage when ``None``)."""


@dataclass(frozen=True)
class OwnedBy:
    """Facilities whose operator is an entity of ``country`` (:func:`controlled_companies`)."""

    country: str
    threshold: float = 0.5


@dataclass(frozen=True)
class UsesTechnologyFrom(_AtStages):
    """Facilities running a technology of ``country`` at one of ``stages`` (any if ``None``)."""


@dataclass(frozen=True)
class AnyOf:
    """Facilities matching at least one of ``parts``."""

    parts: tuple[Spec, ...]


@dataclass(frozen=True)
class AllOf:
    """Facilities matching every one of ``parts``."""

    parts: tuple[Spec, ...]


@dataclass(frozen=True)
class Not:
    """Facilities not matching ``part``."""

    part: Spec


#: A predicate as data: an atom, or atoms combined by any/all/not.
Spec = Union[Located, OwnedBy, UsesTechnologyFrom, AnyOf, AllOf, Not]  # noqa: UP007


def select_facilities(spec: Spec, G: nx.MultiDiGraph) -> set[str]:
    """Return the ids of the facilities of ``G`` that ``spec`` matches.

    Parameters
    ----------
    spec : Spec
        The predicate as data.
    G : networkx.MultiDiGraph
        The oretrace graph, or a view of it as of a date (not mutated).

    Returns
    -------
    set of str
        The facilities of ``G`` that ``spec`` matches.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> sorted(select_facilities(Not(Located("CN")), load_dataset(MINI)))
    ['jp-mag', 'us-asm', 'us-comp', 'us-mine', 'us-sep']
    """
    if isinstance(spec, AnyOf):
        return set().union(*(select_facilities(p, G) for p in spec.parts))
    if isinstance(spec, AllOf):
        return set.intersection(*(select_facilities(p, G) for p in spec.parts))
    if isinstance(spec, Not):
        return _facilities(G) - select_facilities(spec.part, G)
    if isinstance(spec, Located):
        return {n for n, d in G.nodes(data=True)
                if d.get("kind") == NodeKind.FACILITY and d.get("country") == spec.country
                and (spec.stages is None or d.get("stage") in spec.stages)}
    if isinstance(spec, OwnedBy):
        controlled = controlled_companies(G, spec.country, spec.threshold)
        return {n for n, d in G.nodes(data=True)
                if d.get("kind") == NodeKind.FACILITY and d.get("company") in controlled}
    return {u for u, v, d in G.edges(data=True)
            if d.get("kind") == EdgeKind.USES
            and G.nodes[v].get("origin_country") == spec.country
            and (spec.stages is None or G.nodes[v].get("stage") in spec.stages)}


# --------------------------------------------------------------------------- predicates


@dataclass(frozen=True)
class Predicate:
    """A named test of facilities; ``select(G)`` returns the facility ids that match.

    Built from the atoms of this module it carries its ``spec`` (the test as data, which
    every engine reads); a custom test is a function of the graph instead.
    """

    name: str
    _select: Callable[[nx.MultiDiGraph], set[str]] | None = None
    spec: Spec | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if (self._select is None) == (self.spec is None):
            raise QueryError(f"predicate {self.name!r} needs either a test function or a "
                             "spec, not both or neither")

    def select(self, G: nx.MultiDiGraph) -> set[str]:
        """Return the ids of the facilities of ``G`` that match.

        Parameters
        ----------
        G : networkx.MultiDiGraph
            The oretrace graph, or a view of it as of a date (ownership and technology use are
            read as they stand in it; not mutated).

        Returns
        -------
        set of str
            The ids of the matching facilities.

        Examples
        --------
        >>> from oretrace.loaders import load_dataset
        >>> sorted(CN_PROCESSING.select(load_dataset(MINI)))
        ['cn-sep']
        """
        if self.spec is not None:
            return select_facilities(self.spec, G)
        assert self._select is not None
        return self._select(G)

    def __or__(self, other: Predicate) -> Predicate:
        return _combine(self, other, "|")

    def __and__(self, other: Predicate) -> Predicate:
        return _combine(self, other, "&")

    def __invert__(self) -> Predicate:
        name = f"~{_operand(self.name, '~')}"
        if self.spec is not None:
            return Predicate(name, spec=Not(self.spec))
        return Predicate(name, lambda G: _facilities(G) - self.select(G))


def _top(name: str) -> str:
    """The operator a predicate name applies last: ``|``, ``&``, ``~`` or ``""`` (a name)."""
    depth, found = 0, ""
    for char in name:
        depth += (char == "(") - (char == ")")
        if depth == 0 and char == "|":
            return "|"
        if depth == 0 and char == "&":
            found = "&"
    return found or ("~" if name.startswith("~") else "")


def _operand(name: str, op: str) -> str:
    """``name`` as an operand of ``op``, in parentheses where the grammar needs them."""
    binds = {"|": 0, "&": 1, "~": 2, "": 3}
    return f"({name})" if binds[_top(name)] < binds[op] else name


def _combine(a: Predicate, b: Predicate, op: str) -> Predicate:
    name = f"{_operand(a.name, op)}{op}{_operand(b.name, op)}"
    if a.spec is not None and b.spec is not None:
        group = AnyOf if op == "|" else AllOf
        parts = [*(a.spec.parts if isinstance(a.spec, group) else (a.spec,)),
                 *(b.spec.parts if isinstance(b.spec, group) else (b.spec,))]
        return Predicate(name, spec=group(tuple(parts)))
    if op == "|":
        return Predicate(name, lambda G: a.select(G) | b.select(G))
    return Predicate(name, lambda G: a.select(G) & b.select(G))


def _facilities(G: nx.MultiDiGraph) -> set[str]:
    return {n for n, k in G.nodes(data="kind") if k == NodeKind.FACILITY}


@shared_docs
def located_in(country: str, stages: frozenset[str] | None = None, *,
               name: str | None = None) -> Predicate:
    """Return the predicate matching facilities in ``country`` at one of ``stages``.

    Markets count per their own stage: a market node is matched only when ``stages`` is
    ``None`` or includes ``market``.

    Parameters
    ----------
    %(country)s
    stages : frozenset of str, optional
        The stages that count (``separation``, ``magnet`` …); ``None`` (the default): any.
    %(predicate_name)s

    Returns
    -------
    Predicate
        Named ``in-<country>`` or ``in-<country>-<stage>+<stage>…`` unless ``name`` is given.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> sorted(located_in("CN").select(G))
    ['cn-mine', 'cn-sep']
    >>> sorted(located_in("CN", frozenset({"separation"})).select(G))
    ['cn-sep']
    """
    label = name or (f"in-{country.lower()}" if stages is None
                     else f"in-{country.lower()}-{'+'.join(sorted(stages))}")
    return Predicate(label, spec=Located(country, stages))


@shared_docs
def controlled_companies(G: nx.MultiDiGraph, country: str, threshold: float = 0.5) -> set[str]:
    """Return the companies that count as entities of ``country``.

    A company is an entity of ``country`` when it is registered there, or when entities of
    ``country`` together hold at least ``threshold`` of it (the 50 % affiliate reading of
    MOFCOM No. 61 §II and the US affiliates rule): holdings of all such entities add up,
    and a company that is itself controlled counts with its whole holding, not pro rata.
    Solved as a least fixed point over the ``owns`` edges present in ``G``.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph, or a view of it as of a date (ownership is read as it stands).
    %(country)s
    threshold : float
        The combined share (0-1) of ``country``'s entities from which a company counts as one
        of them (default 0.5).

    Returns
    -------
    set of str
        The ids of the companies that count as entities of ``country``.

    Examples
    --------
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", kind="company", country="CN")
    >>> G.add_node("b", kind="company", country="SG")
    >>> G.add_node("c", kind="company", country="US")
    >>> _ = G.add_edge("a", "b", key="owns", kind="owns", share=0.5)
    >>> _ = G.add_edge("b", "c", key="owns", kind="owns", share=0.5)
    >>> sorted(controlled_companies(G, "CN"))
    ['a', 'b', 'c']
    """
    companies = {n for n, k in G.nodes(data="kind") if k == NodeKind.COMPANY}
    controlled = {c for c in companies if G.nodes[c].get("country") == country}
    holders: dict[str, list[tuple[str, float]]] = {}
    for u, v, d in G.edges(data=True):
        if d.get("kind") == EdgeKind.OWNS and v in companies:
            holders.setdefault(v, []).append((u, float(d.get("share", 0.0))))
    return controlled | set(held_companies(holders, controlled, threshold))


@shared_docs
def owned_by(country: str, threshold: float = 0.5, *, name: str | None = None) -> Predicate:
    """Return the predicate matching facilities whose operator is an entity of ``country``.

    An operator is an entity of ``country`` as :func:`controlled_companies` reads it.
    A facility with no operator but located in ``country`` does not match: ownership is
    about companies; use :func:`located_in` for location.

    Parameters
    ----------
    %(country)s
    threshold : float
        The combined share (0-1) of ``country``'s entities from which an operator counts as
        one of them (default 0.5).
    %(predicate_name)s

    Returns
    -------
    Predicate
        Named ``<country>-owned`` unless ``name`` is given; a ``threshold`` other than 0.5
        does not change the name.

    Examples
    --------
    In the mini dataset Chinese Co holds 10 % of US Co, well under half:

    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> sorted(owned_by("CN").select(G))
    ['cn-mine', 'cn-sep']
    >>> sorted(owned_by("CN", threshold=0.1).select(G))
    ['cn-mine', 'cn-sep', 'us-asm', 'us-comp', 'us-mine', 'us-sep']
    """
    return Predicate(name or f"{country.lower()}-owned", spec=OwnedBy(country, threshold))


@shared_docs
def uses_technology_from(country: str, stages: frozenset[str] | None = None, *,
                         name: str | None = None) -> Predicate:
    """Return the predicate matching facilities that run a technology from ``country``.

    Parameters
    ----------
    %(country)s
    stages : frozenset of str, optional
        The technology stages that count (``separation``, ``sintering`` …); ``None`` (the
        default): any.
    %(predicate_name)s

    Returns
    -------
    Predicate
        Named ``<country>-technology`` unless ``name`` is given, whatever the ``stages``.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> sorted(uses_technology_from("CN").select(G))
    ['cn-sep']
    """
    return Predicate(name or f"{country.lower()}-technology",
                     spec=UsesTechnologyFrom(country, stages))


#: A facility located in China at a processing stage (separation, metal, alloy, magnet,
#: recycling). Mines and markets count per their own stage: they are not processing.
CN_PROCESSING = located_in("CN", PROCESSING_STAGES, name="cn-processing")
#: A facility whose operator is a Chinese entity under the 50 % affiliate reading.
CN_OWNED = owned_by("CN", name="cn-owned")
#: A facility that runs a technology of Chinese origin.
CN_TECHNOLOGY = uses_technology_from("CN", name="cn-technology")
#: Any of the three.
ANY_CN = Predicate("any", spec=(CN_PROCESSING | CN_OWNED | CN_TECHNOLOGY).spec)
#: A Chinese mine (mining is not processing, but origin rules read it).
CN_MINING = located_in("CN", frozenset({Stage.MINE, Stage.CONCENTRATION}), name="cn-mining")

#: Predicates by the names the CLI accepts.
PREDICATES: dict[str, Predicate] = {
    p.name: p for p in (CN_PROCESSING, CN_OWNED, CN_TECHNOLOGY, ANY_CN, CN_MINING)
}


def predicate(name: str) -> Predicate:
    """Return the predicate called ``name``; combine names with ``|``, ``&``, ``~`` and ``()``.

    This is the one grammar of predicate names, which every engine reads: ``|`` (any of
    them) binds looser than ``&`` (all of them), ``~`` (not) binds tightest, parentheses
    group; spaces around names are ignored. A combined predicate's name is written back in
    the same grammar, so ``predicate(p.name)`` is ``p`` again.

    Parameters
    ----------
    name : str
        A name of :data:`PREDICATES` (``cn-processing``, ``cn-owned``, ``cn-technology``,
        ``cn-mining``, ``any``), or names combined by the operators above.

    Returns
    -------
    Predicate
        The named predicate, or their combination (its ``spec`` combines theirs).

    Raises
    ------
    QueryError
        When a name is not one of :data:`PREDICATES`, or the operators do not parse.

    Examples
    --------
    >>> predicate("cn-processing|cn-owned").name
    'cn-processing|cn-owned'
    >>> predicate("~(cn-processing | cn-owned) & cn-technology").name
    '~(cn-processing|cn-owned)&cn-technology'
    """
    return _Parser(name).parse()


class _Parser:
    """Recursive descent over ``or := and ('|' and)*``, ``and := not ('&' not)*``,
    ``not := '~' not | atom``, ``atom := NAME | '(' or ')'``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [t.strip() for t in re.split(r"([|&~()])", text) if t.strip()]
        self.at = 0

    def _fail(self, what: str) -> QueryError:
        where = "the end" if self.at >= len(self.tokens) else repr(self.tokens[self.at])
        return QueryError(f"predicate {self.text!r}: expected {what} at {where}; combine "
                          f"names of {', '.join(PREDICATES)} with |, &, ~ and ( )")

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def parse(self) -> Predicate:
        out = self._or()
        if self._peek() is not None:
            raise self._fail("an operator | or &")
        return out

    def _or(self) -> Predicate:
        out = self._and()
        while self._peek() == "|":
            self.at += 1
            out = out | self._and()
        return out

    def _and(self) -> Predicate:
        out = self._not()
        while self._peek() == "&":
            self.at += 1
            out = out & self._not()
        return out

    def _not(self) -> Predicate:
        if self._peek() == "~":
            self.at += 1
            return ~self._not()
        return self._atom()

    def _atom(self) -> Predicate:
        token = self._peek()
        if token == "(":
            self.at += 1
            out = self._or()
            if self._peek() != ")":
                raise self._fail("')'")
            self.at += 1
            return out
        if token is None or token in "|&~)":
            raise self._fail("a predicate name")
        if token not in PREDICATES:
            raise QueryError(f"unknown predicate {token!r}; choose from {', '.join(PREDICATES)}")
        self.at += 1
        return PREDICATES[token]
