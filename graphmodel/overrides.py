"""What-if overrides: a copy of the graph with fields set, links or facilities dropped.

:func:`with_overrides` answers "what if USA Rare Earth's Stillwater plant starts in 2028"
without editing the dataset: it returns a changed *copy* of the graph (the caller's graph
is never touched), on which every query runs as usual.

Syntax (the CLI's ``--set`` and ``--drop`` take the same text):

==========================================  ===============================================
``ID.FIELD=VALUE``                          set a field of a facility, product, company or
                                            technology (``usar-stillwater.online_from=
                                            2028-01-01``)
``SUPPLIER>BUYER[:PRODUCT].FIELD=VALUE``    set a field of a supply link (every date window
                                            of it); ``:PRODUCT`` is needed only when the
                                            supplier ships several products to the buyer
``INPUT>PRODUCT.qty=VALUE``                 set the quantity of a bill-of-materials line
``OWNER>OWNED.FIELD=VALUE``                 set a field of a holding
``SUPPLIER>BUYER[:PRODUCT]``                (drop) remove a supply link (without
                                            ``:PRODUCT``, every product between the two);
                                            likewise ``INPUT>PRODUCT`` and ``OWNER>OWNED``
``ID``                                      (drop) remove a facility with its links, or a
                                            rule
==========================================  ===============================================

``>`` reads "goes into": material flows from left to right, and what a link joins decides
what it is (two facilities: a supply; two products: a bill-of-materials line; two
companies: a holding). ``VALUE`` is written as in the dataset's CSV cell: a date
``YYYY-MM-DD``, a number, a range ``lo..hi`` where the field may hold one
(:data:`oretrace.graphmodel.ranges.RANGED_FIELDS`: the record keeps the midpoint and
``<field>_lo``/``<field>_hi``), a list ``a;b``; an empty value clears an optional field
(``usar-stillwater.online_until=``). The fields that may be set are :data:`SETTABLE`; the
others (ids, a facility's products, operator or technologies) shape the graph and are
changed in the dataset, e.g. by an overlay (:mod:`oretrace.loaders.overlay`).

Each override is validated like a dataset row: the changed record is validated again with
its model (:mod:`oretrace.graphmodel.schema`), and shares into one buyer (or of one
company's equity) must still add up to at most 1. Any failure — an unknown id, field or
link, a bad value — raises :class:`~oretrace.graphmodel.errors.OverrideError`, one line
naming the override. Sets apply in order, then drops.

**An answer says that it rests on an override.** An overridden record keeps the original
figures it did not change and is marked: ``overridden`` lists the overrides applied to it,
its ``sources`` gain the pseudo-source ``override:<the override>`` (registered in
``G.graph["sources"]`` with the title "what-if override, not a sourced fact"), so every
answer listing its sources names the override; and, as an answer resting on an assumed
rule status does (DESIGN §4), it carries at most ``estimated`` confidence (the record's own
is kept as ``confidence_before_override``). ``G.graph["overrides"]`` lists every override
applied, drops included, in the order given.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> G = load_dataset(MINI)
>>> H = with_overrides(G, set=["us-sep.online_from=2030-01-01", "cn-sep>jp-mag.share=0.5"],
...                    drop=["us-mine>us-sep"])
>>> H.nodes["us-sep"]["online_from"], G.nodes["us-sep"]["online_from"]
(datetime.date(2030, 1, 1), datetime.date(2027, 1, 1))
>>> H.nodes["us-sep"]["sources"], H.nodes["us-sep"]["overridden"]
(['hand', 'override:us-sep.online_from=2030-01-01'], ['us-sep.online_from=2030-01-01'])
>>> H.has_edge("us-mine", "us-sep"), G.has_edge("us-mine", "us-sep")
(False, True)
>>> with_overrides(G, set=["us-sep.online_from=2030-02-30"])
Traceback (most recent call last):
...
oretrace.graphmodel.errors.OverrideError: override set 'us-sep.online_from=2030-02-30': \
online_from: '2030-02-30' is not a calendar date (day is out of range for month)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import pydantic
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.errors import OverrideError, UnknownNodeError
from oretrace.graphmodel.graph import _SUPPLY_ENDS, _attrs, _edge_attrs
from oretrace.graphmodel.schema import (
    BomLine,
    Company,
    Facility,
    Ownership,
    Product,
    Supply,
    Technology,
)
from oretrace.graphmodel.vocab import Confidence, EdgeKind, NodeKind, weakest

__all__ = ["OVERRIDE_SOURCE", "SETTABLE", "Override", "parse_override", "with_overrides"]

#: The fields an override may set, by the kind of record holding them.
SETTABLE: dict[str, tuple[str, ...]] = {
    NodeKind.FACILITY: ("status", "online_from", "online_until", "capacity", "capacity_unit",
                        "country"),
    NodeKind.PRODUCT: ("unit_price_usd", "elements", "end_user", "delivered_to"),
    NodeKind.COMPANY: ("country", "state_owned", "listed_on"),
    NodeKind.TECHNOLOGY: ("origin_country",),
    EdgeKind.SUPPLIES: ("share", "start", "end"),
    EdgeKind.REQUIRES: ("qty",),
    EdgeKind.OWNS: ("share", "start", "end"),
}

#: The prefix of the pseudo-source an overridden record cites.
OVERRIDE_SOURCE = "override:"

_MODELS: dict[str, type[pydantic.BaseModel]] = {
    NodeKind.FACILITY: Facility, NodeKind.PRODUCT: Product, NodeKind.COMPANY: Company,
    NodeKind.TECHNOLOGY: Technology, EdgeKind.SUPPLIES: Supply, EdgeKind.REQUIRES: BomLine,
    EdgeKind.OWNS: Ownership,
}
#: What a link between two nodes of one kind is, and how the text names its record.
_LINKS: dict[str, tuple[str, str]] = {
    NodeKind.FACILITY: (EdgeKind.SUPPLIES, "supply link"),
    NodeKind.PRODUCT: (EdgeKind.REQUIRES, "bill-of-materials line"),
    NodeKind.COMPANY: (EdgeKind.OWNS, "holding"),
}
_SHARE_LIMIT = 1.0 + 1e-9


@dataclass(frozen=True)
class Override:
    """One override as given: ``set`` a field of ``target`` to ``value``, or ``drop`` it.

    ``target`` is a node id, or a link ``A>B`` (``A>B:PRODUCT`` for one product of a
    supply); ``text`` is the override as written, which errors and marks quote.
    """

    action: Literal["set", "drop"]
    text: str
    target: str
    field: str | None = None
    value: Any = None

    def __str__(self) -> str:
        return f"override {self.action} {self.text!r}"


def parse_override(text: str, action: Literal["set", "drop"] = "set",
                   value: Any = None) -> Override:
    """Read one override written as in the module docstring.

    Parameters
    ----------
    text : str
        The override as written (``ID.FIELD=VALUE``, a link, or for a drop an id).
    action : {"set", "drop"}
        What the override does.
    value : object, optional
        The value, when ``text`` is the left side only (``ID.FIELD``), as a mapping of
        overrides to :func:`with_overrides` gives it.

    Returns
    -------
    Override
        The parsed override; its target is resolved only when it is applied.

    Examples
    --------
    >>> parse_override("cn-sep>jp-mag:oxide.share=0.5..0.7")
    Override(action='set', text='cn-sep>jp-mag:oxide.share=0.5..0.7', \
target='cn-sep>jp-mag:oxide', field='share', value='0.5..0.7')
    >>> parse_override("usar-stillwater.online_from")
    Traceback (most recent call last):
    ...
    oretrace.graphmodel.errors.OverrideError: override set 'usar-stillwater.online_from': \
