"""One dispatch for the engines: a query's ``backend=`` keyword, as networkx's ``_dispatchable``.

A public query is written once as plain networkx code, the readable reference, and decorated
with :func:`dispatchable`. Faster forms of the same query register beside it:

- ``"compiled"``: the array engine (``oretrace.queries._compiled_*``), same answers on big graphs;
- ``"neo4j"``: Cypher run on a server, given a :class:`Neo4jGraph` where the graph goes.

Every caller chooses with one keyword, ``backend``:

- ``"auto"`` (the default): ``neo4j`` when the graph is a :class:`Neo4jGraph`; else
  ``compiled`` when one is registered, the graph has at least :data:`COMPILED_MIN_EDGES`
  edges and no option the compiled form does not read is set; else ``networkx``;
- ``"networkx"``, ``"compiled"``, ``"neo4j"``: that implementation, or a
  :class:`oretrace.graphmodel.QueryError` saying why it cannot answer.

The choice is logged at DEBUG on the ``oretrace.dispatch`` logger (fields ``query`` and
``backend``); there is no process-global counter. Per-graph caches (the compiled form) live in
the graph's own ``__networkx_cache__`` (:func:`graph_cache`), which networkx clears when the
graph's structure changes.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, cast

from oretrace.graphmodel import QueryError
from oretrace.graphmodel._keywords import unpacked_keywords

__all__ = [
    "BACKENDS",
    "COMPILED_MIN_EDGES",
    "Backend",
    "Dispatched",
    "Neo4jGraph",
    "chosen_backend",
    "dispatchable",
    "graph_cache",
]

#: Which implementation answers a query (see the module docstring).
Backend = Literal["auto", "networkx", "compiled", "neo4j"]
#: The backends a query accepts.
BACKENDS: tuple[str, ...] = ("auto", "networkx", "compiled", "neo4j")
#: From this many edges, ``auto`` picks the compiled form where a query has one.
COMPILED_MIN_EDGES = 50_000

_log = logging.getLogger("oretrace.dispatch")
_R = TypeVar("_R")
_R_co = TypeVar("_R_co", covariant=True)


class Dispatched(Protocol[_R_co]):
    """A query made by :func:`dispatchable`: call it with ``backend=``, add forms with
    ``register``."""

    def __call__(self, G: Any, /, *args: Any, backend: str = "auto", **kwargs: Any) -> _R_co:
        """Answer on the backend chosen for this call."""

    def register(self, backend: str, *, unsupported: Sequence[str] = ()
                 ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Return a decorator adding the ``backend`` form of this query."""


@dataclass(frozen=True)
class Neo4jGraph:
    """A dataset on a Neo4j server, passed where a graph goes so that a query runs natively.

    Parameters
    ----------
    driver : neo4j.Driver
        An open driver (``oretrace.graphmodel.backends.neo4j.connect``).
    dataset : str
        The dataset name the graph was pushed under.
    """

    driver: Any
    dataset: str = "oretrace"


def graph_cache(G: Any, key: str) -> dict[Any, Any]:
    """Return this graph's cache for ``key``, kept in networkx's per-graph cache.

    networkx empties ``G.__networkx_cache__`` when nodes or edges are added or removed, so an
    entry never outlives the structure it was computed from.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The graph the cached values describe.
    key : str
        A namespaced key, e.g. ``"oretrace.compiled"``.

    Returns
    -------
    dict
        The (possibly new, empty) cache for ``key``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> graph_cache(G, "doctest")["x"] = 1
    >>> G.add_edge("a", "b")
    0
    >>> graph_cache(G, "doctest")
    {}
    """
    store = getattr(G, "__networkx_cache__", None)
    if store is None:  # a graph-like without networkx's cache: nothing to keep it in
        return {}
    return cast(dict[Any, Any], store.setdefault(key, {}))


