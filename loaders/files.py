"""Load a dataset directory (CSV tables + rules.yaml) into a validated graph.

A dataset is a directory with one CSV file per table and a ``rules.yaml`` (without one, the
bundled rules apply), or an overlay directory whose ``dataset.yaml`` manifest names the
dataset it extends (:mod:`oretrace.loaders.overlay`). Every row of every file is checked;
all problems are gathered and reported together as ``file:line:column: reason``; nothing is
loaded when anything is wrong. A large dataset is
read column-wise by :mod:`oretrace.loaders.fast`, with the same answer; the reading both
paths share is :mod:`oretrace.loaders._reader`.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from oretrace.graphmodel import DatasetError, Problem, Records, build_graph
from oretrace.graphmodel.schema import RECORD_MODELS
from oretrace.loaders._checks import cross_check, data_gaps
from oretrace.loaders._reader import (
    OPTIONAL_TABLES,
    REQUIRED_COLUMNS,
    bundled_path,
    dataset_root,
    sorted_problems,
)
from oretrace.loaders.overlay import read_tables

__all__ = [
    "OPTIONAL_TABLES",
    "REQUIRED_COLUMNS",
    "bundled_path",
    "load_dataset",
    "read_records",
    "validate_dataset",
]


def _read(path: str | Path | None) -> tuple[Records, list[Problem]]:
    reader, rules = read_tables(dataset_root(path if path is not None else bundled_path()))
    cross_check(reader, rules)
    records = Records(name=reader.root.name, rules=[r.record for r in rules],
                      **{t: [r.record for r in reader.rows[t]] for t in RECORD_MODELS})
    if not reader.has_errors():
        data_gaps(reader, build_graph(records))
    return records, sorted_problems(reader)


def read_records(path: str | Path | None = None) -> tuple[Records, list[Problem]]:
    """Read and check a dataset; return its records and every problem found.

    The records are only complete when no problem has severity ``"error"``.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The dataset to read (a directory or an overlay, see the module doc); ``None`` (the
        default) reads the bundled dataset.

    Returns
    -------
    records : Records
        The rows that passed their checks, table by table.
    problems : list of Problem
        Every error and warning found, sorted by file, line and column; empty when the
        dataset is clean.

    Raises
    ------
    LoadError
        When ``path`` is not a directory.

    Examples
    --------
    >>> records, problems = read_records(MINI)
    >>> len(records.facilities), problems
    (7, [])
    """
    return _read(path)


def validate_dataset(path: str | Path | None = None) -> list[Problem]:
    """Return every problem (errors and warnings) of the dataset at ``path``.

    A large dataset (from :data:`oretrace.loaders.fast.FAST_MIN_BYTES` bytes of tables) is
    read column-wise, with the same answer.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The dataset to check (a directory or an overlay, see the module doc); by default
        the bundled one.

    Returns
    -------
    list of Problem
        Every error (``severity="error"``: the dataset would not load) and warning (a data
        gap: it loads, and says so), as ``file:line:column: reason`` when printed; empty when
        the dataset is clean.

    Raises
    ------
    LoadError
        When ``path`` is not a directory (what is wrong inside it is returned).

    Examples
    --------
    >>> [str(p) for p in validate_dataset() if p.severity == "error"]
    []
    """
    if path is not None:  # a large dataset: the same answer, read column-wise
        from oretrace.loaders import fast  # (numpy: only imported for a directory given)

        if fast.is_large(path):
            return fast.validate_dataset_fast(path)
    return _read(path)[1]


def load_dataset(path: str | Path | None = None) -> nx.MultiDiGraph:
    """Load the dataset at ``path`` (default: the bundled one) as a validated graph.

    Every row is checked first and nothing loads when anything is wrong; warnings (data gaps)
    are kept in ``G.graph["warnings"]``. A large dataset is read column-wise
    (:mod:`oretrace.loaders.fast`) into the same graph.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The dataset directory or overlay to load (see the module doc); ``None`` (the
        default) loads the bundled dataset.

    Returns
    -------
    networkx.MultiDiGraph
        The oretrace graph (see :func:`oretrace.graphmodel.build_graph`), with
        ``G.graph["dataset"]`` (the resolved directory, or ``"bundled"``) and
        ``G.graph["warnings"]`` (one line per warning).

    Raises
    ------
    DatasetError
        When any row is invalid: ``.problems`` lists every one; nothing is loaded.
    LoadError
        When ``path`` is not a directory or cannot be read.

    Examples
    --------
    >>> G = load_dataset()
    >>> G.nodes["F-35"]["category"]
    'platform'
    """
    if path is not None:  # a large dataset: the same graph, read column-wise
        from oretrace.loaders import fast

        if fast.is_large(path):
            return fast.load_dataset_fast(path)
    records, problems = _read(path)
    if any(p.severity == "error" for p in problems):
        raise DatasetError(problems)
    G = build_graph(records)
    G.graph["dataset"] = str(Path(path).resolve()) if path is not None else "bundled"
    G.graph["warnings"] = [str(p) for p in problems]
    return G