write it ID.FIELD=VALUE (or SUPPLIER>BUYER[:PRODUCT].FIELD=VALUE)
    """
    if action == "drop":
        target = text.strip()
        if not target:
            raise OverrideError("override drop '': name a facility or rule ID, or a link "
                                "SUPPLIER>BUYER[:PRODUCT]")
        return Override("drop", text, target)
    if value is None:
        left, sep, value = text.partition("=")
        shown = text
    else:
        left, sep, shown = text, "=", f"{text}={value}"
    target, dot, field = left.strip().rpartition(".")
    if not sep or not dot or not target or not field:
        raise OverrideError(f"{Override('set', shown, left)}: write it ID.FIELD=VALUE "
                            "(or SUPPLIER>BUYER[:PRODUCT].FIELD=VALUE)")
    return Override("set", shown, target, field.strip(), value)


def _items(values: Iterable[str] | Mapping[str, Any] | str, action: Literal["set", "drop"]
           ) -> list[Override]:
    if isinstance(values, str):
        values = [values]
    if isinstance(values, Mapping):
        return [parse_override(str(k), action, v) for k, v in values.items()]
    return [parse_override(v, action) for v in values]


@shared_docs
def with_overrides(
    G: nx.MultiDiGraph,
    *,
    set: Iterable[str] | Mapping[str, Any] = (),
    drop: Iterable[str] = (),
) -> nx.MultiDiGraph:
    """Return a copy of ``G`` with the overrides applied; ``G`` itself is not changed.

    Parameters
    ----------
    %(G)s
    set : iterable of str, or mapping
        ``ID.FIELD=VALUE`` items (see the module docstring), or a mapping
        ``{"ID.FIELD": value}`` whose values may also be Python values (a date, a number).
    drop : iterable of str
        Links ``SUPPLIER>BUYER[:PRODUCT]`` (or ``INPUT>PRODUCT``, ``OWNER>OWNED``) and
        facility or rule ids to remove.

    Returns
    -------
    networkx.MultiDiGraph
        The changed copy; overridden records are marked (module docstring) and
        ``graph["overrides"]`` lists what was applied.

    Raises
    ------
    OverrideError
        One line naming the first override that is malformed, names nothing, or leaves an
        invalid record.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> H = with_overrides(G, set={"jp-mag.capacity": "8..12"}, drop=["cn-sep"])
    >>> H.nodes["jp-mag"]["capacity"], H.nodes["jp-mag"]["capacity_lo"], "cn-sep" in H
    (10.0, 8.0, False)
    >>> H.graph["overrides"]
    ['set jp-mag.capacity=8..12', 'drop cn-sep']
    """
    changes = _items(set, "set") + _items(drop, "drop")
    H = G.copy()
    H.graph["sources"] = dict(G.graph.get("sources", {}))
    H.graph["overrides"] = list(G.graph.get("overrides", []))
    for change in changes:
        if change.action == "set":
            _apply_set(H, change)
        else:
            _apply_drop(H, change)
        H.graph["overrides"].append(f"{change.action} {change.text}")
    return H


# --------------------------------------------------------------------------- targets


def _node_kind(H: nx.MultiDiGraph, node: str, change: Override, what: str) -> str:
    attrs = H.nodes.get(node)
    if attrs is None:
        raise OverrideError(f"{change}: {UnknownNodeError(node, list(H.nodes), what)}")
    return str(attrs.get("kind"))


def _links(H: nx.MultiDiGraph, change: Override) -> tuple[str, list[tuple[str, str, str]]]:
    """The kind of the link ``change`` names and its edges ``(u, v, key)`` in ``H``."""
    left, _, right = change.target.partition(">")
    product = None
    if ":" in right and right not in H:
        right, _, product = right.partition(":")
    kinds = {n: _node_kind(H, n, change, "node") for n in (left, right)}
    if kinds[left] != kinds[right] or kinds[left] not in _LINKS:
        raise OverrideError(f"{change}: a link joins two facilities (SUPPLIER>BUYER), two "
                            "products (INPUT>PRODUCT) or two companies (OWNER>OWNED); "
                            f"{left!r} is a {kinds[left]}, {right!r} a {kinds[right]}")
    kind, what = _LINKS[kinds[left]]
    u, v = (right, left) if kind == EdgeKind.REQUIRES else (left, right)
    if product is not None and kind != EdgeKind.SUPPLIES:
        raise OverrideError(f"{change}: only a supply link names a product (:{product})")
    edges = [(u, v, key) for key, d in H.get_edge_data(u, v, default={}).items()
             if d.get("kind") == kind and (product is None or d.get("product") == product)]
    if not edges:
        carried = sorted({d["product"] for d in H.get_edge_data(u, v, default={}).values()
                          if d.get("kind") == EdgeKind.SUPPLIES})
        hint = (f" ({left} ships {', '.join(carried)} to {right})"
                if carried and kind == EdgeKind.SUPPLIES else "")
        if not hint and any(d.get("kind") == kind for d in
                            H.get_edge_data(v, u, default={}).values()):
            hint = f" (there is {right}>{left}: > reads 'goes into')"
        raise OverrideError(f"{change}: there is no {what} {left}>{right}"
                            f"{':' + product if product else ''}{hint}")
    products = sorted({H.edges[e].get("product", "") for e in edges})
    if change.action == "set" and kind == EdgeKind.SUPPLIES and len(products) > 1:
        raise OverrideError(f"{change}: {left} ships several products to {right} "
                            f"({', '.join(products)}); write {left}>{right}:PRODUCT."
                            f"{change.field}=...")
    return kind, edges


# --------------------------------------------------------------------------- set


def _check_field(kind: str, change: Override, what: str) -> None:
    model = _MODELS[kind]
    field = change.field
    if field not in model.model_fields:
        raise OverrideError(f"{change}: a {what} has no field {field!r}; fields that may be "
                            f"set: {', '.join(SETTABLE[kind])}")
    if field not in SETTABLE[kind]:
        raise OverrideError(f"{change}: the {field!r} of a {what} cannot be overridden (ids, "
                            "products, operators and technologies shape the graph; sources "
                            "and confidence are the evidence's): change the dataset, e.g. with "
                            f"an overlay; fields that may be set: {', '.join(SETTABLE[kind])}")


def _validated(kind: str, raw: dict[str, Any], change: Override) -> pydantic.BaseModel:
    """The record ``raw`` with the override's field replaced, validated by its model."""
    field = str(change.field)
    data = {k: v for k, v in raw.items()
            if k not in {"kind", field, f"{field}_lo", f"{field}_hi"}}
    data[field] = change.value
    try:
        return _MODELS[kind].model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err.get("loc", ()))
        message = " ".join(str(err.get("msg", "invalid value")).split())
        raise OverrideError(f"{change}: {where + ': ' if where else ''}"
                            f"{message.removeprefix('Value error, ')}") from None


