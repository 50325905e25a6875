"""Write the graph as node-link JSON or GraphML (Gephi opens both) and read JSON back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import networkx as nx
from oretrace.graphmodel.errors import LoadError

__all__ = ["from_node_link", "read_json", "to_graphml_ready", "to_node_link", "write_graphml",
           "write_json"]

#: Attribute names that hold ISO dates.
DATE_FIELDS = frozenset({"date", "start", "end", "online_from", "online_until", "announced",
                         "effective", "until", "known_until", "granted", "through"})


def _encode(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(key: str, value: Any) -> Any:
    if isinstance(value, str) and key in DATE_FIELDS:
        return dt.date.fromisoformat(value)
    if isinstance(value, list):
        return [_decode(key, v) for v in value]
    if isinstance(value, dict):
        return {k: _decode(k, v) for k, v in value.items()}
    return value


def to_node_link(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Return the graph as node-link data with dates as ISO strings (JSON-ready)."""
    data = nx.node_link_data(G, edges="links")
    encoded: dict[str, Any] = _encode(data)
    return encoded


def from_node_link(data: dict[str, Any]) -> nx.MultiDiGraph:
    """Rebuild a graph from :func:`to_node_link` output (ISO strings become dates again)."""
    decoded = {k: (_decode(k, v) if k != "graph" else {gk: _decode(gk, gv)
                                                          for gk, gv in v.items()})
               for k, v in data.items()}
    G: nx.MultiDiGraph = nx.node_link_graph(decoded, directed=True, multigraph=True,
                                            edges="links")
    return G


def write_json(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write ``G`` as node-link JSON to ``path`` and return the path.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    path : str or pathlib.Path
        The file to write (overwritten if it exists); dates are written as ISO strings.

    Returns
    -------
    pathlib.Path
        ``path``, as a path.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from oretrace.loaders import load_dataset
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_json(load_dataset(MINI), Path(tmp) / "mini.json")
    ...     data = json.loads(out.read_text(encoding="utf-8"))
    >>> sorted(data), data["nodes"][0]["id"]
    (['directed', 'graph', 'links', 'multigraph', 'nodes'], 'cn-co')
    """
    out = Path(path)
    out.write_text(json.dumps(to_node_link(G), indent=1, ensure_ascii=False), encoding="utf-8")
    return out


def read_json(path: str | Path) -> nx.MultiDiGraph:
    """Read a graph written by :func:`write_json`.

    Parameters
    ----------
    path : str or pathlib.Path
        A node-link JSON file written by :func:`write_json`.

    Returns
    -------
    networkx.MultiDiGraph
        The graph, with ISO date strings turned back into dates.

    Raises
    ------
    LoadError
        When the file cannot be read or is not oretrace node-link JSON.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     H = read_json(write_json(G, Path(tmp) / "mini.json"))
    >>> H.nodes["us-sep"]["online_from"], sorted(H.edges) == sorted(G.edges)
    (datetime.date(2027, 1, 1), True)
    """
    try:
        return from_node_link(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        raise LoadError(f"{path}: not an oretrace node-link JSON file ({exc})") from exc


def to_graphml_ready(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Return a copy whose attributes GraphML can hold: scalars only.

    Lists and dicts become JSON text, dates ISO text, ``None`` is dropped.
    """
    def flat(attrs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in attrs.items():
            if v is None:
                continue
            if isinstance(v, dt.date):
                out[k] = v.isoformat()
            elif isinstance(v, list | tuple | dict):
                out[k] = json.dumps(_encode(v), ensure_ascii=False)
            else:
                out[k] = v
        return out

    H = nx.MultiDiGraph()
    H.graph.update({k: v for k, v in flat(G.graph).items()
                    if k not in {"sources", "warnings"}})
    for n, d in G.nodes(data=True):
        H.add_node(n, **flat(d))
    for u, v, k, d in G.edges(keys=True, data=True):
        H.add_edge(u, v, key=k, **flat(d))
    return H


def write_graphml(G: nx.MultiDiGraph, path: str | Path) -> Path:
    """Write ``G`` as GraphML (lists and dicts as JSON text) to ``path`` and return it.

    Gephi, yEd and Cytoscape open the file; :func:`to_graphml_ready` says how values are kept.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        The oretrace graph (not mutated).
    path : str or pathlib.Path
        The file to write (overwritten if it exists).

    Returns
    -------
    pathlib.Path
        The GraphML file written (``path``, as a path).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from oretrace.loaders import load_dataset
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     H = nx.read_graphml(write_graphml(load_dataset(MINI), Path(tmp) / "mini.graphml"))
    >>> H.nodes["jp-mag"]["country"], H.nodes["jp-mag"]["products"]
    ('JP', '["magnet"]')
    """
    out = Path(path)
    nx.write_graphml(to_graphml_ready(G), out, named_key_ids=True)
    return out
