"""The ``oretrace`` command line: global options, graph loading, and the command families.

The CLI is built by :func:`make_app` from :class:`Services` (how to load a dataset, how to
validate one), so that ``oretrace.queries`` stays free of ``oretrace.loaders``: the ``oretrace``
package wires
the two together. Each command family lives in its own module with a ``register(app)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import networkx as nx
import typer

from oretrace.cli._output import Format, emit
from oretrace.graphmodel import Problem

__all__ = ["COMMAND_MODULES", "FormatOption", "Services", "State", "emit", "make_app", "state"]

#: Modules of ``oretrace.cli`` whose ``register(app)`` adds commands, in help order.
COMMAND_MODULES = ("graph", "exposure", "compliance", "chokepoints", "neo4j", "report", "synth")


@dataclass
class Services:
    """What the CLI needs from outside ``oretrace.queries``: loading and validating datasets."""

    load: Callable[[Path | None], nx.MultiDiGraph]
    validate: Callable[[Path | None], list[Problem]]
    extras: dict[str, Callable[..., Any]] = field(default_factory=dict)


@dataclass
class State:
    """Global options of one invocation, and the graph, loaded once on first use."""

    services: Services
    data: Path | None = None
    fmt: Format = Format.TABLE
    backend: str = "networkx"
    neo4j: dict[str, str | None] = field(default_factory=dict)
    _graph: nx.MultiDiGraph | None = None

    def graph(self) -> nx.MultiDiGraph:
        """Return the dataset's graph (from ``--data`` or the bundled dataset)."""
        if self._graph is None:
            if self.backend == "neo4j" and "load_neo4j" in self.services.extras:
                self._graph = self.services.extras["load_neo4j"](**self.neo4j)
            else:
                self._graph = self.services.load(self.data)
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


def make_app(services: Services) -> typer.Typer:
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
        ctx.obj = State(services=services, data=data, fmt=fmt, backend=backend,
                        neo4j={"uri": neo4j_uri, "user": neo4j_user,
                               "password": neo4j_password, "database": neo4j_database})

    for name in COMMAND_MODULES:
        module = importlib.import_module(f"oretrace.cli.{name}")
        module.register(app)
    return app
