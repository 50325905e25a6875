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

The same ``seed`` and options give the same tables, byte for byte (a draw is pinned in
``tests/test_synth_draw.py``), so the order of the random calls is part of the contract.

The draw is split by concept: what is made (``_synth_products``: materials, part types and
their bills of materials), where and by whom (``_synth_facilities``: stages, countries,
capacities, products, planned plants), who supplies whom (``_synth_links``); this module draws
the companies, ownership and technologies and lays every table out under the reader's own
columns and table order (:data:`oretrace.loaders.REQUIRED_COLUMNS`).

Examples
--------
>>> net = generate_network(300, seed=1)
>>> sorted(net.tables)[:3], net.tables["facilities"].shape[0]
(['bom', 'companies', 'facilities'], 300)
>>> 0.05 < net.stats["single_sourced_share"] < 0.3
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from oretrace.graphmodel.errors import QueryError
from oretrace.loaders._reader import REQUIRED_COLUMNS
from oretrace.loaders._synth_facilities import (
    STAGE_COUNTRY_SHARES,
    STAGES,
    Plants,
    draw_plants,
    layout,
)
from oretrace.loaders._synth_links import SupplyLinks, draw_links
from oretrace.loaders._synth_products import Catalogue, draw_catalogue

__all__ = [
    "STAGE_COUNTRY_SHARES",
    "SynthNetwork",
    "generate_network",
    "write_network",
]

_Array = np.ndarray[Any, Any]

#: (id, name, stage, origin country) of the technologies.
_TECHNOLOGIES: list[tuple[str, str, str, str]] = [
    ("tech-cn-sx", "Chinese solvent-extraction separation", "separation", "CN"),
    ("tech-cn-gbd", "Chinese grain-boundary diffusion", "magnet", "CN"),
    ("tech-jp-sinter", "Japanese sintering line", "magnet", "JP"),
    ("tech-gb-hpms", "Hydrogen processing of magnet scrap", "recycling", "GB"),
]

#: The ``sources`` rows: the draw itself and the publications its shares follow.
_SOURCES: list[tuple[str, str, str, str, str]] = [
    ("SYN", "oretrace synthetic industrial base (generated; not a claim)", "oretrace", "",
     ""),
    ("USGS25c", "USGS Mineral Commodity Summaries 2025: Rare Earths", "USGS", "2025-01-31",
     "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-rare-earths.pdf"),
    ("IEA25", "IEA commentary on rare-earth supply concentration", "IEA", "2025-10-23",
     "https://www.iea.org/commentaries"),
]

#: The name of a facility, by stage (its position follows).
_FACILITY_NAMES = {"mine": "Mine", "concentration": "Concentrator",
                   "separation": "Separation plant", "metal": "Metal plant",
                   "alloy": "Alloy plant", "magnet": "Magnet plant", "recycling": "Recycler",
                   "component": "Component plant", "subsystem": "Subsystem plant",
                   "assembly": "Final assembly", "market": "World market"}


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
    n_platforms = _platform_count(facilities, suppliers=suppliers,
                                  single_sourced=single_sourced, platforms=platforms)
    rng = np.random.default_rng(seed)
    stage, ids, first = layout(facilities, n_platforms)
    # the draw order is part of the contract (same seed, same tables): products and their
    # bills of materials, facilities, supply links, companies, then technologies and status
    cat = draw_catalogue(rng, facilities, n_platforms)
    plants = draw_plants(rng, stage, ids, first, cat)
    links = draw_links(rng, plants, cat, suppliers=suppliers, single_sourced=single_sourced)
    company, companies, ownership = _draw_companies(rng, plants)
    facility_columns = _facility_columns(rng, plants, cat, company)
    tables = {
        "sources": _rows_table("sources", _SOURCES),
        "companies": _rows_table("companies", companies),
        "ownership": _rows_table("ownership", ownership),
        "technologies": _rows_table(
            "technologies", [(*t, "SYN", "illustrative") for t in _TECHNOLOGIES]),
        "products": _rows_table("products", [(*p, "SYN", "illustrative") for p in cat.products]),
        "bom": _rows_table("bom", [(*b, "SYN", "illustrative") for b in cat.bom]),
        "facilities": _columns_table("facilities", facility_columns),
        "supplies": _columns_table("supplies", links.columns),
    }
    tables = {name: tables[name] for name in REQUIRED_COLUMNS}  # in the reader's order
    return SynthNetwork(tables=tables, stats=_stats(plants, cat, links, tables["supplies"]))


