"""A synthetic industrial base: a realistic multi-tier network in the dataset format, by seed.

:func:`generate_network` draws, with numpy only (no Python loop over links), a network of
``facilities`` facilities from mines to final assembly, and :func:`write_network` writes it
as a dataset directory that :func:`oretrace.loaders.load_dataset` reads. The shape follows what is
published about the rare-earth chain and what is typical of defence supply bases:

- **stages** as in the bundled data: mine → concentration → separation → metal → alloy →
  magnet → component → subsystem → assembly, plus recycling and world market pools;
- **country mix per stage** drawn from the published shares (:data:`STAGE_COUNTRY_SHARES`):
  China ≈ 69 % of mining (USGS MCS 2025), ≈ 91 % of separation and ≈ 94 % of magnet making
  (IEA, October 2025), ≈ 92 % of refined output for metal and alloy (IEA GCMO 2024);
- **heavy-tailed supplier popularity**: buyers pick suppliers in proportion to a Pareto
  capacity, so a few plants supply thousands of buyers;
- **single sourcing**: about ``single_sourced`` (15 %) of needs have one supplier; the others
  have ``2 + geometric`` suppliers with mean ``suppliers``;
- **tier-skipping links**: subsystems that take magnets directly, platforms that take
  components directly, magnet plants that make their own alloy and buy metal;
- **recycling loops**: magnet plants sell swarf to recyclers, whose recycled alloy goes back
  into recycled-content magnets (needed, so the supply graph has cycles);
- **dates**: some links switch supplier at a date, some start later (planned capacity), and
  a few facilities are planned with an ``online_from`` date;
- **ownership and technology**: Chinese parents of some foreign companies (minority and
  controlling stakes), Chinese solvent-extraction and magnet technology abroad.

The same ``seed`` and options give the same tables, byte for byte.

Examples
--------
>>> net = generate_network(300, seed=1)
>>> sorted(net.tables)[:3], net.tables["facilities"].shape[0]
(['bom', 'companies', 'facilities'], 300)
>>> 0.05 < net.stats["single_sourced_share"] < 0.3
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from oretrace.graphmodel.errors import QueryError

__all__ = [
    "STAGE_COUNTRY_SHARES",
    "SynthNetwork",
    "generate_network",
    "write_network",
]

_IntArray = np.ndarray[Any, np.dtype[np.int64]]
_FloatArray = np.ndarray[Any, np.dtype[np.float64]]

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

#: Share of the facilities at each upstream stage (the rest are components and subsystems).
_STAGE_FRACTIONS: dict[str, float] = {
    "mine": 0.03, "concentration": 0.02, "separation": 0.02, "metal": 0.02, "alloy": 0.02,
    "magnet": 0.04, "recycling": 0.01,
}
_SUBSYSTEM_SHARE_OF_REST = 0.40

#: (id, name, category, elements, unit, price) of the materials, upstream first.
_MATERIALS: list[tuple[str, str, str, str, str, float]] = [
    ("ore", "Rare-earth ore", "ore", "Nd=0.012;Pr=0.004;Dy=0.0004;Tb=0.00007;Sm=0.0008", "kg", 1.5),
    ("concentrate", "Rare-earth concentrate", "concentrate",
     "Nd=0.18;Pr=0.06;Dy=0.006;Tb=0.001;Sm=0.012", "kg", 9.0),
    ("ndpr-oxide", "NdPr oxide", "oxide", "Nd=0.64;Pr=0.21", "kg", 55.0),
    ("dy-oxide", "Dysprosium oxide", "oxide", "Dy=0.87", "kg", 260.0),
    ("tb-oxide", "Terbium oxide", "oxide", "Tb=0.85", "kg", 1000.0),
    ("sm-oxide", "Samarium oxide", "oxide", "Sm=0.86", "kg", 15.0),
    ("ndpr-metal", "NdPr metal", "metal", "Nd=0.75;Pr=0.25", "kg", 65.0),
    ("dy-metal", "Dysprosium metal", "metal", "Dy=1", "kg", 350.0),
    ("tb-metal", "Terbium metal", "metal", "Tb=1", "kg", 1300.0),
    ("sm-metal", "Samarium metal", "metal", "Sm=1", "kg", 30.0),
    ("ndfeb-alloy", "NdFeB alloy", "alloy", "Nd=0.225;Pr=0.075;Dy=0.02;Tb=0.005", "kg", 80.0),
    ("smco-alloy", "SmCo alloy", "alloy", "Sm=0.25", "kg", 120.0),
    ("recycled-ndfeb-alloy", "Recycled NdFeB alloy", "alloy",
     "Nd=0.22;Pr=0.073;Dy=0.02;Tb=0.005", "kg", 70.0),
    ("ndfeb-magnet", "Sintered NdFeB magnet", "magnet", "Nd=0.22;Pr=0.073;Dy=0.02;Tb=0.005",
     "kg", 100.0),
    ("ndfeb-magnet-recycled", "Recycled-content NdFeB magnet", "magnet",
     "Nd=0.22;Pr=0.073;Dy=0.02;Tb=0.005", "kg", 95.0),
    ("smco-magnet", "SmCo magnet", "magnet", "Sm=0.245", "kg", 150.0),
    ("magnet-swarf", "NdFeB swarf", "scrap", "Nd=0.22;Pr=0.073;Dy=0.02;Tb=0.005", "kg", 20.0),
]

#: (product, input, qty) of the materials' bills of materials.
_MATERIAL_BOM: list[tuple[str, str, float]] = [
    ("concentrate", "ore", 15.0),
    ("ndpr-oxide", "concentrate", 3.5),
    ("dy-oxide", "concentrate", 150.0),
    ("tb-oxide", "concentrate", 850.0),
    ("sm-oxide", "concentrate", 72.0),
    ("ndpr-metal", "ndpr-oxide", 1.17),
    ("dy-metal", "dy-oxide", 1.15),
    ("tb-metal", "tb-oxide", 1.18),
    ("sm-metal", "sm-oxide", 1.16),
    ("ndfeb-alloy", "ndpr-metal", 0.30),
    ("ndfeb-alloy", "dy-metal", 0.02),
    ("ndfeb-alloy", "tb-metal", 0.005),
    ("smco-alloy", "sm-metal", 0.26),
    ("recycled-ndfeb-alloy", "magnet-swarf", 1.1),
    ("ndfeb-magnet", "ndfeb-alloy", 1.03),
    ("ndfeb-magnet-recycled", "ndfeb-alloy", 0.75),
    ("ndfeb-magnet-recycled", "recycled-ndfeb-alloy", 0.28),
    ("smco-magnet", "smco-alloy", 1.02),
]

_OXIDES = ("ndpr-oxide", "dy-oxide", "tb-oxide", "sm-oxide")
_MAGNETS = ("ndfeb-magnet", "ndfeb-magnet-recycled", "smco-magnet")

#: (id, name, stage, origin country) of the technologies.
_TECHNOLOGIES: list[tuple[str, str, str, str]] = [
    ("tech-cn-sx", "Chinese solvent-extraction separation", "separation", "CN"),
    ("tech-cn-gbd", "Chinese grain-boundary diffusion", "magnet", "CN"),
    ("tech-jp-sinter", "Japanese sintering line", "magnet", "JP"),
    ("tech-gb-hpms", "Hydrogen processing of magnet scrap", "recycling", "GB"),
]

_SOURCES: list[tuple[str, str, str, str, str]] = [
    ("SYN", "oretrace synthetic industrial base (generated; not a claim)", "oretrace", "",
     ""),
    ("USGS25c", "USGS Mineral Commodity Summaries 2025: Rare Earths", "USGS", "2025-01-31",
     "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-rare-earths.pdf"),
    ("IEA25", "IEA commentary on rare-earth supply concentration", "IEA", "2025-10-23",
     "https://www.iea.org/commentaries"),
]

_LINK_COLUMNS = ["supplier", "buyer", "product", "share", "start", "end", "sources",
                 "confidence"]


@dataclass
class SynthNetwork:
    """A generated network: one DataFrame per dataset table, and summary figures.

    ``tables`` maps table names (``sources``, ``companies``, ``ownership``, ``technologies``,
    ``products``, ``bom``, ``facilities``, ``supplies``) to DataFrames of text cells in the
    dataset format. ``stats`` holds counts and shares measured on the draw
    (``single_sourced_share``, ``supplies``, ``country_share``, ``recycling_links`` …).
    """

    tables: dict[str, pd.DataFrame]
    stats: dict[str, Any] = field(default_factory=dict)


def _pick(rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray[Any, Any]:
    codes = np.array(list(mix))
    return codes[rng.choice(len(codes), size=n, p=np.array(list(mix.values())))]


def _stage_counts(n: int, n_platforms: int) -> dict[str, int]:
    counts = {stage: max(2, round(frac * n)) for stage, frac in _STAGE_FRACTIONS.items()}
    counts["mine"] = max(counts["mine"], 3)
    counts["market"] = len(_OXIDES)
    counts["assembly"] = max(n_platforms, round(1.8 * n_platforms))
    rest = n - sum(counts.values())
    if rest < 8:
        raise QueryError(f"{n} facilities is too few for a full chain; ask for at least "
                         f"{n - rest + 8}")
    counts["subsystem"] = max(3, round(_SUBSYSTEM_SHARE_OF_REST * rest))
    counts["component"] = rest - counts["subsystem"]
    return counts


def _segments(owner: _IntArray, size: int) -> _IntArray:
    """CSR pointer of ``owner`` (sorted) over ``size`` owners."""
    return np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=size))]).astype(np.int64)


def _draw_suppliers(rng: np.random.Generator, need_buyer: _IntArray, need_product: _IntArray,
                    k: _IntArray, makers_of: list[_IntArray], weight: _FloatArray
                    ) -> tuple[_IntArray, _IntArray]:
    """Draw ``k[i]`` distinct suppliers for need ``i`` among the makers of its product
    (never the buyer itself).

    Makers are drawn in proportion to ``weight`` (heavy-tailed), with replacement, and
    duplicates are redrawn a few rounds; a need keeps at least one supplier.
    Returns ``(need index, supplier)`` sorted by need then draw order.
    """
    n_products = len(makers_of)
    flat = np.concatenate([m for m in makers_of]) if n_products else np.zeros(0, np.int64)
    offsets = np.concatenate([[0], np.cumsum([len(m) for m in makers_of])])
    cdf = np.empty(len(flat))
    for p, m in enumerate(makers_of):
        if len(m):
            w = np.cumsum(weight[m])
            cdf[offsets[p]:offsets[p + 1]] = p + w / w[-1]
            cdf[offsets[p + 1] - 1] = p + 1.0
    have: list[tuple[_IntArray, _IntArray]] = []
    want = k.copy()
    need_ids = np.arange(len(k))
    got = np.zeros(len(k), dtype=np.int64)
    stride = len(weight) + 1
    seen = np.sort(np.arange(len(k)) * stride + need_buyer)  # no self-supply
    for _ in range(8):
        todo = need_ids[want > got]
        if len(todo) == 0:
            break
        rep = np.repeat(todo, (want - got)[todo])
        u = rng.random(len(rep))
        pos = np.searchsorted(cdf, need_product[rep] + u, side="right")
        pos = np.minimum(pos, offsets[need_product[rep] + 1] - 1)
        sup = flat[pos]
        keys = rep * stride + sup
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        fresh = np.ones(len(keys), dtype=bool)
        fresh[1:] = sorted_keys[1:] != sorted_keys[:-1]
        at = np.minimum(np.searchsorted(seen, sorted_keys), len(seen) - 1)
        fresh &= seen[at] != sorted_keys
        chosen = np.sort(order[fresh])
        seen = np.sort(np.concatenate([seen, keys[chosen]]))
        have.append((rep[chosen], sup[chosen]))
        got += np.bincount(rep[chosen], minlength=len(k))
    need = np.concatenate([h[0] for h in have])
    sup = np.concatenate([h[1] for h in have])
    order = np.lexsort((np.arange(len(need)), need))
    return need[order], sup[order]


def _close_recycling_loops(link_need: _IntArray, link_sup: _IntArray, need_buyer: _IntArray,
                           need_product: _IntArray, recycled: int, swarf: int) -> None:
    """Make each recycled-content magnet plant sell swarf to a recycler it buys from.

    The recycler's last-drawn swarf supplier is replaced by the magnet plant (same share),
    when the recycler has at least two swarf suppliers, so each loop keeps a way in.
    Edits ``link_sup`` in place.
    """
    ptr = _segments(link_need, len(need_buyer))
    swarf_need = {int(need_buyer[nd]): int(nd) for nd in np.flatnonzero(need_product == swarf)}
    for nd in np.flatnonzero(need_product == recycled):
        plant = int(need_buyer[nd])
        lo, hi = ptr[nd], ptr[nd + 1]
        if hi == lo:
            continue
        theirs = swarf_need.get(int(link_sup[lo]))
        if theirs is None:
            continue
        a, b = ptr[theirs], ptr[theirs + 1]
        if b - a >= 2 and plant not in link_sup[a:b]:
            link_sup[b - 1] = plant


def _shares(rng: np.random.Generator, need: _IntArray, n_needs: int
            ) -> tuple[_IntArray, _IntArray]:
    """Supplier shares in thousandths per link (adding up to ≤ coverage ≤ 1 per need),
    and each need's coverage in thousandths."""
    k = np.bincount(need, minlength=n_needs)
    coverage = np.where(rng.random(n_needs) < 0.8, 1000,
                        rng.integers(600, 1000, n_needs)).astype(np.int64)
    raw = rng.exponential(1.0, len(need)) + 0.1
    total = np.bincount(need, weights=raw, minlength=n_needs)
    room = np.maximum(coverage - k, 0)
    thousandths = np.floor(raw / total[need] * room[need]).astype(np.int64) + 1
    return thousandths, coverage


