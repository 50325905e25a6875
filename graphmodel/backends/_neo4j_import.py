"""A graph as ``neo4j-admin database import full`` files: a fresh store, one current version.

:func:`write_import_files` writes, into one folder, CSV files with their headers (nodes by
label, relationships by type, the sources and the dataset node) holding the same
properties and version layout a push writes (:mod:`oretrace.graphmodel.backends._neo4j_encoding`),
``after-import.cypher`` (the constraints and indexes a push creates, and the empty lists the
importer cannot write, set back) and ``import.json`` (the importer's arguments, read by the
bundled launcher). :meth:`ImportFiles.command` is the command for a user's own server.

The importer's CSV: a header ``name:type`` per column (``string`` by default, ``long``,
``double``, ``boolean``, ``date``, arrays ``type[]``); string fields quoted with doubled
inner quotes; an empty unquoted field is an absent property. A column has one type, so the
rows of a label whose attributes differ in type go to separate files. Empty lists cannot be
written (an empty array field is read as absent): their names go to ``_empty``, which
:func:`~oretrace.graphmodel.backends._neo4j_encoding.decode_properties` reads and
``after-import.cypher`` turns back into empty lists.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shlex
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from oretrace.graphmodel.backends._neo4j_encoding import (
    DEFAULT_DATASET,
    EMPTY,
    LAYOUT,
    NODE_LABELS,
    REL_TYPES,
    SCHEMA,
    encode_graph_attrs,
    node_rows,
    relationship_rows,
    source_rows,
)
from oretrace.graphmodel.errors import BackendError

__all__ = ["ARRAY_DELIMITER", "ImportFiles", "write_import_files"]

#: Between the elements of an array field (U+001F, the unit separator: not in names or text).
ARRAY_DELIMITER = "\x1f"
_SCALAR_TYPES: dict[type, str] = {bool: "boolean", int: "long", float: "double",
                                  str: "string", dt.datetime: "datetime", dt.date: "date"}


@dataclass(frozen=True)
class ImportFiles:
    """What :func:`write_import_files` wrote, and how to import it."""

    directory: Path
    dataset: str
    version: str
    nodes: int
    relationships: int
    sources: int
    #: Arguments of ``neo4j-admin database import full <database>``, paths relative to
    #: ``directory``.
    arguments: list[str] = field(default_factory=list)

    def command(self, database: str = "neo4j", admin: str = "neo4j-admin") -> str:
        """The shell command importing the files into ``database`` of a stopped server.

        Examples
        --------
        >>> files = ImportFiles(Path("/data/x"), "d", "v", 0, 0, 0, ["--nodes=a.csv"])
        >>> files.command()
        'neo4j-admin database import full neo4j --overwrite-destination --nodes=/data/x/a.csv'
        """
        return shlex.join([admin, "database", "import", "full", database,
                           "--overwrite-destination",
                           *absolute_arguments(self.arguments, self.directory)])


def absolute_arguments(arguments: Iterable[str], directory: Path) -> list[str]:
    """The importer's arguments with the files under ``directory``."""
    out = []
    for arg in arguments:
        name, _, value = arg.partition("=")
        if name in ("--nodes", "--relationships"):
            head, eq, path = value.rpartition("=")
            arg = f"{name}={head}{eq}{directory.resolve() / path}"
        out.append(arg)
    return out