def _platform_count(facilities: int, *, suppliers: float, single_sourced: float,
                    platforms: int | None) -> int:
    """The number of platform types, once the options are checked (:class:`QueryError`)."""
    if suppliers < 2:
        raise QueryError(f"suppliers={suppliers}: a multi-sourced need has at least 2 suppliers")
    if not 0 <= single_sourced <= 1:
        raise QueryError(f"single_sourced={single_sourced} is not a fraction")
    n_platforms = platforms if platforms is not None else int(np.clip(facilities // 2500, 2, 40))
    if n_platforms < 1:
        raise QueryError("at least one platform is needed")
    return n_platforms


def _rows_table(name: str, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The dataset table ``name`` from whole rows, under the reader's columns
    (:data:`oretrace.loaders.REQUIRED_COLUMNS`); a row of another width is an error."""
    return pd.DataFrame(rows, columns=list(REQUIRED_COLUMNS[name]))


def _columns_table(name: str, columns: dict[str, Any]) -> pd.DataFrame:
    """The dataset table ``name`` from its columns, in the reader's order
    (:data:`oretrace.loaders.REQUIRED_COLUMNS`); a column the reader lacks is an error."""
    extra = set(columns) - set(REQUIRED_COLUMNS[name])
    if extra:
        raise KeyError(f"{name}.csv has no column {sorted(extra)[0]!r}")
    return pd.DataFrame({c: columns[c] for c in REQUIRED_COLUMNS[name]})


def _draw_companies(rng: np.random.Generator, plants: Plants
                    ) -> tuple[_Array, list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Draw the operating companies (about one per four facilities of a country, Zipf-sized;
    70 % of the Chinese ones state-owned), then Chinese stakes in foreign companies: 5 %
    controlling (51–100 %), 5 % minority (10–30 %).

    Returns each facility's company (blank for a market), the ``companies`` rows and the
    ``ownership`` rows.
    """
    country, market = plants.country, plants.market
    company = np.empty(len(country), dtype=object)
    rows: list[tuple[str, ...]] = []
    for c in sorted(set(country[~market])):
        idx = np.flatnonzero((country == c) & ~market)
        n_co = max(1, len(idx) // 4)
        draw = np.minimum(rng.zipf(1.6, len(idx)) - 1, n_co - 1)
        base = len(rows)
        for j in range(n_co):
            owned = "true" if c == "CN" and rng.random() < 0.7 else "false"
            rows.append((f"co-{c.lower()}-{j:05d}", f"{c} company {j}", c, owned, "", "SYN",
                         "illustrative"))
        company[idx] = [rows[base + int(d)][0] for d in draw]
    company[market] = ""
    cn_cos = [r[0] for r in rows if r[2] == "CN"]
    foreign = [r[0] for r in rows if r[2] != "CN"]
    stakes = rng.random(len(foreign))
    own_rows: list[tuple[str, ...]] = []
    for co, r in zip(foreign, stakes, strict=True):
        if r < 0.05 and len(cn_cos):
            share = ("0.51", "0.6", "1")[int(rng.integers(0, 3))]
        elif r < 0.10 and len(cn_cos):
            share = ("0.1", "0.2", "0.3")[int(rng.integers(0, 3))]
        else:
            continue
        own_rows.append((cn_cos[int(rng.integers(0, len(cn_cos)))], co, share, "", "", "SYN",
                         "illustrative"))
    return company, rows, own_rows


def _facility_columns(rng: np.random.Generator, plants: Plants, cat: Catalogue,
                      company: _Array) -> dict[str, Any]:
    """The ``facilities`` table's columns, drawing the technologies (Chinese solvent
    extraction at Chinese and 20 % of other separators, Chinese grain-boundary diffusion at
    30 % of foreign magnet plants, Japanese sintering at the other Japanese ones) and whether
    a planned plant is planned or under construction (even odds)."""
    stage, country, market = plants.stage, plants.country, plants.market
    n = len(stage)
    tech = np.full(n, "", dtype=object)
    cn = country == "CN"
    rolls = rng.random(n)
    tech[(stage == "separation") & (cn | (rolls < 0.2))] = "tech-cn-sx"
    tech[(stage == "magnet") & ~cn & (rolls < 0.3)] = "tech-cn-gbd"
    tech[(stage == "magnet") & (country == "JP") & (rolls >= 0.3)] = "tech-jp-sinter"
    tech[stage == "recycling"] = "tech-gb-hpms"
    unit = np.where(np.isin(stage, ["component", "subsystem", "assembly"]), "units/yr", "t/yr")
    status = np.where(plants.planned, np.where(rng.random(n) < 0.5, "planned", "construction"),
                      "operating")
    return {
        "id": plants.ids,
        "name": [f"{_FACILITY_NAMES[s]} {i}" for i, s in enumerate(stage)],
        "company": company, "country": country, "stage": stage,
        "products": [";".join(cat.ids[p] for p in m) for m in plants.made],
        "capacity": np.where(market, "", [f"{c:.1f}" for c in plants.capacity]),
        "capacity_unit": np.where(market, "", unit),
        "status": status, "online_from": plants.online_from, "online_until": "",
        "technologies": tech,
        "sources": np.where(market, "SYN;IEA25",
                            np.where(np.isin(stage, ["mine", "concentration"]), "SYN;USGS25c",
                                     "SYN")),
        "confidence": np.where(market, "estimated", "illustrative"),
    }


def _stats(plants: Plants, cat: Catalogue, links: SupplyLinks, supplies: pd.DataFrame
           ) -> dict[str, Any]:
    """Counts and shares measured on the draw (see :class:`SynthNetwork`)."""
    stage, country = plants.stage, plants.country
    k_live = np.bincount(links.link_need, minlength=links.needs)
    recycling = int(np.sum((supplies["product"] == "magnet-swarf").to_numpy())
                    + np.sum((supplies["product"] == "recycled-ndfeb-alloy").to_numpy()))
    return {
        "facilities": len(stage),
        "supplies": len(supplies),
        "needs": links.needs,
        "single_sourced_share": float(np.mean(k_live == 1)) if links.needs else 0.0,
        "mean_suppliers": float(np.mean(k_live)) if links.needs else 0.0,
        "recycling_links": recycling,
        "planned_facilities": int(plants.planned.sum()),
        "dated_links": links.dated,
        "stage_counts": {s: int(np.sum(stage == s)) for s in STAGES},
        "country_share": {s: {c: float(np.mean(country[stage == s] == c))
                              for c in STAGE_COUNTRY_SHARES[s]}
                          for s in STAGE_COUNTRY_SHARES},
        "platforms": cat.platforms,
    }


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
