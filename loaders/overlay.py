"""Overlays: a dataset directory that extends another one, adding and overriding rows.

A directory with a manifest file ``dataset.yaml``::

    extends: bundled          # or a path, relative to this directory
    name: my-platforms        # optional

is read as the dataset it extends with this directory's rows laid over it. Every table is
optional in an overlay, and each table may have its own column order (each file is read by
its own header). A row *overrides* the extended rows with the same key, and otherwise is
*added*:

==============================================  ==========================================
table                                           key
==============================================  ==========================================
sources, companies, technologies, products,     ``id``
facilities
ownership                                       ``owner``, ``owned`` (every date window)
bom                                             ``product``, ``input``, ``substitute_for``
supplies                                        ``supplier``, ``buyer``, ``product`` (every
                                                date window)
rules.yaml                                      the rule ``id``
==============================================  ==========================================

An overlay may extend an overlay. Validation runs on the merged rows, and every problem is
located in the file that holds the row: this directory's files by their name, the extended
dataset's as ``bundled/supplies.csv`` (or the extended directory's path relative to this
one, ``../base/supplies.csv``).

Examples
--------
>>> import tempfile, pathlib
>>> from oretrace.loaders import load_dataset
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "dataset.yaml").write_text("extends: bundled\\n")
>>> _ = (root / "products.csv").write_text(
...     "id,name,category,elements,unit,unit_price_usd,sources,confidence\\n"
...     "F-35,F-35 Lightning II (overlay price),platform,,each,82500000,Moog19,reported\\n")
>>> load_dataset(root).nodes["F-35"]["unit_price_usd"]
82500000.0
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from oretrace.graphmodel import Problem
from oretrace.graphmodel.schema import RECORD_MODELS
from oretrace.loaders._reader import Reader, Row, bundled_path, read_rules_of
from oretrace.loaders.rules_yaml import _StrictLoader

__all__ = ["MANIFEST", "read_overlay", "read_tables", "row_key"]

#: The manifest file that makes a dataset directory an overlay.
MANIFEST = "dataset.yaml"

_KEYS: dict[str, Callable[[Any], tuple[Any, ...]]] = {
    "sources": lambda r: (r.id,),
    "companies": lambda r: (r.id,),
    "technologies": lambda r: (r.id,),
    "products": lambda r: (r.id,),
    "facilities": lambda r: (r.id,),
    "ownership": lambda r: (r.owner, r.owned),
    "bom": lambda r: (r.product, r.input, r.substitute_for),
    "supplies": lambda r: (r.supplier, r.buyer, r.product),
}


def row_key(table: str, record: Any) -> tuple[Any, ...]:
    """Return the key by which a row of ``table`` overrides the rows it extends."""
    return _KEYS[table](record)


def _manifest(root: Path, reader: Reader) -> Path | None:
    """The directory ``root``'s manifest extends, or ``None`` (its problems in ``reader``)."""
    path = root / MANIFEST
    try:
        text = path.read_bytes().decode("utf-8-sig")
        node = yaml.compose(text, Loader=_StrictLoader)
        data = yaml.load(text, Loader=_StrictLoader)
    except UnicodeDecodeError as exc:
        reader.problem(MANIFEST, 1, 0, f"not valid UTF-8: {exc.reason}")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reader.problem(MANIFEST, (mark.line + 1) if mark else 0, (mark.column + 1) if mark else 0,
                       f"not valid YAML: {getattr(exc, 'problem', exc)}")
        return None
    if not isinstance(data, dict):
        reader.problem(MANIFEST, 1, 0, "expected a mapping with the key 'extends'")
        return None
    where = {str(k.value): (v.start_mark.line + 1, v.start_mark.column + 1)
             for k, v in getattr(node, "value", [])}
    for key in sorted(set(data) - {"extends", "name", "description"}):
        line, _ = where.get(str(key), (1, 1))
        reader.problem(MANIFEST, line, 1,
                       f"unknown key {key!r} (known: extends, name, description)")
    target = data.get("extends")
    line, column = where.get("extends", (1, 0))
    if not isinstance(target, str) or not target.strip():
        reader.problem(MANIFEST, line, column,
                       "extends: give 'bundled' or the path of the dataset this one extends")
        return None
    base = bundled_path() if target.strip() == "bundled" else (root / target.strip())
    if not base.is_dir():
        reader.problem(MANIFEST, line, column, f"extends: {target!r} is not a directory")
        return None
    return base