def _mark(attrs: dict[str, Any], change: Override) -> None:
    """Mark a record as resting on ``change`` (see the module docstring)."""
    source = f"{OVERRIDE_SOURCE}{change.text}"
    attrs["sources"] = [*attrs.get("sources", []), source]
    attrs["overridden"] = [*attrs.get("overridden", []), change.text]
    level = attrs.get("confidence", Confidence.DOCUMENTED)
    attrs.setdefault("confidence_before_override", level)
    attrs["confidence"] = str(weakest([level, Confidence.ESTIMATED]))


def _register(H: nx.MultiDiGraph, change: Override) -> None:
    source = f"{OVERRIDE_SOURCE}{change.text}"
    H.graph["sources"][source] = {
        "id": source, "title": f"What-if override {change.text} (an assumption of this "
        "run, not a sourced fact)", "publisher": "oretrace user", "date": None, "url": None}


def _apply_set(H: nx.MultiDiGraph, change: Override) -> None:
    if ">" in change.target:
        kind, edges = _links(H, change)
        what = _LINKS[_node_kind(H, edges[0][1], change, "node")][1]
        _check_field(kind, change, what)
        if change.field in ("start", "end") and len(edges) > 1:
            raise OverrideError(f"{change}: the {what} has {len(edges)} date windows; change "
                                "its dates in the dataset")
        for u, v, key in edges:
            attrs = H.edges[u, v, key]
            ends = {"supplier": u, "buyer": v} if kind == EdgeKind.SUPPLIES else {}
            record = _validated(kind, {**attrs, **ends}, change)
            new = {"kind": kind, **_edge_attrs(record, _SUPPLY_ENDS
                                              if kind == EdgeKind.SUPPLIES else frozenset())}
            _mark(new, change)
            attrs.clear()
            attrs.update(new)
        if change.field in ("share", "start", "end") and kind != EdgeKind.REQUIRES:
            _check_shares(H, kind, edges[0], change)
    else:
        node = change.target
        kind = _node_kind(H, node, change, "node")
        if kind not in _MODELS:
            raise OverrideError(f"{change}: {node!r} is a {kind}; overrides set fields of "
                                "facilities, products, companies, technologies and links")
        _check_field(kind, change, kind)
        attrs = H.nodes[node]
        record = _validated(kind, {**attrs, "id": node}, change)
        new = {"kind": kind, **{k: v for k, v in _attrs(record).items() if k != "id"}}
        _mark(new, change)
        attrs.clear()
        attrs.update(new)
    _register(H, change)


