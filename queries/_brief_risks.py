"""The brief's chokepoints and risks (private to :mod:`oretrace.queries.brief`).

A chokepoint here is *non-trivial*: a platform's own final assembly, its operator and its
country stop it by definition and are left out. The risks are ranked by :data:`MEASURE`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import networkx as nx
from oretrace.graphmodel import CONFIDENCE_ORDER, Confidence, weakest
from oretrace.queries.chokepoints import rank_chokepoints
from pydantic import BaseModel

__all__ = ["MEASURE", "WEIGHTS", "Risk", "chokepoint_rows", "rank_risks", "top_chokepoint"]

#: Weight of a claim by its confidence, in the risk measure.
WEIGHTS: dict[Confidence, float] = {Confidence.DOCUMENTED: 1.0, Confidence.REPORTED: 0.75,
                                    Confidence.ESTIMATED: 0.5, Confidence.ILLUSTRATIVE: 0.25}

#: How the risks are ranked (printed on the page).
MEASURE = ("score = platforms stopped × the claim's confidence weight (documented 1, reported "
           "¾, estimated ½, illustrative ¼); each platform counts once, because build rates are "
           "counted in different units (boats, aircraft, kits a year) and unit prices are not "
           "recorded for every platform; ties go to more platforms stopped, then a policy before "
           "a country before a facility, then by name, and are marked")

_KIND_ORDER = {"policy": 0, "country": 1, "facility": 2}


class Risk(BaseModel):
    """One of the risks that matter most: what happens, which platforms stop, how sure."""

    rank: int
    kind: Literal["policy", "country", "facility"]
    nodes: list[str]
    names: list[str]
    also: list[str]
    platforms: list[str]
    confidence: Confidence
    assumed: bool
    score: float
    tied_with: list[int]
    tied_unshown: int


def chokepoint_rows(G: nx.MultiDiGraph, day: dt.date, chosen: list[str],
                    level: str) -> list[dict[str, Any]]:
    """Non-trivial single points of failure at ``level``, with the platforms each stops
    (:func:`rank_chokepoints` leaves each platform's trivial ones out)."""
    rows = []
    for r in rank_chokepoints(G, level=level, platforms=chosen, as_of=day).to_dict(
            orient="records"):
        conf = Confidence(r["confidence"])
        plats = sorted(r["platforms"])
        rows.append({"node": str(r["node"]), "name": str(r["name"]), "platforms": plats,
                     "confidence": conf, "score": len(plats) * WEIGHTS[conf]})
    return rows


def top_chokepoint(p: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [r for r in rows if p in r["platforms"]]
    if not mine:
        return {"chokepoint": None, "chokepoint_name": None, "chokepoint_stops": [],
                "chokepoint_confidence": None, "more_single_points": 0}
    top = max(mine, key=lambda r: (r["score"], CONFIDENCE_ORDER[r["confidence"]],
                                   len(r["platforms"]), [-ord(c) for c in r["node"]]))
    return {"chokepoint": top["node"], "chokepoint_name": top["name"],
            "chokepoint_stops": top["platforms"], "chokepoint_confidence": top["confidence"],
            "more_single_points": len(mine) - 1}


def rank_risks(G: nx.MultiDiGraph, policy: tuple[str, list[str], Confidence, bool],
               facility_rows: list[dict[str, Any]], country_rows: list[dict[str, Any]],
               top: int = 5) -> list[Risk]:
    """The candidate risks, scored by :data:`MEASURE`; the ``top`` best, ranks and ties.

    ``policy`` is (name, platforms it stops, confidence, rests on an assumed status); the
    facilities that each stop the same platforms are one risk, folded into their country's
    when the country alone stops exactly those.
    """
    cands: list[dict[str, Any]] = []
    name, lost, level, assumed = policy
    if lost:
        cands.append({"kind": "policy", "nodes": [name], "names": [
            "China denies military end users"], "also": [], "platforms": lost,
            "confidence": level, "assumed": assumed})
    countries = {r["node"]: {"kind": "country", "nodes": [r["node"]], "names": [r["name"]],
                             "also": [], "platforms": r["platforms"],
                             "confidence": r["confidence"], "assumed": False}
                 for r in country_rows}
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in facility_rows:
        groups.setdefault(tuple(r["platforms"]), []).append(r)
    for plats, members in groups.items():
        homes = {G.nodes[m["node"]].get("country") for m in members}
        home = next(iter(homes)) if len(homes) == 1 else None
        if home in countries and tuple(countries[home]["platforms"]) == plats:
            countries[home]["also"] += [m["node"] for m in members]
            continue
        cands.append({"kind": "facility", "nodes": [m["node"] for m in members],
                      "names": [m["name"] for m in members], "also": [],
                      "platforms": list(plats),
                      "confidence": weakest([m["confidence"] for m in members]),
                      "assumed": False})
    cands += countries.values()
    for c in cands:
        c["score"] = len(c["platforms"]) * WEIGHTS[Confidence(c["confidence"])]
    cands.sort(key=lambda c: (-c["score"], -len(c["platforms"]), _KIND_ORDER[c["kind"]],
                              c["nodes"]))
    chosen = cands[:top]
    out = []
    for i, c in enumerate(chosen, start=1):
        ties = [j for j, o in enumerate(chosen, start=1) if j != i and o["score"] == c["score"]]
        unshown = sum(1 for o in cands[top:] if o["score"] == c["score"])
        out.append(Risk(rank=i, tied_with=ties, tied_unshown=unshown, **c))
    return out
