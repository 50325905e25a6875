"""Overlays: a dataset that extends the bundled one (or another directory) by a manifest."""

from __future__ import annotations

from pathlib import Path

import pytest
from oretrace.graphmodel import DatasetError
from oretrace.loaders import load_dataset, validate_dataset
from oretrace.queries.chokepoints import find_single_points_of_failure
from oretrace.queries.compliance import evaluate
from oretrace.queries.concentration import find_concentration
from oretrace.queries.content import origin_share
from oretrace.queries.exposure import find_exposed, find_where_used, trace

MANIFEST = "extends: bundled\nname: rafale\n"
#: One new platform, its assembly and its one magnet line; the products table lists its
#: columns in another order than the bundled one.
TABLES = {
    "sources.csv": "id,title,publisher,date,url\nOv1,An overlay example,,,\n",
    "products.csv": "id,unit,name,category,elements,unit_price_usd,sources,confidence\n"
                    "Rafale,each,Rafale (example),platform,,,Ov1,illustrative\n",
    "bom.csv": "product,input,qty,sources,confidence\n"
               "Rafale,smco-magnet,5..25,Ov1,illustrative\n",
    "facilities.csv": "id,name,company,country,stage,products,capacity,capacity_unit,status,"
                      "online_from,online_until,technologies,sources,confidence\n"
                      "rafale-assembly,Rafale assembly,,FR,assembly,Rafale,,,operating,,,,"
                      "Ov1,illustrative\n",
    "supplies.csv": "supplier,buyer,product,share,start,end,sources,confidence\n"
                    "dfars-smco-magnet-market,rafale-assembly,smco-magnet,1,,,Ov1,illustrative\n",
}


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def overlay(tmp_path: Path) -> Path:
    return write(tmp_path / "rafale", {"dataset.yaml": MANIFEST, **TABLES})


def test_an_overlay_adding_one_platform_loads_and_answers_every_query(overlay: Path) -> None:
    """By hand: the Rafale takes 5..25 kg (midpoint 15) of 2:17 SmCo at 25.5 wt% Sm:
    3.825 kg Sm (1.275 .. 6.375). Its magnets come from the bundled DFARS SmCo market, so
    it is exposed as the Tomahawk is (Chinese samarium metal) and the bundled platforms stay."""
    assert [p for p in validate_dataset(overlay) if p.severity == "error"] == []
    G = load_dataset(overlay)
    assert {"Rafale", "F-35", "Tomahawk"} <= {n for n, d in G.nodes(data=True)
                                              if d.get("category") == "platform"}
    r = origin_share(G, "Rafale", as_of="2026-12-02")
    assert r.kg_per_unit == pytest.approx(15 * 0.255)
    assert r.kg_per_unit_low == pytest.approx(1.275)
    assert r.kg_per_unit_high == pytest.approx(6.375)
    assert "Rafale" in {e.platform for e in find_exposed(G, "cn-processing",
                                                           as_of="2026-12-02")}
    assert "Rafale" in {d.platform for d in find_where_used(G, "cn-metal-pool",
                                                              as_of="2026-12-02")}
    assert len(trace(G, "Rafale", as_of="2026-12-02"))
    assert find_single_points_of_failure(G, platforms=["Rafale"], as_of="2026-12-02")
    assert evaluate(G, "Rafale", as_of="2026-12-02")
    assert len(find_concentration(G, as_of="2026-12-02", routes=False))


def test_a_row_with_a_known_key_overrides_the_extended_rows(overlay: Path) -> None:
    """F-35's price is overridden by id; the Tomahawk's SmCo split by (supplier, buyer,
    product): Permag's 0.5 placeholder becomes 0.2 at every date."""
    (overlay / "products.csv").write_text(
        TABLES["products.csv"] + "F-35,each,F-35 (overlay price),platform,,82500000,Moog19,"
        "reported\n", encoding="utf-8")
    (overlay / "supplies.csv").write_text(
        TABLES["supplies.csv"] + "permag-landisville,dfars-smco-magnet-market,smco-magnet,0.2,"
        ",,Ov1,illustrative\n", encoding="utf-8")
    G = load_dataset(overlay)
    assert G.nodes["F-35"]["unit_price_usd"] == 82_500_000
    links = [d for _, _, d in G.in_edges("dfars-smco-magnet-market", data=True)
             if d.get("kind") == "supplies"]
    assert sorted(d["share"] for d in links) == [0.2, 0.5]  # Permag (overlay), Arnold


def test_every_error_is_located_in_the_file_that_holds_it(overlay: Path) -> None:
    """A bad range in the overlay's bom.csv is reported there (line 2, column 3); an
    override that drops Permag's SmCo magnets breaks a bundled supply row, which is reported
    in bundled/supplies.csv; nothing loads."""
    (overlay / "bom.csv").write_text(TABLES["bom.csv"].replace("5..25", "25..5"),
                                     encoding="utf-8")
    (overlay / "facilities.csv").write_text(
        TABLES["facilities.csv"] + "permag-landisville,Permag,electron-energy,US,magnet,"
        "smco-alloy,,,operating,,,,Ov1,illustrative\n", encoding="utf-8")
    errors = [str(p) for p in validate_dataset(overlay) if p.severity == "error"]
    assert any(e.startswith("bom.csv:2:3: qty") and "low end 25 is above" in e for e in errors)
    assert any(e.startswith("bundled/supplies.csv:") and "permag-landisville" in e
               and "does not list product 'smco-magnet'" in e for e in errors)
    with pytest.raises(DatasetError):
        load_dataset(overlay)


def test_an_overlay_may_extend_an_overlay_by_path(overlay: Path, tmp_path: Path) -> None:
    top = write(tmp_path / "top", {
        "dataset.yaml": "extends: ../rafale\n",
        "bom.csv": "product,input,qty,sources,confidence\nRafale,smco-magnet,10,Ov1,"
                   "illustrative\n"})
    G = load_dataset(top)
    assert G.edges["Rafale", "smco-magnet", "requires"]["qty"] == 10


@pytest.mark.parametrize(("manifest", "words"), [
    ("extends: nowhere\n", "dataset.yaml:1:10: extends: 'nowhere' is not a directory"),
    ("extend: bundled\n", "dataset.yaml:1:1: unknown key 'extend'"),
    ("- bundled\n", "dataset.yaml:1:0: expected a mapping"),
    ("extends: .\n", "extends this dataset again"),
])
def test_a_bad_manifest_is_located(tmp_path: Path, manifest: str, words: str) -> None:
    root = write(tmp_path / "bad", {"dataset.yaml": manifest, **TABLES})
    errors = [str(p) for p in validate_dataset(root) if p.severity == "error"]
    assert any(words in e for e in errors), errors
