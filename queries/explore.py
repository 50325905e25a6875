"""The explorer: a platform's supply network as one self-contained, interactive HTML page.

:func:`explore` lays out a platform's needed supply (:func:`oretrace.queries.exposure.trace`)
by stage, mines left and the platform right, with the columns, colours and line styles of
:func:`oretrace.queries.plots.plot_supply_flow`: nodes filled by country (China
:data:`~oretrace.queries.plots.CN_COLOUR`), a purple border and a "T" badge on a facility running
Chinese-origin technology and purple links downstream of it, a red dashed border on a
Chinese-owned facility outside China, a dotted border on a market (a placeholder pool), and
links solid (documented, reported), dashed (estimated) or dotted (illustrative), their width
the supply share.

The page draws with vis-network, whose script is read from the ``pyvis`` package and inlined,
so the page opens with no network. It has pan and zoom, a search box (an id or a name: the node
is selected and centred), a date selector and a side panel with the clicked node's or link's
attributes, confidence and sources (as links).

**Dates.** The page holds a few *precomputed* dates: ``as_of`` and each date on which the
platform's network changes (a facility or link starting or ending, a change of ownership or
technology use), at most ``max_dates`` of them nearest ``as_of``; or the ``dates`` given. The
network is traced at each date in Python; the page keeps one layout for all of them and, when
another date is chosen, hides what is not in the network on that date and restyles the rest.

All data reach the page as JSON in a ``<script type="application/json">`` element with ``<``,
``>`` and ``&`` escaped, and are put into the page as text (never as HTML); a source's address
is a link only when it is ``http``/``https``.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> view = explore(load_dataset(MINI), "missile", as_of="2026-06-01")
>>> [d.isoformat() for d in view.dates], view.confidence.value
(['2026-06-01', '2027-01-01'], 'illustrative')
>>> sorted(view.nodes)  # doctest: +NORMALIZE_WHITESPACE
['cn-mine', 'cn-sep', 'jp-mag', 'missile', 'us-asm', 'us-comp', 'us-mine', 'us-sep']
"""

from __future__ import annotations

import datetime as dt
import html
import importlib.util
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import networkx as nx
from oretrace.graphmodel import (
    CONFIDENCE_ORDER,
    Confidence,
    OretraceError,
    is_active,
    parse_date,
    weakest,
)
from oretrace.graphmodel.vocab import EdgeKind, NodeKind, Stage
from oretrace.queries._plot_flow import flow_column as _column, order_columns as _order_columns
from oretrace.queries._plot_style import (
    CN_COLOUR,
    TAINT_COLOUR,
    country_colour,
    node_label as _label,
    text_colour as _text_colour,
)
from oretrace.queries.exposure import effective_stage, resolve_products, supply_graph, trace
from oretrace.queries.predicates import CN_OWNED, CN_TECHNOLOGY
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MAX_DATES", "Explorer", "explore", "script_json"]

#: At most this many dates in the page's selector by default (those nearest ``as_of``).
MAX_DATES = 24
#: Pixels between stage columns, and between nodes of a column.
_COLUMN_GAP, _ROW_GAP = 230.0, 78.0
#: Colours and line styles, those of :func:`oretrace.queries.plots.plot_supply_flow`.
_STYLE: dict[str, Any] = {
    "cn": CN_COLOUR, "taint": TAINT_COLOUR, "plain": "#8c8c8c", "border": "#404040",
    "none": country_colour(None), "platform": "#252525",
    # dash and gap in link widths (the page draws round caps: dots for illustrative links)
    "dashes": {Confidence.DOCUMENTED.value: False, Confidence.REPORTED.value: False,
               Confidence.ESTIMATED.value: [2.5, 2.5], Confidence.ILLUSTRATIVE.value: [0.01, 2.4]},
}
#: The template of the page (the application's script and style are in it).
_TEMPLATE = Path(__file__).with_name("explore.html")
_SLOT = re.compile(r"@@(TITLE|DATA|VIS)@@")
_WEB = re.compile(r"https?://", re.IGNORECASE)


