"""The ``oretrace`` command line: global options, graph loading, and the command families.

The CLI is a layer over the library: it imports :mod:`oretrace.loaders` and
:mod:`oretrace.queries`, never the reverse. Each command family lives in its own module of
this package with a ``register(app)``; the modules are imported statically below, and each
imports the heavy parts of the library (pandas, scipy, matplotlib) inside the commands that
need them, so that ``oretrace --help`` starts fast.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from oretrace.cli._output import Format, emit

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["FormatOption", "State", "emit", "main", "make_app", "state"]


@dataclass
class State:
    """Global options of one invocation, and the graph, loaded once on first use."""

    data: Path | None = None
    fmt: Format = Format.TABLE
    backend: str = "networkx"
    neo4j: dict[str, str | None] = field(default_factory=dict)
    _graph: nx.MultiDiGraph | None = None

    def graph(self) -> nx.MultiDiGraph:
        """Return the dataset's graph (from ``--data``, Neo4j, or the bundled dataset)."""
        if self._graph is None:
            if self.backend == "neo4j":
                from oretrace.loaders.neo4j import load_from_neo4j
                o = self.neo4j
                self._graph = load_from_neo4j(o.get("uri"), o.get("user"), o.get("password"),
                                              o.get("database"))
            else:
                from oretrace.loaders import load_dataset
                self._graph = load_dataset(self.data)
        return self._graph

    def format(self, override: Format | None) -> Format:
        """Return the command's ``--format`` if given, else the global one."""
        return override if override is not None else self.fmt


FormatOption = Annotated[
    Format | None,
    typer.Option("--format", "-f", help="Output format (default: the global --format)."),
]


def state(ctx: typer.Context) -> State:
    """Return the invocation's :class:`State`."""
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


def make_app() -> typer.Typer:
    """Build the ``oretrace`` Typer application."""
    app = typer.Typer(
        name="oretrace",
        help="Trace rare-earth supply from mines to weapon systems: exposure, content, "
        "compliance and chokepoints, as of a date, with sources.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def main(
        ctx: typer.Context,
        data: Annotated[Path | None, typer.Option(
            "--data", help="Dataset directory (default: the bundled dataset).",
            file_okay=False)] = None,
        fmt: Annotated[Format, typer.Option(
            "--format", "-f", help="Output format: table, json or csv.")] = Format.TABLE,
        backend: Annotated[str, typer.Option(
            "--backend", help="networkx (embedded, default) or neo4j. With neo4j, `exposed` "
            "and `where-used` run natively on the server; other commands pull the graph "
            "(`oretrace neo4j push` first).")] = "networkx",
        neo4j_uri: Annotated[str | None, typer.Option(
            "--neo4j-uri", envvar="NEO4J_URI", help="Bolt URI of the Neo4j server.")] = None,
        neo4j_user: Annotated[str | None, typer.Option(
            "--neo4j-user", envvar="NEO4J_USERNAME")] = None,
        neo4j_password: Annotated[str | None, typer.Option(
            "--neo4j-password", envvar="NEO4J_PASSWORD")] = None,
        neo4j_database: Annotated[str | None, typer.Option(
            "--neo4j-database", envvar="NEO4J_DATABASE")] = None,
    ) -> None:
        if backend not in {"networkx", "neo4j"}:
            raise typer.BadParameter("choose networkx or neo4j", param_hint="--backend")
        ctx.obj = State(data=data, fmt=fmt, backend=backend,
                        neo4j={"uri": neo4j_uri, "user": neo4j_user,
                               "password": neo4j_password, "database": neo4j_database})

    from oretrace.cli import chokepoints, exposure, graph, neo4j, report, synth

    for module in (graph, exposure, chokepoints, neo4j, report, synth):  # in help order
        module.register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn oretrace errors into one readable message and exit status 2."""
    from oretrace.graphmodel.errors import OretraceError

    try:
        make_app()(args=argv, standalone_mode=True)
    except OretraceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
