"""Commands that describe, validate and export the graph (info, platforms, show, validate, …)."""

from __future__ import annotations

import csv
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from oretrace.cli import FormatOption, emit, state
from oretrace.cli._output import Format, say, writing

if TYPE_CHECKING:
    from oretrace.graphmodel.errors import Problem

__all__ = ["register"]


class ExportFormat(StrEnum):
    """Graph file formats ``export`` writes."""

    GRAPHML = "graphml"
    JSON = "json"


#: Tables whose ``id`` column is the key of their rows (not stored as a property).
_KEYED_TABLES = frozenset({"facilities.csv", "companies.csv", "products.csv",
                           "technologies.csv", "sources.csv"})


def push_problems(root: Path) -> list[Problem]:
    """What ``oretrace neo4j push`` would refuse in a dataset's tables, located.

    Read from the header of every ``*.csv`` of ``root`` (cheap, whatever the size): a column
    whose name the Neo4j backend reserves for its own properties (``version``, ``dataset``,
    ``_json``, …; ``id`` is allowed where it is the key of the table's rows), and a column
    with an empty name (Neo4j has no empty property name). Each is an error at
    ``file:1:column``. Unreadable files are left to the dataset's own validation.
    """
    from oretrace.graphmodel.backends.neo4j import RESERVED
    from oretrace.graphmodel.errors import Problem

    found: list[Problem] = []
    for path in sorted(root.glob("*.csv")):
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle), [])
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
        for column, name in enumerate(header, 1):
            if not name.strip():
                why = "a column has an empty name; name it or remove it"
            elif name in RESERVED and not (name == "id" and path.name in _KEYED_TABLES):
                why = f"column name {name!r} is reserved by the Neo4j backend; rename it"
            else:
                continue
            found.append(Problem(path.name, 1, column,
                                 why + " (oretrace neo4j push would refuse the dataset)"))
    return found


def info(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """Count nodes and edges by kind, stage or category, and confidence."""
    from oretrace.queries.inventory import count_rows  # the summary, without pandas

    st = state(ctx)
    G = st.graph()
    emit(count_rows(G), st.format(fmt),
         title=f"{G.graph.get('dataset', 'dataset')}: {G.number_of_nodes()} nodes, "
               f"{G.number_of_edges()} edges")


def platforms_cmd(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """List the end products (platforms) with their final assembly."""
    from oretrace.queries.inventory import list_platforms

    st = state(ctx)
    emit(list_platforms(st.graph()), st.format(fmt), title="Platforms")


def show(ctx: typer.Context,
         node: Annotated[str, typer.Argument(help="Node id, e.g. F-35 or mp-mountain-pass.")],
         fmt: FormatOption = None) -> None:
    """Show one node: attributes, sources and neighbours.

    With -f csv, one table: a ``section`` column (attribute, source, neighbour) and the
    columns of all three.
    """
    from oretrace.queries.inventory import describe_node

    st = state(ctx)
    report = describe_node(st.graph(), node)
    out = st.format(fmt)
    if out is Format.JSON:
        emit(report, out)
        return
    attributes = {"id": report.id, "kind": report.kind, **report.attributes}
    sources = [dict(s) for s in report.sources]
    neighbours = [{"direction": n.direction, "kind": n.kind, "node": n.node,
                   "name": n.name,
                   **{k: v for k, v in n.attributes.items()
                      if k in {"product", "share", "qty", "confidence"}}}
                  for n in report.neighbours]
    if out is Format.CSV:
        emit([{"section": "attribute", "field": k, "value": v}
              for k, v in attributes.items()]
             + [{"section": "source", **s} for s in sources]
             + [{"section": "neighbour", **n} for n in neighbours], out)
        return
    emit(attributes, out, title=report.id)
    emit(sources, out, title="Sources")
    emit(neighbours, out, title="Neighbours")


def validate(ctx: typer.Context,
             directory: Annotated[Path | None, typer.Argument(
                 help="Dataset directory (default: --data or the bundled dataset).",
                 file_okay=False)] = None,
             fmt: FormatOption = None) -> None:
    """Check every row of a dataset; print file:line:column: reason; exit 1 on errors."""
    from oretrace.loaders import bundled_path, validate_dataset

    st = state(ctx)
    target = directory if directory is not None else st.data
    problems = validate_dataset(target)
    problems += push_problems(target if target is not None else bundled_path())
    errors = [p for p in problems if p.severity == "error"]
    out = st.format(fmt)
    if out is Format.TABLE:
        for p in problems:
            say(str(p), err=False)
        verdict = "invalid" if errors else "valid"
        say(f"{target or 'bundled dataset'}: {verdict}: {len(errors)} error(s), "
            f"{len(problems) - len(errors)} warning(s)")
    else:
        emit([{"file": p.file, "line": p.line, "column": p.column,
               "severity": p.severity, "reason": p.reason} for p in problems], out)
    if errors:
        raise typer.Exit(1)


def schema() -> None:
    """Print the JSON Schema of the dataset format (one row of each table, rules.yaml)."""
    from oretrace.graphmodel.schema import dataset_json_schema

    print(json.dumps(dataset_json_schema(), indent=1, sort_keys=True))


def export(ctx: typer.Context,
           to: Annotated[ExportFormat, typer.Option("--to", help="graphml or json.")],
           out: Annotated[str, typer.Argument(
               help="Output file, or a directory (created if missing).")]) -> None:
    """Write the graph as GraphML or node-link JSON (Gephi opens both)."""
    from oretrace.graphmodel import write_graphml, write_json

    G = state(ctx).graph()
    path = Path(out)
    with writing(path):
        if out.endswith(("/", "\\")) or path.is_dir() or not (path.suffix or path.exists()):
            path.mkdir(parents=True, exist_ok=True)
            path = path / f"oretrace.{to.value}"
        written = (write_graphml(G, path) if to is ExportFormat.GRAPHML
                   else write_json(G, path))
    say(f"wrote {written} ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges)",
        err=False)


def register(app: typer.Typer) -> None:
    """Add info, platforms, show, validate and export to ``app``."""
    app.command("info")(info)
    app.command("platforms")(platforms_cmd)
    app.command("show")(show)
    app.command("validate")(validate)
    app.command("schema")(schema)
    app.command("export")(export)