class Explorer(BaseModel):
    """An explorer page of a platform's supply network, and what it shows.

    Display it in Jupyter (:meth:`_repr_html_`, an ``iframe`` holding the page) or write it
    with :meth:`save`.
    """

    model_config = ConfigDict(frozen=True)

    platform: str
    as_of: dt.date
    dates: list[dt.date] = Field(description="The dates of the selector, chronological.")
    nodes: list[str] = Field(description="Every node shown on some date (facilities, platform).")
    links: int = Field(description="Supplier-buyer links shown on some date.")
    confidence: Confidence = Field(description="The weakest link of the network at as_of.")
    html: str = Field(repr=False, description="The self-contained page.")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (UTF-8).

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (its folder must exist).

        Returns
        -------
        pathlib.Path
            The file written.
        """
        target = Path(path)
        target.write_text(self.html, encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        """The page in a sandboxed ``iframe`` (``srcdoc``), so that its scripts run in Jupyter."""
        return ('<iframe title="oretrace explorer: ' + html.escape(self.platform, quote=True)
                + '" style="width:100%;height:680px;border:1px solid #ddd" '
                'sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox" '
                f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>')


# --------------------------------------------------------------------------- data


def _plain(value: Any) -> Any:
    """``value`` as JSON data: dates in ISO form, enums by value, NaN as null."""
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_plain(v) for v in items]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def script_json(data: Any) -> str:
    """Return ``data`` as JSON safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` (and the line separators U+2028, U+2029) are written as ``\\u``
    escapes, which JSON reads back as the same characters, so no ``</script>`` or ``<!--``
    can end or change the element.

    Parameters
    ----------
    data : Any
        Plain data (dicts, lists, strings, numbers); dates become ISO strings, enums their
        values and NaN ``null``.

    Returns
    -------
    str
        The JSON text, to put between ``<script type="application/json">`` and ``</script>``.

    Examples
    --------
    >>> script_json({"name": "</script><b>"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(_plain(data), ensure_ascii=False, allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _vis_script() -> str:
    """The vis-network script shipped in the ``pyvis`` package (its newest copy)."""
    spec = importlib.util.find_spec("pyvis")  # found, not imported (it imports IPython)
    roots = list(spec.submodule_search_locations or []) if spec else []
    found = sorted((p for root in roots for p in Path(root).glob("lib/vis-*/vis-network.min.js")),
                   key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)])
    if not found:
        raise OretraceError("the explorer draws with vis-network from the pyvis package, which "
                            "is not installed: pip install pyvis")
    text = found[-1].read_text(encoding="utf-8")
    if re.search(r"</script|<!--", text, re.IGNORECASE):  # would end the inlined element
        raise OretraceError(f"{found[-1]} cannot be inlined: it holds </script or <!--")
    return text


def _upstream_graph(G: nx.MultiDiGraph, platform: str) -> nx.MultiDiGraph:
    """``G`` with only the facilities that can supply ``platform`` on some date, as a plain graph.

    Those are the facilities making it and everything upstream of them in the needed-supply
    graph of every date at once (:func:`~oretrace.queries.exposure.supply_graph` of ``G``
    unsliced: the union of the networks over time); every node that is not a facility is
    kept. Traced on any date, it gives the network that ``G`` gives, with fewer facilities
    for the date filter to pass over.
    """
    H = supply_graph(G)
    makers = [n for n, d in G.nodes(data=True)
              if d.get("kind") == NodeKind.FACILITY and platform in d.get("products", ())]
    upstream = set(makers).union(*(nx.ancestors(H, m) for m in makers))
    S = nx.MultiDiGraph()
    S.graph.update(G.graph)
    S.add_nodes_from((n, d) for n, d in G.nodes(data=True)
                     if d.get("kind") != NodeKind.FACILITY or n in upstream)
    S.add_edges_from((u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True)
                     if u in S and v in S)
    return S


def _change_dates(S: nx.MultiDiGraph) -> set[dt.date]:
    """The dates on which a facility or an edge of ``S`` starts or ends."""
    out: set[Any] = set()
    for _, d in S.nodes(data=True):
        if d.get("kind") == NodeKind.FACILITY:
            out |= {d.get("online_from"), d.get("online_until")}
    for _, _, d in S.edges(data=True):
        out |= {d.get("start"), d.get("end")}
    return {d for d in out if isinstance(d, dt.date)}


def _supply_records(G: nx.MultiDiGraph, day: dt.date, u: str, v: str,
                    products: Iterable[str]) -> list[dict[str, Any]]:
    """The supply edges ``u -> v`` of ``products`` active on ``day``, as the panel shows them."""
    wanted = set(products)
    keep = ("product", "share", "share_lo", "share_hi", "share_basis", "start", "end",
            "confidence", "sources", "notes")
    return [{k: d.get(k) for k in keep if d.get(k) is not None}
            for d in (G.get_edge_data(u, v) or {}).values()
            if d.get("kind") == EdgeKind.SUPPLIES and d.get("product") in wanted
            and is_active(d, day)]


def _snapshot(G: nx.MultiDiGraph, platform: str, day: dt.date) -> dict[str, Any]:
    """The network on ``day``: links with their share, confidence and supply records, and
    each node's date-dependent marks (technology, ownership, taint)."""
    links: dict[str, dict[str, Any]] = {}
    cn_tech: set[str] = set()
    cn_owned: set[str] = set()
    for row in trace(G, platform, as_of=day).to_dict(orient="records"):
        u, v = str(row["facility"]), str(row["buyer"])
        if CN_TECHNOLOGY.name in row["marks"]:
            cn_tech.add(u)
        if CN_OWNED.name in row["marks"]:
            cn_owned.add(u)
        share = row["share"]
        share = 1.0 if share is None or share != share else float(share)
        level = str(row["confidence"])
        hop = links.setdefault(f"{u}->{v}", {"from": u, "to": v, "share": share,
                                              "confidence": level, "products": []})
        hop["share"] = max(hop["share"], share)
        if CONFIDENCE_ORDER[level] > CONFIDENCE_ORDER[hop["confidence"]]:
            hop["confidence"] = level  # the strongest product on the link, as the flow plot
        hop["products"].append(str(row["product"]))
    flow = nx.DiGraph([(h["from"], h["to"]) for h in links.values()])
    flow.add_node(platform)
    tainted = set(cn_tech)
    for n in cn_tech:
        tainted |= nx.descendants(flow, n)
    for hop in links.values():
        hop["tainted"] = hop["from"] in tainted
        hop["products"] = sorted(set(hop["products"]))
        hop["supplies"] = _supply_records(G, day, hop["from"], hop["to"], hop["products"])
    nodes = {n: {"cn_tech": n in cn_tech, "cn_owned": n in cn_owned, "tainted": n in tainted}
             for n in flow}
    return {"nodes": nodes, "links": links}


def _dates(G: nx.MultiDiGraph, platform: str, day: dt.date, dates: Iterable[Any] | None,
           max_dates: int) -> tuple[list[dt.date], list[dict[str, Any]]]:
    """The selector's dates, chronological, and the network on each."""
    S = _upstream_graph(G, platform)
    if dates is not None:
        chosen = sorted({parse_date(d) for d in dates} | {day})
        return chosen, [_snapshot(S, platform, d) for d in chosen]
    changes = sorted(_change_dates(S) - {day}, key=lambda d: (abs((d - day).days), d))
    candidates = sorted({day, *changes[:max(0, max_dates - 1)]})
    kept: list[dt.date] = []
    nets: list[dict[str, Any]] = []
    for d in candidates:
        net = _snapshot(S, platform, d)
        if d == day or not nets or net != nets[-1]:  # keep a date only where something changes
            kept.append(d)
            nets.append(net)
    return kept, nets


def _node_record(G: nx.MultiDiGraph, n: str, x: float, y: float) -> dict[str, Any]:
    attrs = G.nodes[n]
    facility = attrs.get("kind") == NodeKind.FACILITY
    country = attrs.get("country") if facility else None
    fill = country_colour(country) if facility else _STYLE["platform"]
    shown = {k: v for k, v in attrs.items() if k not in {"kind", "sources", "name", "confidence"}}
    company = attrs.get("company")
    if company and G.nodes.get(company, {}).get("name"):
        shown["company_name"] = G.nodes[company]["name"]
    if facility and attrs.get("stage") == Stage.MARKET:
        shown["stands_for"] = effective_stage(G, n)
    return {"id": n, "name": attrs.get("name") or n, "kind": attrs.get("kind"),
            "label": _label(n, country), "x": x, "y": y, "fill": fill,
            "font": _text_colour(fill), "country": country,
            "market": facility and attrs.get("stage") == Stage.MARKET,
            "confidence": attrs.get("confidence"), "sources": list(attrs.get("sources", [])),
            "attrs": shown}


def _column_head(G: nx.MultiDiGraph, sample: str) -> str:
    attrs = G.nodes[sample]
    if attrs.get("kind") != NodeKind.FACILITY:
        return "platform"
    stage = effective_stage(G, sample)
    return f"{stage} market" if attrs.get("stage") == Stage.MARKET else stage


def _sources(G: nx.MultiDiGraph, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The sources table's rows for ``ids`` (as :func:`~oretrace.queries.inventory.describe_node`
    resolves them); an address becomes a link only when it is ``http(s)``."""
    table = G.graph.get("sources", {})
    out: dict[str, dict[str, Any]] = {}
    for sid in sorted(set(ids)):
        row = table.get(sid, {"id": sid, "title": "(unknown source)"})
        url = row.get("url")
        out[sid] = {"title": row.get("title") or sid, "publisher": row.get("publisher"),
                    "date": row.get("date"),
                    "url": url if isinstance(url, str) and _WEB.match(url) else None,
                    "address": url}
    return out


def _page_data(G: nx.MultiDiGraph, platform: str, day: dt.date, dates: list[dt.date],
               nets: list[dict[str, Any]]) -> dict[str, Any]:
    links: dict[str, dict[str, Any]] = {}
    seen: dict[str, dict[str, Any]] = {}
    for i, net in enumerate(nets):
        for n, marks in net["nodes"].items():
            seen.setdefault(n, {})[str(i)] = marks
        for key, hop in net["links"].items():
            rec = links.setdefault(key, {"id": key, "from": hop["from"], "to": hop["to"],
                                         "at": {}})
            rec["at"][str(i)] = {k: v for k, v in hop.items() if k not in {"from", "to"}}
    order = {n: i for i, n in enumerate(G)}
    names = sorted(seen, key=lambda n: order.get(n, len(order)))
    columns: dict[float, list[str]] = {}
    for n in names:
        columns.setdefault(_column(G, n), []).append(n)
    ys = _order_columns(columns, [(r["from"], r["to"]) for r in links.values()])
    keys = sorted(columns)
    xs = {n: keys.index(c) * _COLUMN_GAP for c, members in columns.items() for n in members}
    nodes = [_node_record(G, n, xs[n], -ys[n] * _ROW_GAP) | {"at": seen[n]} for n in names]
    top = min((rec["y"] for rec in nodes), default=0.0) - 60.0
    heads = [{"x": i * _COLUMN_GAP, "y": top, "label": _column_head(G, columns[c][0])}
             for i, c in enumerate(keys)]
    used = [s for rec in nodes for s in rec["sources"]]
    used += [s for rec in links.values() for hop in rec["at"].values()
             for sup in hop["supplies"] for s in sup.get("sources", [])]
    name = G.nodes[platform].get("name") or platform
    return {"platform": platform, "name": name, "as_of": day, "dates": dates,
            "selected": dates.index(day), "style": _STYLE, "columns": heads, "nodes": nodes,
            "links": list(links.values()), "sources": _sources(G, used)}


def _render(data: dict[str, Any]) -> str:
    title = f"oretrace explorer: {data['platform']} supply network"
    slots = {"TITLE": html.escape(title), "DATA": script_json(data), "VIS": _vis_script()}
    template = _TEMPLATE.read_text(encoding="utf-8")
    return _SLOT.sub(lambda m: slots[m.group(1)], template)  # one pass: data is never re-read


# --------------------------------------------------------------------------- the query


def explore(
    G: nx.MultiDiGraph,
    platform: str,
    *,
    as_of: str | dt.date | None = None,
    dates: Iterable[str | dt.date] | None = None,
    max_dates: int = MAX_DATES,
) -> Explorer:
    """Return an interactive page of ``platform``'s supply network by stage (see the module).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    platform : str
        A product id, usually a platform (``F-35``).
    as_of : date or ISO str, optional
        The date the page opens on (default today).
    dates : iterable of dates, optional
        The other dates the selector offers. Default: the dates on which the platform's
        network changes, at most ``max_dates`` (with ``as_of``) nearest ``as_of``.
    max_dates : int
        The most dates in the selector when ``dates`` is not given.

    Returns
    -------
    Explorer
        The page (``.html``, ``.save(path)``, shown by Jupyter) and what it holds.

    Raises
    ------
    oretrace.graphmodel.UnknownNodeError
        When ``platform`` is no product of ``G``.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> view = explore(load_dataset(MINI), "missile", as_of="2026-06-01",
    ...                dates=["2027-06-01"])
    >>> view.dates[-1].isoformat(), '"us-sep"' in view.html, view.html.startswith("<!DOCTYPE")
    ('2027-06-01', True, True)
    """
    (platform,) = resolve_products(G, [platform])
    day = parse_date(as_of)
    chosen, nets = _dates(G, platform, day, dates, max_dates)
    data = _page_data(G, platform, day, chosen, nets)
    levels = [hop["confidence"] for hop in nets[chosen.index(day)]["links"].values()]
    confidence = weakest(levels) if levels else Confidence(
        G.nodes[platform].get("confidence", Confidence.DOCUMENTED))
    return Explorer(platform=platform, as_of=day, dates=chosen,
                    nodes=[rec["id"] for rec in data["nodes"]], links=len(data["links"]),
                    confidence=confidence, html=_render(data))