def _field(value: Any, where: str) -> tuple[str, str]:
    """``(type, text)`` of one property value in the importer's CSV."""
    kind = _SCALAR_TYPES.get(type(value))
    if kind is None:
        for base, name in _SCALAR_TYPES.items():
            if isinstance(value, base):
                kind = name
                break
    if kind == "datetime" and value.tzinfo is None:
        kind = "localdatetime"
    if kind is not None:
        return kind, _text(value, kind)
    if isinstance(value, list) and value:
        kinds = {_field(v, where)[0] for v in value}
        if len(kinds) == 1:
            (one,) = kinds
            texts = [_text(v, one) for v in value]
            if one == "string":
                texts = [t[1:-1] for t in texts]  # quoted once, around the whole field
            if any(ARRAY_DELIMITER in t for t in texts) or texts == [""]:
                raise BackendError(f"{where} holds a list the importer's files cannot "
                                   "carry; push the dataset instead")
            joined = ARRAY_DELIMITER.join(texts)
            return one + "[]", f'"{joined}"' if one == "string" else joined
    raise BackendError(f"{where} has a value of type {type(value).__name__} the importer's "
                       "files cannot carry; push the dataset instead")


def _text(value: Any, kind: str) -> str:
    if kind == "string":
        return '"' + str(value).replace('"', '""') + '"'
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "double":
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(float(value))
    if kind in ("date", "datetime", "localdatetime"):
        return str(value.isoformat())
    return str(int(value))


class _Table:
    """Rows of one label or type, split into files whose columns each have one type."""

    def __init__(self, directory: Path, stem: str, head: list[str]) -> None:
        self.directory, self.stem, self.head = directory, stem, head
        self.groups: list[tuple[dict[str, str], list[tuple[list[str], dict[str, str]]]]] = []
        self.empty_names: set[str] = set()
        self.multiline = False

    def add(self, fixed: list[str], props: dict[str, Any], where: str) -> None:
        typed: dict[str, str] = {}
        texts: dict[str, str] = {}
        empty = []
        for key, value in props.items():
            if ":" in key or '"' in key or "," in key:
                raise BackendError(f"{where} has an attribute named {key!r}, which the "
                                   "importer's header cannot carry; push the dataset instead")
            kind = type(value)  # the common types first, by exact type
            if kind is str:
                typed[key] = "string"
                texts[key] = '"' + value.replace('"', '""') + '"' if '"' in value \
                    else '"' + value + '"'
            elif kind is int:
                typed[key], texts[key] = "long", str(value)
            elif kind is bool:
                typed[key], texts[key] = "boolean", "true" if value else "false"
            elif kind is list and not value:
                empty.append(key)
            else:
                typed[key], texts[key] = _field(value, where)
        if empty:
            typed[EMPTY], texts[EMPTY] = _field(empty, where)
            self.empty_names.update(empty)
        for columns, rows in self.groups:
            if typed.items() <= columns.items() or all(
                    columns.get(k, t) == t for k, t in typed.items()):
                columns.update(typed)
                rows.append((fixed, texts))
                return
        self.groups.append((dict(typed), [(fixed, texts)]))

    def write(self) -> Iterator[str]:
        """Write the files; yield their names."""
        for i, (columns, rows) in enumerate(self.groups):
            names = sorted(columns)
            header = self.head + [k if columns[k] == "string" else f"{k}:{columns[k]}"
                                  for k in names]
            name = f"{self.stem}-{i}.csv"
            with open(self.directory / name, "w", encoding="utf-8", newline="\n") as out:
                out.write(",".join(header) + "\n")
                for fixed, texts in rows:
                    line = ",".join([*fixed, *[texts.get(k, "") for k in names]])
                    if "\n" in line or "\r" in line:
                        self.multiline = True
                    out.write(line + "\n")
            yield name


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _cypher_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _cypher_name(text: str) -> str:
    return "`" + text.replace("`", "``") + "`"