def kept_on(G: Any, key: str) -> dict[Any, Any]:
    """:func:`graph_cache` for a graph; for a view (frozen), a fresh dict each call, as the
    graph under a view may change without emptying the view's cache."""
    return {} if getattr(G, "frozen", False) else graph_cache(G, key)


class _Registry:
    """The implementations of one query, by backend, and the options each cannot read."""

    def __init__(self, name: str, reference: Callable[..., Any]) -> None:
        self.name = name
        self.impls: dict[str, Callable[..., Any]] = {"networkx": reference}
        self.unsupported: dict[str, tuple[str, ...]] = {"networkx": ()}
        self.signature = inspect.signature(reference)

    def bind(self, G: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
             ) -> dict[str, Any]:
        """The call's arguments by name, checked against the reference's signature whichever
        backend answers: a misspelt or missing argument is a ``TypeError``, as Python's own
        (a faster form taking ``**scenario`` would otherwise pass it over)."""
        try:
            return self.signature.bind(G, *args, **kwargs).arguments
        except TypeError as e:
            raise TypeError(f"{self.name}() {e}") from None

    def set_options(self, backend: str, given: dict[str, Any]) -> list[str]:
        """The options of this call (``given``, by name), among those ``backend`` does not
        read, set away from their defaults."""
        params = self.signature.parameters
        return [n for n in self.unsupported.get(backend, ())
                if n in given and given[n] != params[n].default]

    def choose(self, G: Any, backend: str, args: tuple[Any, ...], kwargs: dict[str, Any]
               ) -> str:
        """The backend that answers this call (see the module docstring)."""
        given = self.bind(G, args, kwargs)
        if backend not in BACKENDS:
            raise QueryError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
        on_server = isinstance(G, Neo4jGraph)
        if on_server or backend == "neo4j":
            return self._native(on_server, backend)
        if backend == "auto":
            if "compiled" in self.impls and not self.set_options("compiled", given) \
                    and _has_edges(G, COMPILED_MIN_EDGES):
                return "compiled"
            return "networkx"
        if backend not in self.impls:
            raise QueryError(f"{self.name} has no {backend} form; use backend='networkx'")
        unread = self.set_options(backend, given)
        if unread:
            raise QueryError(f"{self.name}: the {backend} backend does not read "
                             f"{', '.join(unread)}; use backend='networkx' (or 'auto')")
        return backend

    def _native(self, on_server: bool, backend: str) -> str:
        if not on_server:
            raise QueryError(f"{self.name}: backend='neo4j' needs a Neo4jGraph(driver, dataset) "
                             "where the graph goes")
        if backend not in ("auto", "neo4j"):
            raise QueryError(f"{self.name}: a Neo4jGraph is answered on the server; load it "
                             f"(oretrace.load_neo4j) to use backend={backend!r}")
        if "neo4j" not in self.impls:
            raise QueryError(f"{self.name} has no native Neo4j form; load the dataset "
                             "(oretrace.load_neo4j) and use the networkx backend")
        return "neo4j"


def _has_edges(G: Any, n: int) -> bool:
    """Whether ``G`` has at least ``n`` edges, counting them only when it must: the linked
    pairs (one per neighbour, a quick count) are never more than the edges. The count is
    kept on a graph (emptied when an edge is added or removed), not on a view."""
    kept = kept_on(G, "oretrace.size")
    if "pairs" not in kept:
        kept["pairs"] = sum(len(nbrs) for _, nbrs in G.adjacency())
    if kept["pairs"] >= n:
        return True
    if "edges" not in kept:
        kept["edges"] = G.number_of_edges()
    return bool(kept["edges"] >= n)