def _check_shares(H: nx.MultiDiGraph, kind: str, edge: tuple[str, str, str],
                  change: Override) -> None:
    """Shares of one whole (a buyer's need of a product, a company's equity) add up to at
    most 1 at every date, as the dataset's own rows must."""
    u, v, key = edge
    product = H.edges[edge].get("product")
    windows = [(d.get("start"), d.get("end"), float(d["share"]))
               for _, _, d in H.in_edges(v, data=True)
               if d.get("kind") == kind and (product is None or d.get("product") == product)]
    whole = (f"supplier shares of {product!r} into {v!r}" if kind == EdgeKind.SUPPLIES
             else f"owners' shares of {v!r}")
    instants: list[dt.date | None] = [None, *sorted({s for s, _, _ in windows if s})]
    for t in instants:
        total = sum(share for start, end, share in windows
                    if (start is None or (t is not None and start <= t))
                    and (end is None or (t is not None and t < end)))
        if total > _SHARE_LIMIT:
            when = f" from {t}" if t else ""
            raise OverrideError(f"{change}: {whole} would add up to {total:.4g}{when}, above 1")


# --------------------------------------------------------------------------- drop


def _apply_drop(H: nx.MultiDiGraph, change: Override) -> None:
    if ">" in change.target:
        _, edges = _links(H, change)
        H.remove_edges_from(edges)
        return
    node = change.target
    kind = _node_kind(H, node, change, "node")
    if kind not in (NodeKind.FACILITY, NodeKind.RULE):
        raise OverrideError(f"{change}: {node!r} is a {kind}; --drop removes a facility or a "
                            "rule, or a link SUPPLIER>BUYER[:PRODUCT]")
    H.remove_node(node)

