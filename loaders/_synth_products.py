"""What the synthetic industrial base makes: the materials, and drawn component, subsystem
and platform types with their bills of materials (part of :mod:`oretrace.loaders.synth`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MAGNETS", "OXIDES", "Catalogue", "draw_catalogue"]

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

#: The oxides, in the order of the world-market pools that sell them.
OXIDES = ("ndpr-oxide", "dy-oxide", "tb-oxide", "sm-oxide")
#: The magnets a component or subsystem may take.
MAGNETS = ("ndfeb-magnet", "ndfeb-magnet-recycled", "smco-magnet")

#: A ``products`` row before its sources: id, name, category, elements, unit, unit price.
ProductRow = tuple[str, str, str, str, str, str]
#: A ``bom`` row before its sources: product, input, quantity.
BomRow = tuple[str, str, str]


@dataclass(frozen=True)
class Catalogue:
    """The products of one draw and their bills of materials, as text cells.

    ``ids`` lists the product ids in row order and ``index`` maps each to its position;
    ``requires`` maps a product's position to the positions of its inputs, in BOM order.
    ``components``, ``subsystems`` and ``platforms`` are the ids of the drawn types.
    """

    products: list[ProductRow]
    bom: list[BomRow]
    components: list[str]
    subsystems: list[str]
    platforms: list[str]
    ids: list[str]
    index: dict[str, int]
    requires: dict[int, list[int]]


def draw_catalogue(rng: np.random.Generator, facilities: int, n_platforms: int) -> Catalogue:
    """The materials, then component, subsystem and platform types drawn in that order.

    A base of ``facilities`` facilities has ``max(4, facilities // 400)`` component types and
    ``max(3, facilities // 1000)`` subsystem types.
    """
    products: list[ProductRow] = [
        (pid, name, cat, el, unit, f"{price:g}") for pid, name, cat, el, unit, price in _MATERIALS]
    bom: list[BomRow] = [(p, i, f"{q:g}") for p, i, q in _MATERIAL_BOM]
    comp_ids = [f"component-{j:03d}" for j in range(max(4, facilities // 400))]
    sub_ids = [f"subsystem-{j:03d}" for j in range(max(3, facilities // 1000))]
    plat_ids = [f"platform-{j:02d}" for j in range(n_platforms)]
    _draw_components(rng, comp_ids, products, bom)
    _draw_subsystems(rng, sub_ids, comp_ids, products, bom)
    _draw_platforms(rng, plat_ids, sub_ids, comp_ids, products, bom)
    ids = [p[0] for p in products]
    index = {p: i for i, p in enumerate(ids)}
    requires: dict[int, list[int]] = {}
    for parent, child, _ in bom:
        requires.setdefault(index[parent], []).append(index[child])
    return Catalogue(products, bom, comp_ids, sub_ids, plat_ids, ids, index, requires)


def _draw_components(rng: np.random.Generator, comp_ids: list[str],
                     products: list[ProductRow], bom: list[BomRow]) -> None:
    """A component takes one or two magnets and, sometimes, an earlier component."""
    for j, pid in enumerate(comp_ids):
        _priced(rng, products, pid, f"Component type {j}", "component", 9.0, -1)
        magnets = rng.choice(len(MAGNETS), size=1 + int(rng.random() < 0.3), replace=False,
                             p=[0.7, 0.1, 0.2])
        for m in sorted(magnets):
            kg = float(np.round(np.exp(rng.normal(-1.5, 1.0)), 3)) + 0.001
            bom.append((pid, MAGNETS[m], f"{kg:g}"))
        if j > 0 and rng.random() < 0.2:
            bom.append((pid, comp_ids[int(rng.integers(0, j))], f"{int(rng.integers(1, 5))}"))


def _priced(rng: np.random.Generator, products: list[ProductRow], pid: str, name: str,
            category: str, log_price: float, decimals: int) -> None:
    """Add product ``pid``, priced about ``exp(log_price)`` dollars each."""
    price = float(np.round(np.exp(rng.normal(log_price, 1.0)), decimals))
    products.append((pid, name, category, "", "each", f"{price:g}"))


def _takes(rng: np.random.Generator, bom: list[BomRow], pid: str, parts: list[str],
           kinds: tuple[int, int], most: int) -> None:
    """``pid`` takes ``kinds[0]`` to ``kinds[1] - 1`` distinct ``parts`` (as many as there
    are, at most), 1 to ``most - 1`` of each."""
    picked = rng.choice(len(parts), size=min(len(parts), int(rng.integers(*kinds))),
                        replace=False)
    for k in sorted(picked):
        bom.append((pid, parts[k], f"{int(rng.integers(1, most))}"))


def _draw_subsystems(rng: np.random.Generator, sub_ids: list[str], comp_ids: list[str],
                     products: list[ProductRow], bom: list[BomRow]) -> None:
    """A subsystem takes two to five component types and, sometimes, magnets directly."""
    for j, pid in enumerate(sub_ids):
        _priced(rng, products, pid, f"Subsystem type {j}", "subsystem", 12.5, -2)
        _takes(rng, bom, pid, comp_ids, (2, 6), 13)
        if rng.random() < 0.3:
            bom.append((pid, MAGNETS[int(rng.integers(0, 3))],
                        f"{float(np.round(rng.uniform(0.1, 5.0), 2)):g}"))


def _draw_platforms(rng: np.random.Generator, plat_ids: list[str], sub_ids: list[str],
                    comp_ids: list[str], products: list[ProductRow], bom: list[BomRow]) -> None:
    """A platform takes three to six subsystem types and, half the time, components directly."""
    for j, pid in enumerate(plat_ids):
        _priced(rng, products, pid, f"Platform {j}", "platform", 17.5, -3)
        _takes(rng, bom, pid, sub_ids, (3, 7), 5)
        if rng.random() < 0.5:
            _takes(rng, bom, pid, comp_ids, (1, 4), 9)

