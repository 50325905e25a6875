"""Where the synthetic industrial base's facilities are and what they make: stages, countries
by published share, capacities, products, planned plants (part of
:mod:`oretrace.loaders.synth`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from oretrace.graphmodel.errors import QueryError
from oretrace.loaders._synth_products import OXIDES, Catalogue

__all__ = ["STAGES", "STAGE_COUNTRY_SHARES", "Plants", "draw_plants", "layout"]

_Array = np.ndarray[Any, Any]
_BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

#: Share of each stage's facilities located in each country (fractions add up to 1).
#: Mining and concentration: USGS Mineral Commodity Summaries 2025, 2024 mine production
#: (China 270 kt of 390 kt; the unallocated "other" 1.1 kt left out). Separation and magnets:
#: IEA commentary of 23 October 2025 (91 %, 94 %). Metal and alloy: IEA Global Critical
#: Minerals Outlook 2024, China's share of refined output (92 %). Recycling, components,
#: subsystems and assembly: no published split; an illustrative US-centred defence base.
STAGE_COUNTRY_SHARES: dict[str, dict[str, float]] = {
    "mine": {"CN": 270, "US": 45, "MM": 31, "AU": 13, "NG": 13, "TH": 13, "IN": 2.9,
             "RU": 2.5, "MG": 2.0, "VN": 0.3, "MY": 0.13, "BR": 0.02},
    "concentration": {"CN": 270, "US": 45, "MM": 31, "AU": 13, "NG": 13, "TH": 13, "IN": 2.9,
                      "RU": 2.5, "MG": 2.0, "VN": 0.3, "MY": 0.13, "BR": 0.02},
    "separation": {"CN": 0.91, "MY": 0.045, "US": 0.015, "EE": 0.01, "FR": 0.01,
                   "VN": 0.005, "IN": 0.005},
    "metal": {"CN": 0.92, "JP": 0.03, "VN": 0.02, "US": 0.015, "EE": 0.01, "GB": 0.005},
    "alloy": {"CN": 0.92, "JP": 0.03, "VN": 0.02, "US": 0.015, "EE": 0.01, "GB": 0.005},
    "magnet": {"CN": 0.94, "JP": 0.04, "DE": 0.01, "US": 0.005, "EE": 0.005},
    "recycling": {"CN": 0.5, "JP": 0.2, "US": 0.15, "DE": 0.1, "GB": 0.05},
    "component": {"US": 0.80, "GB": 0.05, "JP": 0.03, "DE": 0.03, "FR": 0.02, "IL": 0.02,
                  "CA": 0.02, "KR": 0.01, "IT": 0.01, "CN": 0.01},
    "subsystem": {"US": 0.88, "GB": 0.04, "CA": 0.02, "DE": 0.02, "FR": 0.02, "IL": 0.02},
    "assembly": {"US": 1.0},
}
STAGE_COUNTRY_SHARES = {stage: {c: v / sum(mix.values()) for c, v in mix.items()}
                        for stage, mix in STAGE_COUNTRY_SHARES.items()}

#: The stages in the order their facilities are numbered; world-market pools come last.
STAGES = ("mine", "concentration", "separation", "metal", "alloy", "magnet", "recycling",
          "component", "subsystem", "assembly", "market")

#: Share of the facilities at each upstream stage (the rest are components and subsystems).
_STAGE_FRACTIONS: dict[str, float] = {
    "mine": 0.03, "concentration": 0.02, "separation": 0.02, "metal": 0.02, "alloy": 0.02,
    "magnet": 0.04, "recycling": 0.01,
}
_SUBSYSTEM_SHARE_OF_REST = 0.40

#: The prefix of a facility id, by stage.
_ID_PREFIX = {"mine": "mine", "concentration": "conc", "separation": "sep", "metal": "met",
              "alloy": "aly", "magnet": "mag", "recycling": "rec", "component": "cmp",
              "subsystem": "sub", "assembly": "asm", "market": "mkt"}


@dataclass(frozen=True)
class Plants:
    """The facilities of one draw, one array cell (or list item) per facility.

    ``made`` lists the positions (in the catalogue) of the products each facility makes;
    ``first`` maps a stage to the position of its first facility; ``market`` marks the
    world-market pools; ``planned`` facilities come online on ``online_from`` (else blank).
    """

    stage: _Array
    ids: _Array
    first: dict[str, int]
    market: _BoolArray
    country: _Array
    capacity: _Array
    made: list[list[int]]
    planned: _BoolArray
    online_from: _Array


def _stage_counts(n: int, n_platforms: int) -> dict[str, int]:
    counts = {stage: max(2, round(frac * n)) for stage, frac in _STAGE_FRACTIONS.items()}
    counts["mine"] = max(counts["mine"], 3)
    counts["market"] = len(OXIDES)
    counts["assembly"] = max(n_platforms, round(1.8 * n_platforms))
    rest = n - sum(counts.values())
    if rest < 8:
        raise QueryError(f"{n} facilities is too few for a full chain; ask for at least "
                         f"{n - rest + 8}")
    counts["subsystem"] = max(3, round(_SUBSYSTEM_SHARE_OF_REST * rest))
    counts["component"] = rest - counts["subsystem"]
    return counts


def layout(facilities: int, n_platforms: int) -> tuple[_Array, _Array, dict[str, int]]:
    """Each facility's stage and id, and the first facility of each stage (no draw).

    Raises :class:`QueryError` when ``facilities`` is too few for a full chain.
    """
    counts = _stage_counts(facilities, n_platforms)
    stage = np.concatenate([np.full(counts[s], s, dtype=object) for s in STAGES])
    width = len(str(len(stage)))
    ids = np.array([f"{_ID_PREFIX[s]}-{i:0{width}d}" for i, s in enumerate(stage)], dtype=object)
    first = {s: int(np.argmax(stage == s)) for s in STAGES}
    return stage, ids, first


def _pick(rng: np.random.Generator, mix: dict[str, float], n: int) -> _Array:
    codes = np.array(list(mix))
    return codes[rng.choice(len(codes), size=n, p=np.array(list(mix.values())))]


def draw_plants(rng: np.random.Generator, stage: _Array, ids: _Array, first: dict[str, int],
                cat: Catalogue) -> Plants:
    """Draw countries (by :data:`STAGE_COUNTRY_SHARES`), Pareto capacities, what each facility
    makes, and which upstream plants are planned, in that order."""
    n = len(stage)
    country = np.empty(n, dtype=object)
    for s in STAGES:
        idx = np.flatnonzero(stage == s)
        if s == "market":
            country[idx] = ""
            continue
        country[idx] = _pick(rng, STAGE_COUNTRY_SHARES[s], len(idx))
    capacity = np.round(np.minimum((rng.pareto(1.3, n) + 1.0) * 100.0, 1e7), 1)
    made: list[list[int]] = [[] for _ in range(n)]
    _make_materials(rng, stage, first, cat.index, made)
    _make_parts(rng, stage, cat, made)
    planned, online_from = _draw_planned(rng, stage, first)
    return Plants(stage=stage, ids=ids, first=first, market=stage == "market", country=country,
                  capacity=capacity, made=made, planned=planned, online_from=online_from)


def _make_materials(rng: np.random.Generator, stage: _Array, first: dict[str, int],
                    pindex: dict[str, int], made: list[list[int]]) -> None:
    """What the upstream plants make. The first separation and metal plants make every
    optional product, and the first two alloy and three magnet plants one kind each."""

    def assign(s: str, choose: Callable[[int], list[int]]) -> None:
        for i in np.flatnonzero(stage == s).tolist():
            made[i] = choose(i)

    def some(i: int, s: str, base: list[str], optional: list[tuple[str, float]]) -> list[int]:
        out = [pindex[p] for p in base]
        for p, prob in optional:
            if i == first[s] or rng.random() < prob:
                out.append(pindex[p])
        return out

    assign("mine", lambda i: [pindex["ore"]])
    assign("concentration", lambda i: [pindex["concentrate"]])
    assign("separation", lambda i: some(i, "separation", ["ndpr-oxide"],
                                        [("dy-oxide", 0.4), ("tb-oxide", 0.35),
                                         ("sm-oxide", 0.3)]))
    assign("metal", lambda i: some(i, "metal", ["ndpr-metal"],
                                   [("dy-metal", 0.4), ("tb-metal", 0.35), ("sm-metal", 0.3)]))
    alloy_ix = np.flatnonzero(stage == "alloy")
    smco = rng.random(len(alloy_ix)) < 0.2
    smco[:2] = [False, True]  # both alloys have a maker
    for is_smco, a in zip(smco, alloy_ix.tolist(), strict=True):
        made[a] = [pindex["smco-alloy" if is_smco else "ndfeb-alloy"]]
    magnet_ix = np.flatnonzero(stage == "magnet")
    kinds = rng.choice(4, size=len(magnet_ix), p=[0.6, 0.1, 0.15, 0.15])
    kinds[:3] = [0, 2, 3][: min(3, len(magnet_ix))]
    for kind_, mg in zip(kinds, magnet_ix.tolist(), strict=True):
        made[mg] = {0: [pindex["ndfeb-magnet"], pindex["magnet-swarf"]],
                    1: [pindex["ndfeb-magnet"], pindex["magnet-swarf"], pindex["ndfeb-alloy"]],
                    2: [pindex["smco-magnet"]],
                    3: [pindex["ndfeb-magnet-recycled"], pindex["magnet-swarf"]]}[int(kind_)]
    assign("recycling", lambda i: [pindex["recycled-ndfeb-alloy"]])


def _make_parts(rng: np.random.Generator, stage: _Array, cat: Catalogue,
                made: list[list[int]]) -> None:
    """What the part plants make (each type has a maker, the rest drawn uniformly), and the
    oxide each world-market pool sells."""
    for s, types in (("component", cat.components), ("subsystem", cat.subsystems),
                     ("assembly", cat.platforms)):
        idx = np.flatnonzero(stage == s)
        pick = np.concatenate([np.arange(min(len(types), len(idx))),
                               rng.integers(0, len(types), max(0, len(idx) - len(types)))])
        for f, t in zip(idx.tolist(), pick, strict=True):
            made[f] = [cat.index[types[int(t)]]]
    for j, f in enumerate(np.flatnonzero(stage == "market").tolist()):
        made[f] = [cat.index[OXIDES[j]]]


def _draw_planned(rng: np.random.Generator, stage: _Array, first: dict[str, int]
                  ) -> tuple[_BoolArray, _Array]:
    """About 3 % of the separation, metal, alloy and magnet plants are planned, online from a
    month of 2027–2029; they are not drawn as ordinary suppliers but come in on that date.
    The first three facilities of a stage (makers of every product) always run."""
    n = len(stage)
    planned = np.zeros(n, dtype=bool)
    up = np.flatnonzero(np.isin(stage, ["separation", "metal", "alloy", "magnet"]))
    planned[up[rng.random(len(up)) < 0.03]] = True
    for s in STAGES:
        planned[first[s]:first[s] + 3] = False
    online_from = np.full(n, "", dtype=object)
    online_from[planned] = [f"{y}-{m:02d}-01" for y, m in zip(
        rng.integers(2027, 2030, planned.sum()), rng.integers(1, 13, planned.sum()),
        strict=True)]
    return planned, online_from
