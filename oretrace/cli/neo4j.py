"""Commands of the Neo4j backend: push a dataset to a server, and check what it holds."""

from __future__ import annotations

from typing import Annotated

import typer
from tqdm import tqdm

from oretrace.cli import FormatOption, emit, state
from oretrace.graphmodel.backends.neo4j import (
    DEFAULT_DATASET,
    Neo4jConfig,
    connect,
    current_version,
    push,
)

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``oretrace neo4j push`` and ``oretrace neo4j status`` to ``app``."""
    group = typer.Typer(help="Share the graph through a Neo4j 5.x server (NEO4J_URI, "
                             "NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE).",
                        no_args_is_help=True)
    app.add_typer(group, name="neo4j")

    def config(ctx: typer.Context) -> Neo4jConfig:
        opts = state(ctx).neo4j
        return Neo4jConfig.from_env(opts.get("uri"), opts.get("user"), opts.get("password"),
                                    opts.get("database"))

    @group.command("push")
    def push_cmd(ctx: typer.Context,
                 dataset: Annotated[str, typer.Option(
                     help="Name of the dataset in the database.")] = DEFAULT_DATASET,
                 fmt: FormatOption = None) -> None:
        """Write the dataset (--data, default bundled) as a new version, then switch to it.

        Readers keep seeing the previous version until the new one is complete.
        """
        st = state(ctx)
        from oretrace.loaders import load_dataset

        G = load_dataset(st.data)
        total = G.number_of_nodes() + G.number_of_edges() + len(G.graph.get("sources", {}))
        with connect(config(ctx)) as driver, tqdm(total=total, unit="row", desc="push",
                                                  disable=None) as bar:
            summary = push(driver, G, dataset=dataset, progress=bar.update)
        emit(summary.__dict__, st.format(fmt), title="Pushed")

    @group.command("status")
    def status_cmd(ctx: typer.Context,
                   dataset: Annotated[str, typer.Option(
                       help="Name of the dataset in the database.")] = DEFAULT_DATASET,
                   fmt: FormatOption = None) -> None:
        """Say which version of the dataset readers see on the server."""
        cfg = config(ctx)
        with connect(cfg) as driver:
            version = current_version(driver, dataset)
        emit({"uri": cfg.uri, "database": cfg.database or "(default)", "dataset": dataset,
              "current_version": version}, state(ctx).format(fmt), title="Neo4j")
