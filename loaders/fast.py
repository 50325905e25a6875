"""Fast loading of large datasets: columnar reading, checks over distinct values, lean building.

:func:`load_dataset` of :mod:`oretrace.loaders.files` sends a dataset here when its
``facilities.csv`` and ``supplies.csv`` together exceed :data:`FAST_MIN_BYTES`
(:func:`is_large`, the one file-size switch). The answer is the same as the row-by-row
path — the same graph, the same problems, each as ``file:line:column: reason`` with the
same wording — only faster and leaner:

- the two big tables are read into one integer code per cell, so each *distinct* cell
  text is parsed and checked once (a million supply rows hold a few thousand distinct
  shares, dates and source lists: :mod:`oretrace.loaders._columns`); a plain file (no
  quotes, one row per line) is cut into cells with numpy, any other by :mod:`csv`;
- a cell whose text is not in the plain form the parser knows (``0.25``, ``2027-01-01``,
  an exact vocabulary word, no stray spaces …: :mod:`oretrace.loaders._cells`) sends its
  row to the row's pydantic model, so every error message, and every value pydantic
  accepts in another form, is exactly the row-by-row one;
- the cross-table checks and the data-gap warnings run on the code arrays with numpy
  (:mod:`oretrace.loaders._fast_checks`);
- the graph is built with garbage collection paused and frozen afterwards (``gc.freeze``:
  later collections skip the millions of graph objects), identical supply attribute
  values (a source list, a product id) are shared rather than copied per edge, and the
  edges go into networkx's adjacency dicts in bulk, in ``add_edge``'s order
  (:mod:`oretrace.loaders._fast_build`).

The small tables (sources, companies, ownership, technologies, products, bill of
materials, rules) go through the row-by-row reader (:mod:`oretrace.loaders._reader`) and
its checks (:mod:`oretrace.loaders._checks`) unchanged.
"""

from __future__ import annotations

import gc
from pathlib import Path

import networkx as nx
from oretrace.graphmodel import DatasetError, Problem
from oretrace.graphmodel.schema import RECORD_MODELS
from oretrace.loaders._checks import cross_check
from oretrace.loaders._columns import Table, read_big, validate_rows
from oretrace.loaders._fast_build import build_graph_fast, release_free_memory
from oretrace.loaders._fast_checks import cross_check_big, data_gaps_big
from oretrace.loaders._reader import Reader, dataset_root, read_rules_of, sorted_problems
from oretrace.loaders.overlay import MANIFEST

__all__ = ["FAST_MIN_BYTES", "is_large", "load_dataset_fast", "validate_dataset_fast"]

#: ``facilities.csv`` + ``supplies.csv`` bytes from which loading takes the fast path.
FAST_MIN_BYTES = 4_000_000

_BIG_TABLES = ("facilities", "supplies")


def is_large(path: str | Path | None) -> bool:
    """Say whether the dataset at ``path`` is read by the fast path (the file-size switch).

    A plain dataset directory (not an overlay) is, when its ``facilities.csv`` and
    ``supplies.csv`` together hold :data:`FAST_MIN_BYTES` bytes or more.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The dataset directory; ``None`` (the bundled dataset) is never large.

    Returns
    -------
    bool
        ``True`` when :func:`oretrace.loaders.load_dataset` reads it column-wise.

    Examples
    --------
    >>> is_large(MINI), is_large(None)
    (False, False)
    """
    if path is None:
        return False
    root = Path(path)
    if not root.is_dir() or (root / MANIFEST).exists():
        return False
    size = sum((root / f"{t}.csv").stat().st_size for t in _BIG_TABLES
               if (root / f"{t}.csv").is_file())
    return size >= FAST_MIN_BYTES


def _read_fast(path: str | Path, *, build: bool = True
               ) -> tuple[nx.MultiDiGraph | None, list[Problem]]:
    root = dataset_root(path)
    reader = Reader(root)
    big: dict[str, Table | None] = {}
    for table in RECORD_MODELS:
        if table in _BIG_TABLES:
            big[table] = read_big(reader, table)
        else:
            reader.read_table(table)
    for table in _BIG_TABLES:
        reader.rows[table] = []
    fac, sup = big["facilities"], big["supplies"]
    for t in (fac, sup):
        if t is not None:
            validate_rows(reader, t)
    rules = read_rules_of(reader, root)
    G = None
    cross_check(reader, rules)  # the small tables (the big ones' rows are not there)
    cross_check_big(reader, fac, sup, rules)
    if not reader.has_errors() and fac is not None and sup is not None:
        data_gaps_big(reader, fac, sup)
        if build:
            release_free_memory()
            G = build_graph_fast(reader, fac, sup, rules)
    return (None if reader.has_errors() else G), sorted_problems(reader)


def validate_dataset_fast(path: str | Path) -> list[Problem]:
    """Return every problem of the dataset at ``path`` (as ``validate_dataset``, faster).

    Examples
    --------
    >>> [str(p) for p in validate_dataset_fast(MINI)]
    []
    """
    was = gc.isenabled()
    gc.disable()
    try:
        return _read_fast(path, build=False)[1]
    finally:
        if was:
            gc.enable()


def load_dataset_fast(path: str | Path) -> nx.MultiDiGraph:
    """Load the dataset at ``path`` as ``load_dataset`` does, by the fast path.

    Raises :class:`oretrace.graphmodel.DatasetError` listing every bad row when anything is wrong.
    Garbage collection is paused while loading; afterwards every object alive is frozen
    (``gc.freeze()``), so later collections skip the graph.

    Examples
    --------
    >>> G = load_dataset_fast(MINI)
    >>> G.edges["cn-sep", "jp-mag", "supplies:oxide"]["share"]
    0.6
    """
    was = gc.isenabled()
    gc.disable()
    try:
        G, problems = _read_fast(path)
        if G is None:
            raise DatasetError(problems)
        G.graph["dataset"] = str(Path(path).resolve())
        G.graph["warnings"] = [str(p) for p in problems]
    finally:
        gc.freeze()
        if was:
            gc.enable()
    return G