def _label(root: Path, base: Path) -> str:
    if base.resolve() == bundled_path().resolve():
        return "bundled"
    return os.path.relpath(base, root).replace(os.sep, "/")


def _relabel(reader: Reader, rules: list[Row], label: str) -> None:
    """Name the base's files as seen from the overlay: ``<label>/<file>``."""
    for rows in reader.rows.values():
        for row in rows:
            row.file = f"{label}/{row.file}"
    for row in rules:
        row.file = f"{label}/{row.file}"
    reader.problems = [Problem(f"{label}/{p.file}", p.line, p.column, p.reason, p.severity)
                       for p in reader.problems]


def read_tables(root: Path) -> tuple[Reader, list[Row]]:
    """Read the rows of every table and the rules of the dataset at ``root``, row by row.

    A plain dataset is read table by table; an overlay (with a :data:`MANIFEST`) is merged
    over the dataset it extends (:func:`read_overlay`). The cross-table checks come after
    (:mod:`oretrace.loaders.files`).

    Parameters
    ----------
    root : pathlib.Path
        The dataset directory.

    Returns
    -------
    reader : Reader
        The rows that passed their own checks, table by table, and every problem so far.
    rules : list of Row
        The dataset's rules (the bundled ones when it has no ``rules.yaml``).

    Examples
    --------
    >>> reader, rules = read_tables(MINI)
    >>> len(reader.rows["facilities"]), reader.problems
    (7, [])
    """
    return _read_tables(root, frozenset())


def _read_tables(root: Path, seen: frozenset[Path]) -> tuple[Reader, list[Row]]:
    if (root / MANIFEST).is_file():
        return read_overlay(root, seen)
    reader = Reader(root)
    for table in RECORD_MODELS:
        reader.read_table(table)
    return reader, read_rules_of(reader, root)


def read_overlay(root: Path, _seen: frozenset[Path] = frozenset()
                 ) -> tuple[Reader, list[Row]]:
    """Read the overlay at ``root`` merged over the dataset its manifest extends.

    Returns the merged rows (in a reader holding every problem found so far) and rules,
    ready for the cross-table checks of :mod:`oretrace.loaders.files`.
    """
    reader = Reader(root)
    seen = _seen | {root.resolve()}
    base_dir = _manifest(root, reader)
    base: Reader | None = None
    base_rules: list[Row] = []
    if base_dir is not None:
        if base_dir.resolve() in seen:
            reader.problem(MANIFEST, 1, 0,
                           f"extends: {base_dir} extends this dataset again (a loop)")
        else:
            base, base_rules = _read_tables(base_dir, seen)
            _relabel(base, base_rules, _label(root, base_dir))
    for table in RECORD_MODELS:
        if (root / f"{table}.csv").exists():
            reader.read_table(table)
        else:
            reader.rows[table] = []
    rules: list[Row] = []
    if (root / "rules.yaml").exists():
        rules = reader.read_rules(root / "rules.yaml")
    if base is None:
        return reader, rules
    for table in RECORD_MODELS:
        key = _KEYS[table]
        own = {key(r.record) for r in reader.rows[table]}
        reader.rows[table] = [r for r in base.rows[table] if key(r.record) not in own] + \
            reader.rows[table]
    reader.unread |= base.unread
    reader.failed_ids |= base.failed_ids
    reader.problems = base.problems + reader.problems
    own_rules = {r.record.id for r in rules}
    return reader, [r for r in base_rules if r.record.id not in own_rules] + rules
