"""Datasets shaped to expose super-linear work: a deep bill of materials and a huge fan-in.

- :func:`write_deep_chain` — ``n`` products, each made from the one before by one
  facility (a bill of materials ``n`` deep, one facility per tier, all with a capacity).
  Work per product that walks the whole chain costs ``n²`` here.
- :func:`write_fan_in` — ``n`` mines all supplying one separator (then a magnet plant, a
  component plant and an assembly). Work per buyer that walks every supplier of every buyer
  is fine; work per supplier that walks its buyer's suppliers costs ``n²`` here.

Both write the dataset format (the CSV tables of ``oretrace.loaders``) to a directory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["write_deep_chain", "write_fan_in"]

_SRC = ("adv", "illustrative")
_FAC_HEAD = ["id", "name", "company", "country", "stage", "products", "capacity",
             "capacity_unit", "status", "online_from", "online_until", "technologies",
             "sources", "confidence"]
_PROD_HEAD = ["id", "name", "category", "elements", "unit", "unit_price_usd", "sources",
              "confidence"]
_SUP_HEAD = ["supplier", "buyer", "product", "share", "start", "end", "sources", "confidence"]
_BOM_HEAD = ["product", "input", "qty", "sources", "confidence"]


def _write(path: Path, head: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(head)
        out.writerows(rows)


def _common(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "sources.csv", ["id", "title", "publisher", "date", "url"],
           [["adv", "Adversarial benchmark network", "oretrace benchmarks", "2026-12-01", ""]])
    _write(out / "companies.csv", ["id", "name", "country", "state_owned", "listed_on",
                                   "sources", "confidence"],
           [["cn-co", "CN Co", "CN", "true", "", *_SRC],
            ["us-co", "US Co", "US", "false", "", *_SRC]])
    (out / "rules.yaml").write_text("rules: []\n", encoding="utf-8")


def _facility(fid: str, company: str, country: str, stage: str, product: str,
              capacity: float | str) -> list[object]:
    return [fid, fid, company, country, stage, product, capacity, "t/yr", "operating", "", "",
            "", *_SRC]


def write_deep_chain(n: int, out: str | Path) -> Path:
    """Write a chain of ``n`` products ``p0000 → p0001 → …`` made by ``f0000 …`` (a mine,
    then ``n - 1`` alloy plants), then a component plant and an assembly of ``plat``.

    Every tier needs 1.1 kg of the tier below per kg (so demand grows along the chain),
    facilities alternate between a Chinese and a US company, and each has 1000 t/yr."""
    out = Path(out)
    _common(out)
    width = max(4, len(str(n)))
    p = [f"p{i:0{width}d}" for i in range(n)]
    f = [f"f{i:0{width}d}" for i in range(n)]
    products = [[p[0], p[0], "ore", "Nd=0.05", "kg", 1, *_SRC]]
    products += [[q, q, "alloy", "Nd=0.3", "kg", 10, *_SRC] for q in p[1:]]
    products += [["part", "part", "component", "", "each", 1000, *_SRC],
                 ["plat", "plat", "platform", "", "each", 1_000_000, *_SRC]]
    _write(out / "products.csv", _PROD_HEAD, products)
    bom = [[p[i], p[i - 1], 1.1, *_SRC] for i in range(1, n)]
    bom += [["part", p[-1], 0.5, *_SRC], ["plat", "part", 4, *_SRC]]
    _write(out / "bom.csv", _BOM_HEAD, bom)
    facilities = [_facility(f[0], "cn-co", "CN", "mine", p[0], 1000)]
    facilities += [_facility(f[i], "cn-co" if i % 2 else "us-co", "CN" if i % 2 else "US",
                             "alloy", p[i], 1000) for i in range(1, n)]
    facilities += [_facility("comp", "us-co", "US", "component", "part", 100),
                   _facility("asm", "us-co", "US", "assembly", "plat", 10)]
    _write(out / "facilities.csv", _FAC_HEAD, facilities)
    supplies = [[f[i - 1], f[i], p[i - 1], 1, "", "", *_SRC] for i in range(1, n)]
    supplies += [[f[-1], "comp", p[-1], 1, "", "", *_SRC], ["comp", "asm", "part", 1, "", "",
                                                             *_SRC]]
    _write(out / "supplies.csv", _SUP_HEAD, supplies)
    return out


def write_fan_in(n: int, out: str | Path) -> Path:
    """Write ``n`` mines (half Chinese) each supplying ``1/n`` of one separator's ore, then
    a magnet plant, a component plant and an assembly of ``plat``; every facility has a
    capacity (mines 10 t/yr each)."""
    out = Path(out)
    _common(out)
    _write(out / "products.csv", _PROD_HEAD, [
        ["ore", "ore", "ore", "Nd=0.05", "kg", 1, *_SRC],
        ["oxide", "oxide", "oxide", "Nd=0.857", "kg", 70, *_SRC],
        ["magnet", "magnet", "magnet", "Nd=0.267", "kg", 100, *_SRC],
        ["part", "part", "component", "", "each", 5000, *_SRC],
        ["plat", "plat", "platform", "", "each", 1_000_000, *_SRC]])
    _write(out / "bom.csv", _BOM_HEAD, [["oxide", "ore", 20, *_SRC],
                                        ["magnet", "oxide", 0.312, *_SRC],
                                        ["part", "magnet", 0.5, *_SRC],
                                        ["plat", "part", 4, *_SRC]])
    width = max(6, len(str(n)))
    mines = [f"mine-{i:0{width}d}" for i in range(n)]
    facilities = [_facility(m, "cn-co" if i % 2 else "us-co", "CN" if i % 2 else "US",
                            "mine", "ore", 10) for i, m in enumerate(mines)]
    facilities += [_facility("sep", "us-co", "US", "separation", "oxide", 100),
                   _facility("mag", "us-co", "US", "magnet", "magnet", 10),
                   _facility("comp", "us-co", "US", "component", "part", 1000),
                   _facility("asm", "us-co", "US", "assembly", "plat", 10)]
    _write(out / "facilities.csv", _FAC_HEAD, facilities)
    share = f"{1 / n:.12g}"
    supplies: list[list[object]] = [[m, "sep", "ore", share, "", "", *_SRC] for m in mines]
    supplies += [["sep", "mag", "oxide", 1, "", "", *_SRC],
                 ["mag", "comp", "magnet", 1, "", "", *_SRC],
                 ["comp", "asm", "part", 1, "", "", *_SRC]]
    _write(out / "supplies.csv", _SUP_HEAD, supplies)
    return out
