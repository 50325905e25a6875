"""Mined origin through a concentrate that declares no element fractions (hand-worked).

The mini network (tests/data/mini), with its ore's ``Nd=0.05`` removed: the ore is then
*opaque* (composition unknown), as the bundled concentrates are.

    cn-mine (CN) → cn-sep (CN) ─0.6─┐
                                     ├→ jp-mag (JP) → us-comp → us-asm → missile
    us-mine (US) → us-sep (US) ─0.4─┘   (us-sep from 2027-01-01)

Mined in China (``stages=["mine"]``): cn-sep makes Nd oxide from ore alone, so all its Nd
came with the ore, from cn-mine: 1. us-sep's: 0. jp-mag, as of 2027-06-01:
0.6 x 1 + 0.4 x 0 = 0.6, and the missile holds only jp-mag's Nd: 0.6, all of it traced.
Before 2027 us-sep does not exist: the traced 0.6 is all Chinese (share 1) and 0.4 of the
need has no supplier (coverage 0.6). (The roll-up used to stop at the opaque ore and read 0.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from oretrace.loaders import load_dataset
from oretrace.queries.content import origin_share


def opaque_ore(lines: list[str]) -> list[str]:
    assert lines[1].startswith("ore,RE ore,ore,Nd=0.05,")
    lines[1] = lines[1].replace(",Nd=0.05,", ",,")
    return lines


@pytest.mark.parametrize("backend", ["networkx", "compiled"])
@pytest.mark.parametrize(("as_of", "share", "coverage"),
                         [("2026-06-01", 1.0, 0.6), ("2027-06-01", 0.6, 1.0)])
def test_mined_origin_survives_an_opaque_ore(mini_copy: Callable[..., Path], backend: str,
                                             as_of: str, share: float, coverage: float) -> None:
    G = load_dataset(mini_copy("products.csv", opaque_ore))
    r = origin_share(G, "missile", stages=["mine"], as_of=as_of, backend=backend)
    assert r.share == pytest.approx(share)
    assert r.coverage == pytest.approx(coverage)


def test_an_element_the_buyer_does_not_make_is_not_charged_to_the_ore(
        mini_copy: Callable[..., Path]) -> None:
    """Only what the separator's output holds passes through the ore: no Dy anywhere."""
    G = load_dataset(mini_copy("products.csv", opaque_ore))
    r = origin_share(G, "missile", element="Dy", stages=["mine"], as_of="2027-06-01")
    assert r.kg_per_unit == 0
