"""Value-only shortfall LPs: one model per product, warm-started for each platform's consumers.

The baseline (nothing failed) figures of :func:`oretrace.queries.capacity.find_shortfall` read
only the most delivered, not which capacities bind. Each platform's chain has a subset ``C``
of the consumers ``U`` of a product in the chain of all platforms, and the LP of ``C`` has
the same value as the LP of ``U`` with the needs of ``U \\ C`` set to nothing, **provided no
consumer of ``U`` supplies the LP region of ``U``** (nor another consumer what it takes; the
``closed`` flag of :class:`~oretrace.queries._shortfall_build._Built`):

- every facility of the region of ``C`` is then in the region of ``U`` (walking up from
  ``C``'s suppliers meets no consumer of ``U``), and the links of the LP of ``C`` are links
  of the model of ``U``: a solution of the LP of ``C``, extended by nothing, is one of the
  model;
- conversely a solution of the model delivers nothing to ``U \\ C``; restricted to the
  region of ``C`` (whose facilities' suppliers are all in it) it is a solution of the LP of
  ``C`` delivering as much.

Otherwise (a recycler consuming a magnet plant's swarf and supplying its recycled alloy,
say) the model walks on through the consumers, laying each out as a producer too, and a
consumer plays one role by its bounds: in ``C`` its need bounds its intake and it makes
nothing; outside ``C`` its intake is bounded by nothing and it makes up to its capacity.
That is the LP of ``C`` with facilities added that cannot reach ``C`` (a facility that can
is in the region of ``C``): the same most delivered.

Private funnels upstream are summed up by one bound each (:mod:`._capacity_funnel`). So
the model of ``U`` is built and solved once (HiGHS primal simplex, as the exact LPs; a large
model by the interior point method with crossover, whose basis starts the later solves), and
each ``C`` is a change of costs (of bounds where consumers switch roles) solved from the
last basis. Without HiGHS's own interface (shipped inside SciPy), or for consumers outside
``U``, the LP of ``C`` is solved as it stands.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from oretrace.queries._capacity_funnel import _funnels
from oretrace.queries._shortfall_build import _build, _Built
from oretrace.queries._shortfall_facts import _mask_key
from oretrace.queries._shortfall_lp import _PRIMAL, _solve
from oretrace.queries.feasibility import SupplyNetwork
from scipy.sparse import csc_array, csr_array

if TYPE_CHECKING:
    from oretrace.queries._capacity_memo import _Memo

__all__: list[str] = []

_CORE: Any
try:  # HiGHS's interface as SciPy ships it (scipy >= 1.15)
    _CORE = importlib.import_module("scipy.optimize._highspy._core")
    _CORE._Highs  # noqa: B018 - present in every version this module reads
except (ImportError, AttributeError):  # pragma: no cover - older SciPy: exact LPs only
    _CORE = None

_DUAL = 1

#: Models from this many columns have their last basis rerouted before each solve after
#: the first (:meth:`_Warm._reroute`). Measured on the 60,000-facility benchmark network:
#: its most oversubscribed product's 36,000-column model solves its 24 platforms in 47 s of
#: CPU instead of 62 s; over its 10,000-30,000-column models the reroute cost about as much
#: as it saved.
_LARGE = 30_000

#: A large model with this many consumers is first solved by HiGHS's interior point method
#: with crossover (:meth:`_Warm._first`): the later solves, one per subset of its many
#: consumers, start from crossover's basis and take fewer simplex iterations. Measured on
#: the 60,000-facility network (first solve + later solves, CPU): the 1,531-consumer
#: ndfeb-alloy model 4.9 + 46.4 s by the primal simplex against 4.0 + 24.1 s; the 649- and
#: 2,530-consumer magnet models, whose later solves take no time, 0.6 s more together; the
#: 30,000-34,000-column models of 10-100 consumers 0.7-1.1 s more each, so they are left out.
_MANY = 500


class _Warm:
    """The LP of all the consumers ``U`` of a product, kept in a HiGHS instance."""

    def __init__(self, built: _Built, need: Mapping[int, float]) -> None:
        self.rows, self.producers = built.sinks, built.producers
        self.need = {c: float(need[c]) for c in self.rows}
        self.sink = dict.fromkeys([*self.rows, *self.producers], True)  # every consumer a sink
        self.unknown, self.closed = built.unknown, built.closed
        self.direct = built.direct
        self.highs: Any = None
        self.best = 0.0
        self.served: set[int] = set()
        self.intake: dict[int, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}
        self.routes: list[list[tuple[int, int, float]]] = []
        if built.cost.any() and self.direct is None:
            for cols in self.producers.values():  # a sink makes nothing
                for col, _ in cols:
                    built.m.ub[col] = 0.0
            A = built.m.matrix()
            by_column = A.tocsc()
            self.highs = _highs(built, by_column)
            self.best = self._first(interior=len(built.m.ub) >= _LARGE
                                     and len(self.rows) >= _MANY)
            if self.producers:  # consumers switch roles by their bounds: dual simplex
                self.highs.setOptionValue("simplex_strategy", _DUAL)
            else:  # sinks only: a subset is a change of costs, the last basis stays feasible
                self.intake = _intake(built, A)
                if len(built.m.ub) >= _LARGE:
                    self.routes = _routes(built, self.intake, by_column)
            got = self.highs.getSolution().row_value
            # served in full by the model's answer: any subset of these gets its needs
            self.served = {c for c, row in self.rows.items()
                           if got[row] >= self.need[c] * (1 - 1e-9)}

    def value(self, consumers: Mapping[int, float]) -> float:
        """The most delivered to ``consumers`` (a subset of ``U`` with the same needs)."""
        if self.direct is not None:
            return sum(min(need, self.direct[c]) for c, need in consumers.items())
        if self.highs is None:
            return 0.0
        if all(self.sink.values()) and all(c in consumers for c in self.sink):
            return self.best
        if all(c in self.served for c in consumers if c in self.rows):
            return sum(self.need[c] for c in consumers if c in self.rows)
        if self.routes:
            self._reroute(consumers)
        for c, was in self.sink.items():
            now = c in consumers
            if now == was:
                continue
            self.sink[c] = now
            if self.intake:
                cols, cost = self.intake[c]
                self.highs.changeColsCost(len(cols), cols, cost if now else 0.0 * cost)
            elif c in self.rows:
                self.highs.changeRowBounds(self.rows[c], -np.inf, self.need[c] if now else 0.0)
            for col, ub in self.producers.get(c, ()):
                self.highs.changeColBounds(col, 0.0, 0.0 if now else ub)
        return self._run()

    def _reroute(self, consumers: Mapping[int, float]) -> int:
        """Start the next solve nearer its answer: each flow of the last basis into a consumer
        not in ``consumers`` is handed, where it can be, to a link from the same supplier's
        output into one that is, with room under its need.

        Both consumers' need rows keep their slack in the basis, so the two links' columns
        differ only in rows those slacks cover: the basis stays nonsingular, every other
        basic value stays as it was, the flow moves whole, and the start is feasible. Only
        where the simplex begins changes, never its answer. Returns the flows handed over
        (none if HiGHS refused the basis).
        """
        status = _CORE.HighsBasisStatus
        basis, solution = self.highs.getBasis(), self.highs.getSolution()
        cols, x = list(basis.col_status), solution.col_value
        activity, row_status = solution.row_value, basis.row_status
        room = {c: self.need[c] - activity[row] for c, row in self.rows.items()
                if row_status[row] == status.kBasic}
        moved = 0
        for links in self.routes:
            for col, c, _ in links:
                if c in consumers or c not in room or cols[col] != status.kBasic \
                        or x[col] <= 1e-9:
                    continue
                for to, d, ratio in links:
                    if d in consumers and cols[to] == status.kLower \
                            and room.get(d, -1.0) >= ratio * x[col] * (1 + 1e-9):
                        cols[col], cols[to] = status.kLower, status.kBasic
                        room[d] -= ratio * x[col]
                        moved += 1
                        break
        if not moved:
            return 0
        basis.col_status = cols
        taken = self.highs.setBasis(basis) == _CORE.HighsStatus.kOk
        return moved if taken else 0  # a basis HiGHS refuses leaves the last one in place

    def _first(self, *, interior: bool) -> float:
        """Solve the model of all the consumers, by the interior point method with crossover
        if ``interior`` (a basis the later solves start from, like the simplex's), else as
        every later solve. Where crossover leaves no optimal basis, the simplex solves on."""
        if interior:
            self.highs.setOptionValue("solver", "ipm")
            self.highs.run()
            self.highs.setOptionValue("solver", "choose")
            if self.highs.getModelStatus() == _CORE.HighsModelStatus.kOptimal \
                    and self.highs.getBasis().valid:
                return self._delivered()
        return self._run()

    def _run(self) -> float:
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != _CORE.HighsModelStatus.kOptimal:  # pragma: no cover - 0 is feasible
            raise RuntimeError("shortfall LP failed: "
                               f"{self.highs.modelStatusToString(status)}")
        return self._delivered()

    def _delivered(self) -> float:
        """The most delivered at the last solve's optimum (minus the objective)."""
        return float(-self.highs.getInfo().objective_function_value)


def _intake(built: _Built, A: csr_array
            ) -> dict[int, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """Each consumer's intake columns and their costs (minus the units each stands for);
    ``A`` the model's rows."""
    out = {}
    for c, row in built.sinks.items():
        cols = A.indices[A.indptr[row]:A.indptr[row + 1]].astype(np.int32)
        out[c] = (cols, built.cost[cols].copy())
    return out


def _routes(built: _Built, intake: Mapping[int, tuple[np.ndarray[Any, Any], Any]],
            A: csc_array) -> list[list[tuple[int, int, float]]]:
    """The consumers' intake links grouped by the supplier's output they draw on, each as
    (column, consumer, units of need one unit fills); groups of one link left out. An intake
    column has two entries: 1 in its supplier's output row and the ratio in its consumer's
    need row (``A``: the model's columns)."""
    groups: dict[int, list[tuple[int, int, float]]] = {}
    for c, (cols, _) in intake.items():
        need_row = built.sinks[c]
        for col in cols.tolist():
            lo, hi = int(A.indptr[col]), int(A.indptr[col + 1])
            entries = dict(zip(A.indices[lo:hi].tolist(), A.data[lo:hi].tolist(), strict=True))
            ratio = entries.pop(need_row)
            (out,) = entries
            groups.setdefault(out, []).append((col, c, ratio))
    return [links for links in groups.values() if len({c for _, c, _ in links}) > 1]


def _highs(built: _Built, A: csc_array) -> Any:
    """A HiGHS instance holding ``built`` (quiet, primal simplex); ``A`` its columns."""
    m = built.m
    lp = _CORE.HighsLp()
    lp.num_col_, lp.num_row_ = len(m.ub), len(m.rhs)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = len(m.ub), len(m.rhs)
    lp.a_matrix_.format_ = _CORE.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    lp.col_cost_ = built.cost
    lp.col_lower_ = np.zeros(len(m.ub))
    lp.col_upper_ = np.asarray(m.ub, dtype=float)
    lp.row_lower_ = np.full(len(m.rhs), -np.inf)
    lp.row_upper_ = np.asarray(m.rhs, dtype=float)
    highs = _CORE._Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("simplex_strategy", _PRIMAL)
    highs.passModel(lp)
    return highs


def _value(net: SupplyNetwork, ok: Sequence[bool], product: str,
           consumers: Mapping[int, float], unknown_as: float, substitutions: bool,
           memo: _Memo, union: Mapping[int, float]) -> tuple[float, bool]:
    """The most of ``product`` delivered to ``consumers``, and whether a capacity read as
    ``unknown_as`` may change it; ``union`` are the consumers of the widest scope (with the
    same needs), whose model answers every subset (module docstring)."""
    key = (id(net), _mask_key(ok), product, tuple(sorted(consumers.items())), unknown_as,
           substitutions)
    exact = memo.solved.get(key)
    if exact is not None:
        return exact[0], bool(exact[2])
    if _CORE is not None and all(union.get(c) == v for c, v in consumers.items()):
        wkey = (id(net), key[1], product, tuple(sorted(union)), unknown_as, substitutions)
        warm = memo.warm.get(wkey)
        if warm is None:
            funnels = _funnels(net, ok, unknown_as, substitutions, memo)
            built = _build(net, ok, product, union, unknown_as, substitutions, memo, funnels)
            if not built.closed:
                built = _build(net, ok, product, union, unknown_as, substitutions, memo,
                               funnels, switch=True)
            warm = memo.warm[wkey] = _Warm(built, union)
        return warm.value(consumers), warm.unknown
    got = _solve(net.view, net, ok, product, consumers, unknown_as, substitutions, memo)
    return got[0], bool(got[2])