def write_import_files(G: nx.MultiDiGraph, directory: str | Path, *,
                       dataset: str = DEFAULT_DATASET,
                       version: str | None = None) -> ImportFiles:
    """Write ``G`` as bulk-importer files for a fresh store holding ``dataset``.

    The imported store holds one version of ``dataset``, current, with the properties a
    push writes; run ``after-import.cypher`` once the server is up (the bundled launcher's
    ``import_dir`` does both).

    Examples
    --------
    >>> import tempfile
    >>> from oretrace.loaders import load_dataset
    >>> G = load_dataset(MINI)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     files = write_import_files(G, out, dataset="mini")
    ...     names = sorted(p.name for p in files.directory.iterdir())
    >>> (files.nodes, files.relationships) == (G.number_of_nodes(), G.number_of_edges())
    True
    >>> names[:3]
    ['after-import.cypher', 'dataset-0.csv', 'import.json']
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    version = version or uuid.uuid4().hex
    common = [_q(dataset), _q(version)]
    args: list[str] = []
    multiline = False
    sources = source_rows(G)
    table = _Table(out, "sources", ["id:ID(source)", "dataset", "version"])
    for row in sources:
        table.add([_q(row["id"]), *common], row["props"], f"source {row['id']!r}")
    args += [f"--nodes=OretraceSource={name}" for name in table.write()]
    multiline |= table.multiline
    fixes: list[str] = []
    for kind, rows in node_rows(G).items():
        label = NODE_LABELS[kind]
        table = _Table(out, f"nodes-{label}", ["id:ID(node)", "dataset", "version"])
        for row in rows:
            table.add([_q(row["id"]), *common], row["props"], f"node {row['id']!r}")
        args += [f"--nodes=OretraceNode:{label}={name}" for name in table.write()]
        multiline |= table.multiline
        fixes += _fix_empty(f"(e:OretraceNode:{label})", table.empty_names)
    tables: dict[str, _Table] = {}
    for kind, row in relationship_rows(G):
        rtype = REL_TYPES[kind]
        if rtype not in tables:
            tables[rtype] = _Table(out, f"rels-{rtype}", [":START_ID(node)", ":END_ID(node)"])
        tables[rtype].add([_q(row["u"]), _q(row["v"])], {"_key": row["k"], **row["props"]},
                          f"edge {row['u']!r}->{row['v']!r}")
    for rtype, table in tables.items():
        args += [f"--relationships={rtype}={name}" for name in table.write()]
        multiline |= table.multiline
        fixes += _fix_empty(f"(:OretraceNode)-[e:{rtype}]->()", table.empty_names)
    counts = (G.number_of_nodes(), G.number_of_edges(), len(sources))
    head = {"name": dataset, "current": version, "graph": encode_graph_attrs(G),
            "nodes": counts[0], "relationships": counts[1], "sources": counts[2],
            "layout": LAYOUT, "pushed_at": dt.datetime.now(dt.UTC)}
    table = _Table(out, "dataset", [])
    table.add([], head, f"dataset {dataset!r}")
    args += [f"--nodes=OretraceDataset={name}" for name in table.write()]
    if multiline or table.multiline:
        args.append("--multiline-fields=true")
    args.append("--array-delimiter=U+001F")
    (out / "after-import.cypher").write_text(
        "".join(f"{s};\n" for s in [*SCHEMA, *fixes, "CALL db.awaitIndexes(300)"]),
        encoding="utf-8")
    (out / "import.json").write_text(json.dumps(
        {"arguments": args, "after": "after-import.cypher", "dataset": dataset,
         "version": version}, indent=1) + "\n", encoding="utf-8")
    return ImportFiles(out, dataset, version, *counts, arguments=args)


def _fix_empty(pattern: str, names: set[str]) -> list[str]:
    """Statements setting the empty lists named in ``_empty`` back, in batches (each
    returns ``repeat``: the launcher runs it again until it is 0)."""
    if not names:
        return []
    sets = ", ".join(f"e.{_cypher_name(n)} = CASE WHEN {_cypher_string(n)} IN e.{EMPTY} "
                     f"THEN [] ELSE e.{_cypher_name(n)} END" for n in sorted(names))
    return [f"MATCH {pattern} WHERE e.{EMPTY} IS NOT NULL WITH e LIMIT 10000 "
            f"SET {sets} REMOVE e.{EMPTY} RETURN count(*) AS repeat"]