def dispatchable(name: str | None = None
                 ) -> Callable[[Callable[..., _R]], Dispatched[_R]]:
    """Make a networkx function the reference implementation of a query with ``backend=``.

    The returned function takes the reference's arguments plus a keyword-only ``backend``
    (default ``"auto"``), and has a ``register(backend, *, unsupported=())`` decorator that adds
    another implementation with the same signature. A reference taking a keyword group
    (``**scenario: Unpack[ScenarioOptions]``) is given it as :func:`unpacked_keywords` does:
    its options shown in the signature, checked and filled. ``unsupported`` names options that
    implementation does not read: set away from their defaults, ``auto`` passes it over and an
    explicit choice of it raises :class:`oretrace.graphmodel.QueryError`.

    Parameters
    ----------
    name : str, optional
        The query's name in messages and logs (default: the function's name).

    Returns
    -------
    callable
        A decorator turning the reference into a :class:`Dispatched` query.

    Examples
    --------
    >>> import networkx as nx
    >>> @dispatchable()
    ... def count(G):
    ...     '''How many nodes.'''
    ...     return G.number_of_nodes()
    >>> @count.register("compiled")
    ... def _count_fast(G):
    ...     return len(G)
    >>> count(nx.path_graph(3)), count(nx.path_graph(3), backend="compiled")
    (3, 3)
    >>> chosen_backend(count, nx.path_graph(3))
    'networkx'
    """
    def decorate(reference: Callable[..., _R]) -> Dispatched[_R]:
        *_, last = inspect.signature(reference).parameters.values()
        if last.kind is inspect.Parameter.VAR_KEYWORD:  # a keyword group, shown and checked
            reference = unpacked_keywords(reference)
        registry = _Registry(name or reference.__name__, reference)

        @functools.wraps(reference)
        def query(G: Any, *args: Any, backend: str = "auto", **kwargs: Any) -> _R:
            chosen = registry.choose(G, backend, args, kwargs)
            _log.debug("%s ran on %s", registry.name, chosen,
                       extra={"query": registry.name, "backend": chosen})
            answer: _R = registry.impls[chosen](G, *args, **kwargs)
            return answer

        def register(backend: str, *, unsupported: Sequence[str] = ()
                     ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
            if backend not in ("compiled", "neo4j"):
                raise ValueError(f"cannot register backend {backend!r}")

            def add(impl: Callable[..., Any]) -> Callable[..., Any]:
                registry.impls[backend] = impl
                registry.unsupported[backend] = tuple(unsupported)
                return impl
            return add

        query.register = register  # type: ignore[attr-defined]
        query.registry = registry  # type: ignore[attr-defined]
        query.__signature__ = _with_backend(registry.signature)  # type: ignore[attr-defined]
        return cast(Dispatched[_R], query)
    return decorate


def _with_backend(sig: inspect.Signature) -> inspect.Signature:
    """``sig`` with a keyword-only ``backend="auto"`` before any ``**kwargs``."""
    params = list(sig.parameters.values())
    if "backend" in sig.parameters:
        return sig
    extra = inspect.Parameter("backend", inspect.Parameter.KEYWORD_ONLY, default="auto",
                              annotation="Backend")
    at = len(params)
    if params and params[-1].kind is inspect.Parameter.VAR_KEYWORD:
        at -= 1
    return sig.replace(parameters=[*params[:at], extra, *params[at:]])


def chosen_backend(query: Callable[..., Any], G: Any, *args: Any, backend: str = "auto",
                   **kwargs: Any) -> str:
    """Return the backend that would answer ``query(G, *args, backend=backend, **kwargs)``.

    Parameters
    ----------
    query : callable
        A function made by :func:`dispatchable`.
    G : networkx.MultiDiGraph or Neo4jGraph
        The graph the query would run on.
    *args, **kwargs
        The call's other arguments.
    backend : str
        The backend asked for.

    Returns
    -------
    str
        ``"networkx"``, ``"compiled"`` or ``"neo4j"``.

    Raises
    ------
    oretrace.graphmodel.QueryError
        When the backend asked for cannot answer this call.
    """
    registry: _Registry = query.registry  # type: ignore[attr-defined]
    return registry.choose(G, backend, args, kwargs)