def generate_network(
    facilities: int,
    *,
    seed: int = 0,
    suppliers: float = 3.0,
    single_sourced: float = 0.15,
    platforms: int | None = None,
) -> SynthNetwork:
    """Draw a synthetic industrial base of ``facilities`` facilities (see the module doc).

    Parameters
    ----------
    facilities : int
        Number of facilities (at least about 60, for a full chain).
    seed : int
        Seed of the random draw; the same seed gives the same tables.
    suppliers : float
        Mean number of suppliers of a multi-sourced need (at least 2). The number of
        supply links is about ``facilities × 2.3 × (0.15 + 0.85 × suppliers)``.
    single_sourced : float
        Share of needs with exactly one supplier.
    platforms : int, optional
        Number of platform types (default: between 2 and 40, growing with ``facilities``).

    Returns
    -------
    SynthNetwork
        The tables (text cells in the dataset format) and summary figures.

    Examples
    --------
    >>> a = generate_network(200, seed=7).tables["supplies"]
    >>> b = generate_network(200, seed=7).tables["supplies"]
    >>> a.equals(b)
    True
    """
    if suppliers < 2:
        raise QueryError(f"suppliers={suppliers}: a multi-sourced need has at least 2 suppliers")
    if not 0 <= single_sourced <= 1:
        raise QueryError(f"single_sourced={single_sourced} is not a fraction")
    n_platforms = platforms if platforms is not None else int(np.clip(facilities // 2500, 2, 40))
    if n_platforms < 1:
        raise QueryError("at least one platform is needed")
    rng = np.random.default_rng(seed)
    counts = _stage_counts(facilities, n_platforms)
    order = ["mine", "concentration", "separation", "metal", "alloy", "magnet", "recycling",
             "component", "subsystem", "assembly", "market"]
    stage = np.concatenate([np.full(counts[s], s, dtype=object) for s in order])
    n = len(stage)
    width = len(str(n))
    prefix = {"mine": "mine", "concentration": "conc", "separation": "sep", "metal": "met",
              "alloy": "aly", "magnet": "mag", "recycling": "rec", "component": "cmp",
              "subsystem": "sub", "assembly": "asm", "market": "mkt"}
    ids = np.array([f"{prefix[s]}-{i:0{width}d}" for i, s in enumerate(stage)], dtype=object)
    first = {s: int(np.argmax(stage == s)) for s in order}

    # ---------------------------------------------------------------- products and BOM
    n_components = max(4, facilities // 400)
    n_subsystems = max(3, facilities // 1000)
    products: list[tuple[str, str, str, str, str, str]] = [
        (pid, name, cat, el, unit, f"{price:g}") for pid, name, cat, el, unit, price in _MATERIALS]
    bom: list[tuple[str, str, str]] = [(p, i, f"{q:g}") for p, i, q in _MATERIAL_BOM]
    comp_ids = [f"component-{j:03d}" for j in range(n_components)]
    sub_ids = [f"subsystem-{j:03d}" for j in range(n_subsystems)]
    plat_ids = [f"platform-{j:02d}" for j in range(n_platforms)]
    for j, pid in enumerate(comp_ids):
        price = float(np.round(np.exp(rng.normal(9.0, 1.0)), -1))
        products.append((pid, f"Component type {j}", "component", "", "each", f"{price:g}"))
        magnets = rng.choice(len(_MAGNETS), size=1 + int(rng.random() < 0.3), replace=False,
                             p=[0.7, 0.1, 0.2])
        for m in sorted(magnets):
            kg = float(np.round(np.exp(rng.normal(-1.5, 1.0)), 3)) + 0.001
            bom.append((pid, _MAGNETS[m], f"{kg:g}"))
        if j > 0 and rng.random() < 0.2:
            bom.append((pid, comp_ids[int(rng.integers(0, j))], f"{int(rng.integers(1, 5))}"))
    for j, pid in enumerate(sub_ids):
        price = float(np.round(np.exp(rng.normal(12.5, 1.0)), -2))
        products.append((pid, f"Subsystem type {j}", "subsystem", "", "each", f"{price:g}"))
        parts = rng.choice(n_components, size=min(n_components, int(rng.integers(2, 6))),
                           replace=False)
        for c in sorted(parts):
            bom.append((pid, comp_ids[c], f"{int(rng.integers(1, 13))}"))
        if rng.random() < 0.3:
            bom.append((pid, _MAGNETS[int(rng.integers(0, 3))],
                        f"{float(np.round(rng.uniform(0.1, 5.0), 2)):g}"))
    for j, pid in enumerate(plat_ids):
        price = float(np.round(np.exp(rng.normal(17.5, 1.0)), -3))
        products.append((pid, f"Platform {j}", "platform", "", "each", f"{price:g}"))
        parts = rng.choice(n_subsystems, size=min(n_subsystems, int(rng.integers(3, 7))),
                           replace=False)
        for s in sorted(parts):
            bom.append((pid, sub_ids[s], f"{int(rng.integers(1, 5))}"))
        if rng.random() < 0.5:
            extra = rng.choice(n_components, size=min(n_components, int(rng.integers(1, 4))),
                               replace=False)
            for c in sorted(extra):
                bom.append((pid, comp_ids[c], f"{int(rng.integers(1, 9))}"))
    product_ids = [p[0] for p in products]
    pindex = {p: i for i, p in enumerate(product_ids)}
    requires: dict[int, list[int]] = {}
    for parent, child, _ in bom:
        requires.setdefault(pindex[parent], []).append(pindex[child])

    # ---------------------------------------------------------------- facilities
    country = np.empty(n, dtype=object)
    for s in order:
        idx = np.flatnonzero(stage == s)
        if s == "market":
            country[idx] = ""
            continue
        country[idx] = _pick(rng, STAGE_COUNTRY_SHARES[s], len(idx))
    capacity = np.round(np.minimum((rng.pareto(1.3, n) + 1.0) * 100.0, 1e7), 1)
    made: list[list[int]] = [[] for _ in range(n)]

    def assign(s: str, choose: Any) -> None:
        for i in np.flatnonzero(stage == s):
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
    for s, types in (("component", comp_ids), ("subsystem", sub_ids), ("assembly", plat_ids)):
        idx = np.flatnonzero(stage == s)
        pick = np.concatenate([np.arange(min(len(types), len(idx))),
                               rng.integers(0, len(types), max(0, len(idx) - len(types)))])
        for f, t in zip(idx.tolist(), pick, strict=True):
            made[f] = [pindex[types[int(t)]]]
    for j, f in enumerate(np.flatnonzero(stage == "market").tolist()):
        made[f] = [pindex[_OXIDES[j]]]

    # planned facilities: not drawn as ordinary suppliers, they come in on a date
    planned = np.zeros(n, dtype=bool)
    up = np.flatnonzero(np.isin(stage, ["separation", "metal", "alloy", "magnet"]))
    planned[up[rng.random(len(up)) < 0.03]] = True
    for s in order:  # the first facilities of a stage (makers of every product) always run
        planned[first[s]:first[s] + 3] = False
    online_from = np.full(n, "", dtype=object)
    online_from[planned] = [f"{y}-{m:02d}-01" for y, m in zip(
        rng.integers(2027, 2030, planned.sum()), rng.integers(1, 13, planned.sum()),
        strict=True)]

    # ---------------------------------------------------------------- needs
    market = stage == "market"
    need_buyer_l: list[int] = []
    need_product_l: list[int] = []
    for i in range(n):
        if market[i]:
            needs = made[i]
        else:
            mine = set(made[i])
            needs = sorted({q for p in made[i] for q in requires.get(p, ()) if q not in mine})
        need_buyer_l.extend([i] * len(needs))
        need_product_l.extend(needs)
    need_buyer = np.array(need_buyer_l, dtype=np.int64)
    need_product = np.array(need_product_l, dtype=np.int64)
    n_needs = len(need_buyer)

    makers_of: list[list[int]] = [[] for _ in product_ids]
    for i in range(n):
        for p in made[i]:
            makers_of[p].append(i)
    weight = capacity.astype(float).copy()
    weight[planned] = 0.0
    makers = [np.array([m for m in ms if weight[m] > 0], dtype=np.int64) for ms in makers_of]
    # a market pools what the plants make: its own needs are drawn among non-market makers
    pooled = [np.array([m for m in ms if not market[m]], dtype=np.int64) for ms in makers]
    draw_product = np.where(market[need_buyer], need_product + len(makers), need_product)
    pools = makers + pooled
    mk_count = np.array([len(m) for m in pools])
    single = rng.random(n_needs) < single_sourced
    k = np.where(single, 1, 1 + rng.geometric(1.0 / max(suppliers - 1.0, 1.0), n_needs))
    k = np.minimum(np.minimum(k, 200), mk_count[draw_product])
    if np.any(k < 1):
        missing = sorted({product_ids[p] for p in need_product[k < 1]})
        raise QueryError(f"nothing makes {', '.join(missing)}; ask for more facilities")
    link_need, link_sup = _draw_suppliers(rng, need_buyer, draw_product, k, pools, weight)
    _close_recycling_loops(link_need, link_sup, need_buyer, need_product,
                           pindex["recycled-ndfeb-alloy"], pindex["magnet-swarf"])

    # ---------------------------------------------------------------- shares and dates
    thousandths, coverage = _shares(rng, link_need, n_needs)
    start = np.full(len(link_need), "", dtype=object)
    end = np.full(len(link_need), "", dtype=object)
    # switches: a link ends at a date and another maker takes over its share from then
    switch = rng.random(len(link_need)) < 0.02
    sw = np.flatnonzero(switch)
    p_sw = need_product[link_need[sw]]
    new_sup = np.array([makers[p][int(rng.integers(0, len(makers[p])))] if len(makers[p]) else -1
                        for p in p_sw], dtype=np.int64)
    stride = n + 1
    taken = np.sort(link_need * stride + link_sup)
    wanted = link_need[sw] * stride + new_sup
    at = np.minimum(np.searchsorted(taken, wanted), len(taken) - 1)
    ok = (new_sup >= 0) & (new_sup != need_buyer[link_need[sw]]) & (taken[at] != wanted)
    first_time = np.zeros(len(sw), dtype=bool)  # one switch per (need, new supplier)
    first_time[np.unique(wanted, return_index=True)[1]] = True
    ok &= first_time
    sw, new_sup = sw[ok], new_sup[ok]
    days = rng.integers(0, 365 * 4, len(sw))
    dates = np.array([(dt.date(2022, 1, 1) + dt.timedelta(days=int(d))).isoformat()
                      for d in days], dtype=object)
    end[sw] = dates
    # planned capacity: links from planned facilities start at their online date and take
    # up the part of the need that no current supplier covers
    room = coverage - np.bincount(link_need, weights=thousandths, minlength=n_needs)
    cand = np.flatnonzero((room >= 1) & np.isin(need_product, np.unique(
        [p for i in np.flatnonzero(planned) for p in made[i]])))
    fut_need: list[int] = []
    fut_sup: list[int] = []
    for nd in cand[rng.random(len(cand)) < 0.3]:
        options = [i for i in makers_of[need_product[nd]] if planned[i]]
        if options:
            fut_need.append(int(nd))
            fut_sup.append(options[int(rng.integers(0, len(options)))])
    fut_need_a = np.array(fut_need, dtype=np.int64)
    fut_sup_a = np.array(fut_sup, dtype=np.int64)
    # a planned link must not repeat a (need, supplier) pair that already has a link or a
    # switch: two open-ended rows of one link would overlap in time
    have_pairs = np.concatenate([link_need * stride + link_sup, link_need[sw] * stride + new_sup])
    fresh = ~np.isin(fut_need_a * stride + fut_sup_a, have_pairs)
    fut_need_a, fut_sup_a = fut_need_a[fresh], fut_sup_a[fresh]

    sup_all = np.concatenate([link_sup, new_sup, fut_sup_a])
    need_all = np.concatenate([link_need, link_need[sw], fut_need_a])
    share_all = np.concatenate([thousandths, thousandths[sw],
                                room[fut_need_a].astype(np.int64)])
    start_all = np.concatenate([start, dates, online_from[fut_sup_a]])
    end_all = np.concatenate([end, np.full(len(sw), "", dtype=object),
                              np.full(len(fut_need_a), "", dtype=object)])
    order_links = np.lexsort((np.arange(len(need_all)), need_all))
    sup_all, need_all = sup_all[order_links], need_all[order_links]
    share_all, start_all, end_all = (share_all[order_links], start_all[order_links],
                                     end_all[order_links])

    share_text = np.array([f"{t / 1000:g}" for t in range(1001)], dtype=object)
    pid_arr = np.array(product_ids, dtype=object)
    is_market_sup = market[sup_all]
    supplies = pd.DataFrame({
        "supplier": ids[sup_all], "buyer": ids[need_buyer[need_all]],
        "product": pid_arr[need_product[need_all]], "share": share_text[share_all],
        "start": start_all, "end": end_all,
        "sources": np.where(is_market_sup, "SYN;IEA25", "SYN"),
        "confidence": np.where(is_market_sup, "estimated", "illustrative"),
    }, columns=_LINK_COLUMNS)

    # ---------------------------------------------------------------- companies
    company = np.empty(n, dtype=object)
    comp_rows: list[tuple[str, str, str, str]] = []
    for c in sorted(set(country[~market])):
        idx = np.flatnonzero((country == c) & ~market)
        n_co = max(1, len(idx) // 4)
        draw = np.minimum(rng.zipf(1.6, len(idx)) - 1, n_co - 1)
        base = len(comp_rows)
        for j in range(n_co):
            owned = "true" if c == "CN" and rng.random() < 0.7 else "false"
            comp_rows.append((f"co-{c.lower()}-{j:05d}", f"{c} company {j}", c, owned))
        company[idx] = [comp_rows[base + int(d)][0] for d in draw]
    company[market] = ""
    companies = pd.DataFrame(comp_rows, columns=["id", "name", "country", "state_owned"])
    companies.insert(4, "listed_on", "")
    companies["sources"] = "SYN"
    companies["confidence"] = "illustrative"
    cn_cos = companies["id"][companies["country"] == "CN"].to_numpy()
    foreign = companies["id"][companies["country"] != "CN"].to_numpy()
    stakes = rng.random(len(foreign))
    own_rows = []
    for co, r in zip(foreign, stakes, strict=True):
        if r < 0.05 and len(cn_cos):
            share = ("0.51", "0.6", "1")[int(rng.integers(0, 3))]
        elif r < 0.10 and len(cn_cos):
            share = ("0.1", "0.2", "0.3")[int(rng.integers(0, 3))]
        else:
            continue
        own_rows.append((cn_cos[int(rng.integers(0, len(cn_cos)))], co, share))
    ownership = pd.DataFrame(own_rows, columns=["owner", "owned", "share"])
    ownership["start"] = ""
    ownership["end"] = ""
    ownership["sources"] = "SYN"
    ownership["confidence"] = "illustrative"

    # ---------------------------------------------------------------- technologies
    tech = np.full(n, "", dtype=object)
    cn = country == "CN"
    rolls = rng.random(n)
    tech[(stage == "separation") & (cn | (rolls < 0.2))] = "tech-cn-sx"
    tech[(stage == "magnet") & ~cn & (rolls < 0.3)] = "tech-cn-gbd"
    tech[(stage == "magnet") & (country == "JP") & (rolls >= 0.3)] = "tech-jp-sinter"
    tech[stage == "recycling"] = "tech-gb-hpms"

    unit = np.where(np.isin(stage, ["component", "subsystem", "assembly"]), "units/yr", "t/yr")
    status = np.where(planned, np.where(rng.random(n) < 0.5, "planned", "construction"),
                      "operating")
    names = {"mine": "Mine", "concentration": "Concentrator", "separation": "Separation plant",
             "metal": "Metal plant", "alloy": "Alloy plant", "magnet": "Magnet plant",
             "recycling": "Recycler", "component": "Component plant",
             "subsystem": "Subsystem plant", "assembly": "Final assembly",
             "market": "World market"}
    facilities_df = pd.DataFrame({
        "id": ids,
        "name": [f"{names[s]} {i}" for i, s in enumerate(stage)],
        "company": company, "country": country, "stage": stage,
        "products": [";".join(product_ids[p] for p in m) for m in made],
        "capacity": np.where(market, "", [f"{c:.1f}" for c in capacity]),
        "capacity_unit": np.where(market, "", unit),
        "status": status, "online_from": online_from, "online_until": "",
        "technologies": tech,
        "sources": np.where(market, "SYN;IEA25",
                            np.where(np.isin(stage, ["mine", "concentration"]), "SYN;USGS25c",
                                     "SYN")),
        "confidence": np.where(market, "estimated", "illustrative"),
    })

    tables = {
        "sources": pd.DataFrame(_SOURCES, columns=["id", "title", "publisher", "date", "url"]),
        "companies": companies,
        "ownership": ownership,
        "technologies": pd.DataFrame(
            [(t, nm, s, c, "SYN", "illustrative") for t, nm, s, c in _TECHNOLOGIES],
            columns=["id", "name", "stage", "origin_country", "sources", "confidence"]),
        "products": pd.DataFrame(
            [(*p, "SYN", "illustrative") for p in products],
            columns=["id", "name", "category", "elements", "unit", "unit_price_usd",
                     "sources", "confidence"]),
        "bom": pd.DataFrame([(*b, "SYN", "illustrative") for b in bom],
                            columns=["product", "input", "qty", "sources", "confidence"]),
        "facilities": facilities_df,
        "supplies": supplies,
    }
    k_live = np.bincount(link_need, minlength=n_needs)
    recycling = int(np.sum((supplies["product"] == "magnet-swarf").to_numpy())
                    + np.sum((supplies["product"] == "recycled-ndfeb-alloy").to_numpy()))
    stats: dict[str, Any] = {
        "facilities": n,
        "supplies": len(supplies),
        "needs": n_needs,
        "single_sourced_share": float(np.mean(k_live == 1)) if n_needs else 0.0,
        "mean_suppliers": float(np.mean(k_live)) if n_needs else 0.0,
        "recycling_links": recycling,
        "planned_facilities": int(planned.sum()),
        "dated_links": int(len(sw) * 2 + len(fut_need_a)),
        "stage_counts": {s: int(np.sum(stage == s)) for s in order},
        "country_share": {s: {c: float(np.mean(country[stage == s] == c))
                              for c in STAGE_COUNTRY_SHARES[s]}
                          for s in STAGE_COUNTRY_SHARES},
        "platforms": plat_ids,
    }
    return SynthNetwork(tables=tables, stats=stats)


def write_network(net: SynthNetwork, out: str | Path, *,
                  progress: Callable[[int], object] | None = None) -> Path:
    """Write ``net`` as a dataset directory (one CSV per table) and return its path.

    Existing CSV files of the same names are replaced; nothing else in ``out`` is touched.
    ``progress`` is called with the number of rows of each table once it is written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_network(generate_network(120, seed=3), d)
    ...     sorted(p.name for p in path.iterdir())[:2]
    ['bom.csv', 'companies.csv']
    """
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    for name, table in net.tables.items():
        table.to_csv(root / f"{name}.csv", index=False, lineterminator="\n")
        if progress is not None:
            progress(len(table))
    return root
