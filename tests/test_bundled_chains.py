"""The bundled chains an analyst looks for: heavy rare earths from the ion-adsorption clays,
the F-35's rare-earth mass as the range its sources span, and where its elements were mined.

Expectations come from shared/reference/facts.md:

- Dy and Tb are separated from heavy-RE feed: southern China's ion-adsorption clays (2023
  ionic quota 19,100 t REO, PB-3rd-23) and Kachin's (Burma 22,000 t REO 2025e, MCS 2026),
  ~50 % of China's heavy-RE feed (Reuters-21); never from light-RE ore (DESIGN §3).
- Terfenol-D (Tb0.3Dy0.7Fe1.9) is in naval sonar transducers (Terf); Columbia's main
  propulsion motor is a permanent-magnet motor (DefMirror-Col).
- F-35 rare-earth content: Adamas ~23 kg SmCo + 8-20 kg NdFeB alloy (11-20 kg elemental,
  Adamas26) against CRS's 417 kg (920 lb) (CRS-ihls).
"""

from __future__ import annotations

import networkx as nx
import pytest
from oretrace.queries.content import origin_share
from oretrace.queries.exposure import find_where_used
from oretrace.queries.predicates import Predicate

TODAY = "2026-12-02"
HRE_MINES = {"cn-south-ion-clay", "kachin-ion-clay"}


def test_where_used_of_the_kachin_mines_lists_the_naval_platforms(
        bundled: nx.MultiDiGraph) -> None:
    """Kachin's clays feed China's heavy-RE separation, its Dy and Tb metal, Terfenol-D and
    the sonar transducers of Virginia, Columbia and DDG-51 (and Columbia's PM motor)."""
    used = {d.platform: d for d in find_where_used(bundled, "kachin-ion-clay", as_of=TODAY)}
    assert {"Virginia", "Columbia", "DDG-51"} <= set(used)
    for platform in ("Virginia", "Columbia", "DDG-51"):
        assert any(p[:2] == ["kachin-ion-clay", "cn-hre-separation"]
                   for p in used[platform].paths), platform


@pytest.mark.parametrize("platform", ["Virginia", "Columbia", "DDG-51"])
@pytest.mark.parametrize("element", ["Dy", "Tb"])
def test_heavy_rare_earths_reach_the_naval_platforms_only_from_ion_clay(
        bundled: nx.MultiDiGraph, platform: str, element: str) -> None:
    """Mined origin of the element, counting as origin only the two ion-clay mine groups:
    all of it (share 1, no untraced part). By country: every Dy/Tb unit passes China's
    heavy-RE separation, so China holds it all; mined in China, 19,100 of 41,100 t REO of
    the clay feed: 0.4647."""
    clays = Predicate("ion-clay", lambda G: set(HRE_MINES))
    r = origin_share(bundled, platform, origin=clays, element=element, as_of=TODAY)
    assert r.kg_per_unit > 0
    assert r.share == pytest.approx(1.0)
    mined_cn = origin_share(bundled, platform, element=element, as_of=TODAY, stages=["mine"])
    assert mined_cn.share == pytest.approx(19_100 / 41_100)


def test_the_f35_rare_earth_mass_spans_the_adamas_and_crs_readings(
        bundled: nx.MultiDiGraph) -> None:
    """By hand, from the bill of materials (2:17 SmCo at 25.5 wt% Sm; high-temperature NdFeB
    at 32 wt% RE): modelled parts 1.0 kg SmCo (IPP, radar) and 5.5 kg NdFeB (10 EHAs x 0.5,
    landing gear 0.5) hold 0.255 + 1.76 = 2.015 kg; the SmCo balance 22 kg holds 5.61 kg.
    Low end: NdFeB balance 2.5 kg (Adamas 8 kg less 5.5) adds 0.8 kg: 8.425 kg, under
    Adamas's 20 kg elemental ceiling. High end: 1,280.2 kg adds 409.66 kg: 417.29 kg, the CRS
    417.3 kg (920 lb). Both ends name their reading."""
    r = origin_share(bundled, "F-35", as_of=TODAY)
    assert r.kg_per_unit_low == pytest.approx(2.015 + 5.61 + 2.5 * 0.32)
    assert r.kg_per_unit_low <= 20
    assert r.kg_per_unit_high == pytest.approx(2.015 + 5.61 + 1280.2 * 0.32)
    assert r.kg_per_unit_high == pytest.approx(417.3, abs=0.05)
    (line,) = r.ranges
    assert (line.product, line.input) == ("F-35", "ndfeb-magnet-ht")
    assert "Adamas26" in (line.low_reading or "")
    assert "CRS" in (line.high_reading or "") and "920 lb" in (line.high_reading or "")
    assert r.confidence == "illustrative"


def test_the_f35_samarium_is_no_longer_erased(bundled: nx.MultiDiGraph) -> None:
    """Adamas puts SmCo (~23 kg) above NdFeB (8-20 kg): 23 kg of 2:17 SmCo at 25.5 wt% Sm
    = 5.865 kg of Sm per F-35 (was 0.231 kg of 417 kg)."""
    sm = origin_share(bundled, "F-35", element="Sm", as_of=TODAY)
    assert sm.kg_per_unit == pytest.approx(23 * 0.255)


def test_the_f35_mined_in_china_share_is_well_above_zero(bundled: nx.MultiDiGraph) -> None:
    """Mined origin (stages=["mine"]) once read 0: the concentrate declares no element
    fractions and the origin was dropped there. By hand for Dy: all the F-35's Dy is in its
    high-temperature magnets, whose Dy metal is Chinese, separated from the clay feed:
    19,100 of 41,100 t REO mined in China = 0.4647. For Sm: 0.5 kg in the IPP (US alloy,
    world samarium metal, all traced to Chinese light-RE mining: 1) and 22.5 kg through the
    DFARS SmCo market (Arnold 1; Permag half world metal 1, half LCM from Solvay 0: 0.5;
    market 0.75): (0.5 x 1 + 22.5 x 0.75) / 23 = 0.7554."""
    r = origin_share(bundled, "F-35", as_of=TODAY, stages=["mine"])
    by = {e.element: e for e in r.elements}
    assert by["Dy"].mass_share == pytest.approx(19_100 / 41_100)
    assert by["Sm"].mass_share == pytest.approx((0.5 + 22.5 * 0.75) / 23)
    assert r.share is not None and r.share > 0.5
