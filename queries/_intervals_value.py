"""The value-share model: the origin value share compiled with a column per ranged figure,
its exact bounds (:mod:`oretrace.queries.intervals` gives the argument)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Unpack

import networkx as nx
import numpy as np
from oretrace.graphmodel import QueryError, restrict
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel._keywords import unpacked_keywords
from oretrace.graphmodel.vocab import EdgeKind
from oretrace.queries._content_mass import _mass_shares, _Network
from oretrace.queries._content_value import _value_system, _ValueSystem
from oretrace.queries._intervals_figures import Figure, FigureKey, _Array, _figure
from oretrace.queries.content import RARE_EARTHS, ContentOptions, _Query

__all__ = [
    "ValueModel",
    "value_model",
    "value_share_bounds",
]


# --------------------------------------------------------------------------- value model

#: a weight's part: ("const", value) or ("fig", column)
_Spec = tuple[str, float]


class ValueModel:
    """The origin value share of one product, compiled with a column per ranged figure.

    Built from :func:`oretrace.queries.content._value_system`: evaluate it on many draws at
    once (:meth:`evaluate`), or bound it exactly (:meth:`bounds`; the module docstring gives
    the argument). :func:`value_model` builds one.

    Parameters
    ----------
    V : networkx.MultiDiGraph
        The network as of a date (not mutated).
    system : _ValueSystem
        The origin-value equations with their figures named.
    producers : list of str
        The facilities making the product (the answer is their mean).
    target : str
        The product.
    """

    def __init__(self, V: nx.MultiDiGraph, system: _ValueSystem, producers: list[str],
                 target: str) -> None:
        self.figures: list[Figure] = []
        self._columns: dict[FigureKey, int] = {}
        live = set(system.order)
        index = {key: i for i, key in enumerate(system.keys)}
        wanted = [index[(f, target)] for f in producers if (f, target) in index]
        self.wanted = [i for i in wanted if i in live]
        self.n_producers = len(producers)
        self.price = self._spec(V, ("node", target, "unit_price_usd"))
        dag = nx.DiGraph()
        dag.add_nodes_from(system.order)
        self.b: dict[int, _Spec] = {}
        self.terms: dict[int, list[tuple[int, _Spec, tuple[str, str] | None]]] = {}
        self.groups: dict[tuple[str, str], list[tuple[int, _Spec]]] = {}
        for i in system.order:
            q = system.priced.get(i)
            self.b[i] = (self._spec(V, ("node", q, "unit_price_usd")) if q is not None
                         else ("const", float(system.b[i])))
            row = []
            for t in system.terms.get(i, []):
                qty = ("const", t.qty)
                if t.line is not None:
                    qty = self._line(V, t.line, t.qty)
                if t.group is not None and t.group not in self.groups:
                    self.groups[t.group] = [
                        (s.key, self._share(V, s.supplier, t.group, s.share))
                        for s in system.terms[i] if s.group == t.group and s.supplier]
                if t.key in live:
                    row.append((t.key, qty, t.group))
                    dag.add_edge(t.key, i)
            self.terms[i] = row
        self.cyclic = not nx.is_directed_acyclic_graph(dag)
        self.order = (list(nx.topological_sort(dag)) if not self.cyclic else
                      [i for c in nx.topological_sort(nx.condensation(dag)) for i in
                       sorted(nx.condensation(dag).nodes[c]["members"])])

    def _spec(self, V: nx.MultiDiGraph, key: FigureKey, value: float | None = None) -> _Spec:
        """A column for ``key`` if it is ranged, else its value (``value`` or the field's)."""
        f = _figure(V, key)
        if f is None:
            if value is None:
                got = V.nodes[key[1]].get(key[2])
                value = float("nan") if got is None else float(got)
            return ("const", value)
        if key not in self._columns:
            self._columns[key] = len(self.figures)
            self.figures.append(f)
        return ("fig", float(self._columns[key]))

    def _line(self, V: nx.MultiDiGraph, line: tuple[str, str], qty: float) -> _Spec:
        edges = [k for _, w, k, d in V.out_edges(line[0], keys=True, data=True)
                 if w == line[1] and d.get("kind") == EdgeKind.REQUIRES
                 and d.get("substitute_for") is None]
        if len(edges) != 1:  # several lines for one input: their sum, read as a point
            return ("const", qty)
        return self._spec(V, ("edge", line[0], line[1], edges[0], "qty"), qty)

    def _share(self, V: nx.MultiDiGraph, u: str, group: tuple[str, str], s: float) -> _Spec:
        f, p = group
        edges = [k for _, w, k, d in V.out_edges(u, keys=True, data=True)
                 if w == f and d.get("kind") == EdgeKind.SUPPLIES and d.get("product") == p]
        if len(edges) != 1:
            return ("const", s)
        return self._spec(V, ("edge", u, f, edges[0], "share"), s)

    @property
    def priced(self) -> bool:
        """Whether the product has a unit price (else there is no value share)."""
        return not (self.price[0] == "const" and np.isnan(self.price[1]))

    def midpoints(self) -> _Array:
        """Return one row: every figure at its midpoint (the point answer).

        Returns
        -------
        numpy.ndarray
            Shape ``(1, len(figures))``.
        """
        return np.array([[f.mid for f in self.figures]])

    def evaluate(self, theta: _Array) -> _Array:
        """Return the value share for each row of ``theta``.

        Parameters
        ----------
        theta : numpy.ndarray
            One row per draw, one column per figure of :attr:`figures`.

        Returns
        -------
        numpy.ndarray
            The value share of each row.
        """
        theta = np.atleast_2d(np.asarray(theta, dtype=float))

        def v(spec: _Spec) -> Any:
            return theta[:, int(spec[1])] if spec[0] == "fig" else spec[1]

        shares: dict[tuple[tuple[str, str], int], Any] = {}
        for g, members in self.groups.items():
            total = sum((v(s) for _, s in members), np.zeros(theta.shape[0]))
            nil = total <= 0  # every share at 0 (an end, never a draw): split evenly
            for j, s in members:
                shares[(g, j)] = np.where(nil, 1.0 / len(members),
                                          v(s) / np.where(nil, 1.0, total))
        x: dict[int, Any] = {}
        for _ in range(10_000 if self.cyclic else 1):
            change = 0.0
            for i in self.order:
                new = v(self.b[i]) + sum(
                    (v(qty) * (1.0 if g is None else shares[(g, j)]) * x.get(j, 0.0)
                     for j, qty, g in self.terms[i]), 0.0)
                change = max(change, float(np.max(np.abs(new - x.get(i, 0.0)))))
                x[i] = new
            if change <= 1e-12:
                break
        value = sum((x[i] for i in self.wanted), np.zeros(theta.shape[0])) / self.n_producers
        out: _Array = np.asarray(value / v(self.price), dtype=float)
        return out

    def bounds(self) -> tuple[float, float]:
        """Return the exact (low, high) value share over the box of every figure's range.

        Returns
        -------
        tuple of float
            The lowest and the highest value share.
        """
        return self._extreme(-1), self._extreme(+1)

    def _extreme(self, sign: int) -> float:
        end = {+1: "high", -1: "low"}
        point = [getattr(f, end[sign]) for f in self.figures]
        if self.price[0] == "fig":  # the share falls with the product's own price
            point[int(self.price[1])] = getattr(self.figures[int(self.price[1])],
                                                end[-sign])
        row = np.array([point])
        x: dict[int, float] = {}
        for _ in range(10_000 if self.cyclic else 1):
            change = 0.0
            chosen: dict[tuple[str, str], dict[int, float]] = {}
            for i in self.order:
                total = float(self._b(i, row))
                for j, qty, g in self.terms[i]:
                    weight = 1.0
                    if g is not None:
                        if g not in chosen:
                            chosen[g] = self._choose(g, x, sign)
                        weight = chosen[g][j]
                    total += float(self._v(qty, row)) * weight * x.get(j, 0.0)
                change = max(change, abs(total - x.get(i, 0.0)))
                x[i] = total
            if change <= 1e-12:
                break
        value = sum(x[i] for i in self.wanted) / self.n_producers
        return float(value / float(self._v(self.price, row)))

    def _b(self, i: int, row: _Array) -> float:
        return float(self._v(self.b[i], row))

    @staticmethod
    def _v(spec: _Spec, row: _Array) -> float:
        return float(row[0, int(spec[1])]) if spec[0] == "fig" else spec[1]

    def _choose(self, g: tuple[str, str], x: Mapping[int, float], sign: int
                ) -> dict[int, float]:
        """Normalised shares of group ``g`` making its weighted mean of ``x`` highest
        (``sign`` +1) or lowest (−1): a threshold vertex, each threshold tried."""
        members = [(j, self._end(s, -1), self._end(s, +1), sign * x.get(j, 0.0))
                   for j, s in self.groups[g]]
        members.sort(key=lambda m: -m[3])
        best: tuple[float, list[float]] | None = None
        for k in range(len(members) + 1):
            s = [hi if n < k else lo for n, (_, lo, hi, _) in enumerate(members)]
            total = sum(s)
            if total <= 0:
                continue
            mean = sum(w * m[3] for w, m in zip(s, members, strict=True)) / total
            if best is None or mean > best[0] + 1e-15:
                best = (mean, s)
        assert best is not None  # a group has a supplier with a positive share
        total = sum(best[1])
        return {m[0]: w / total for w, m in zip(best[1], members, strict=True)}

    def _end(self, spec: _Spec, sign: int) -> float:
        if spec[0] == "const":
            return spec[1]
        f = self.figures[int(spec[1])]
        return f.high if sign > 0 else f.low


@shared_docs
@unpacked_keywords
def value_model(G: nx.MultiDiGraph, product: str, **content: Unpack[ContentOptions]
                ) -> ValueModel:
    """Compile the origin value share of ``product`` as :func:`origin_share` reads it.

    Parameters
    ----------
    %(value_share_reading)s

    Returns
    -------
    ValueModel
        The compiled share: :meth:`ValueModel.evaluate` on draws, :meth:`ValueModel.bounds`.

    Raises
    ------
    QueryError
        When the product has no unit price (no value share) or nothing makes it, or an
        option is not one of its values (an element symbol, the date).

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> m = value_model(load_dataset(), "F-35", as_of="2026-06-01")
    >>> len(m.figures) > 0, m.evaluate(m.midpoints()).shape
    (True, (1,))
    """
    q = _Query.read(G, product, **content)
    V = restrict(G, as_of=q.day)
    origins, producers = q.sources(V)
    model = _compile(V, _Network(V, origins), q.target, producers, q.asked, q.kinds)
    if not model.priced:
        raise QueryError(f"no unit price for {q.target!r}: no value share")
    return model


def _compile(V: nx.MultiDiGraph, net: _Network, target: str, producers: list[str],
             element: str | Iterable[str] | None, kinds: frozenset[str] | None) -> ValueModel:
    held = net.content.get(target, {})
    chosen = (sorted(e for e, kg in held.items() if e in RARE_EARTHS and kg > 0)
              if element is None else sorted({element} if isinstance(element, str)
                                             else set(element)))
    mass = {e: _mass_shares(net, e) for e in chosen}
    system = _value_system(net, frozenset(chosen), kinds, mass, set(),
                           [(f, target) for f in producers])
    return ValueModel(V, system, producers, target)


@shared_docs
@unpacked_keywords
def value_share_bounds(G: nx.MultiDiGraph, product: str, **content: Unpack[ContentOptions]
                       ) -> tuple[float, float]:
    """Return the exact (low, high) origin value share of ``product`` over every range.

    Parameters
    ----------
    %(value_share_reading)s

    Returns
    -------
    tuple of float
        The lowest and the highest value share over the box of ranged figures.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> lo, hi = value_share_bounds(load_dataset(MINI), "magnet", as_of="2026-06-01")
    >>> round(lo, 4), round(hi, 4)
    (0.2184, 0.2184)
    """
    return value_model(G, product, **content).bounds()
