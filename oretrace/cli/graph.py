"""Commands that describe, validate and export the graph (info, platforms, show, validate, …)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from oretrace.cli import FormatOption, emit, state
from oretrace.cli._output import Format
from oretrace.graphmodel import write_graphml, write_json
from oretrace.graphmodel.schema import dataset_json_schema
from oretrace.queries.inventory import describe_node, list_platforms, summarize

__all__ = ["register"]


class ExportFormat(StrEnum):
    """Graph file formats ``export`` writes."""

    GRAPHML = "graphml"
    JSON = "json"


def register(app: typer.Typer) -> None:
    """Add info, platforms, show, validate and export to ``app``."""

    @app.command()
    def info(ctx: typer.Context, fmt: FormatOption = None) -> None:
        """Count nodes and edges by kind, stage or category, and confidence."""
        st = state(ctx)
        G = st.graph()
        emit(summarize(G), st.format(fmt),
             title=f"{G.graph.get('dataset', 'dataset')}: {G.number_of_nodes()} nodes, "
                   f"{G.number_of_edges()} edges")

    @app.command("platforms")
    def platforms_cmd(ctx: typer.Context, fmt: FormatOption = None) -> None:
        """List the end products (platforms) with their final assembly."""
        st = state(ctx)
        emit(list_platforms(st.graph()), st.format(fmt), title="Platforms")

    @app.command()
    def show(ctx: typer.Context,
             node: Annotated[str, typer.Argument(help="Node id, e.g. F-35 or mp-mountain-pass.")],
             fmt: FormatOption = None) -> None:
        """Show one node: attributes, sources and neighbours."""
        st = state(ctx)
        report = describe_node(st.graph(), node)
        out = st.format(fmt)
        if out is Format.JSON:
            emit(report, out)
            return
        emit({"id": report.id, "kind": report.kind, **report.attributes}, out, title=report.id)
        emit(report.sources, out, title="Sources")
        emit([{"direction": n.direction, "kind": n.kind, "node": n.node, "name": n.name,
               **{k: v for k, v in n.attributes.items() if k in {"product", "share", "qty",
                                                                  "confidence"}}}
              for n in report.neighbours], out, title="Neighbours")

    @app.command()
    def validate(ctx: typer.Context,
                 directory: Annotated[Path | None, typer.Argument(
                     help="Dataset directory (default: --data or the bundled dataset).",
                     file_okay=False)] = None,
                 fmt: FormatOption = None) -> None:
        """Check every row of a dataset; print file:line:column: reason; exit 1 on errors."""
        st = state(ctx)
        target = directory if directory is not None else st.data
        from oretrace.loaders import validate_dataset

        problems = validate_dataset(target)
        errors = [p for p in problems if p.severity == "error"]
        out = st.format(fmt)
        if out is Format.TABLE:
            for p in problems:
                print(p)
            verdict = "invalid" if errors else "valid"
            print(f"{target or 'bundled dataset'}: {verdict}: {len(errors)} error(s), "
                  f"{len(problems) - len(errors)} warning(s)", file=sys.stderr)
        else:
            emit([{"file": p.file, "line": p.line, "column": p.column,
                   "severity": p.severity, "reason": p.reason} for p in problems], out)
        if errors:
            raise typer.Exit(1)

    @app.command()
    def schema() -> None:
        """Print the JSON Schema of the dataset format (one row of each table, rules.yaml)."""
        print(json.dumps(dataset_json_schema(), indent=1, sort_keys=True))

    @app.command()
    def export(ctx: typer.Context,
               to: Annotated[ExportFormat, typer.Option("--to", help="graphml or json.")],
               out: Annotated[str, typer.Argument(
                   help="Output file, or a directory (created if missing).")]) -> None:
        """Write the graph as GraphML or node-link JSON (Gephi opens both)."""
        G = state(ctx).graph()
        path = Path(out)
        if out.endswith(("/", "\\")) or path.is_dir() or not path.suffix:
            path.mkdir(parents=True, exist_ok=True)
            path = path / f"oretrace.{to.value}"
        written = write_graphml(G, path) if to is ExportFormat.GRAPHML else write_json(G, path)
        print(f"wrote {written} ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges)")
