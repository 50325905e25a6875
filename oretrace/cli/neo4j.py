"""Commands of the Neo4j backend: push a dataset to a server, check what it holds, or write
it as files for Neo4j's bulk importer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oretrace.cli import FormatOption, emit, state

__all__ = ["register"]

DatasetOption = Annotated[str | None, typer.Option(
    "--dataset", help="Name of the dataset in the database (default: the global "
    "--neo4j-dataset, else oretrace).")]


def push_cmd(ctx: typer.Context,
             dataset: DatasetOption = None,
             fmt: FormatOption = None) -> None:
    """Write the dataset (--data, default bundled) as a new version, then switch to it.

    Readers keep seeing the previous version until the new one is complete.
    """
    from tqdm import tqdm

    from oretrace.graphmodel.backends.neo4j import connect, push
    from oretrace.loaders import load_dataset

    st = state(ctx)
    config = st.neo4j_config()
    G = load_dataset(st.data)
    total = G.number_of_nodes() + G.number_of_edges() + len(G.graph.get("sources", {}))
    with connect(config) as driver, tqdm(total=total, unit="row", desc="push",
                                         disable=None) as bar:
        summary = push(driver, G, dataset=st.neo4j_dataset(dataset), progress=bar.update)
    emit(summary.__dict__, st.format(fmt), title="Pushed")


def status_cmd(ctx: typer.Context,
               dataset: DatasetOption = None,
               fmt: FormatOption = None) -> None:
    """Say which version of the dataset readers see on the server."""
    from oretrace.graphmodel.backends.neo4j import connect, current_version

    st = state(ctx)
    cfg = st.neo4j_config()
    name = st.neo4j_dataset(dataset)
    with connect(cfg) as driver:
        version = current_version(driver, name)
    emit({"uri": cfg.uri, "database": cfg.database or "(default)", "dataset": name,
          "current_version": version}, st.format(fmt), title="Neo4j")


def import_files_cmd(
        ctx: typer.Context,
        directory: Annotated[Path, typer.Argument(
            help="Folder to write the CSV files into (created if missing).")],
        dataset: DatasetOption = None,
        database: Annotated[str, typer.Option(
            "--database", help="Database the printed command imports into.")] = "neo4j",
        fmt: FormatOption = None) -> None:
    """Write the dataset (--data, default bundled) as files for Neo4j's bulk importer.

    The files load a fresh store with one current version of the dataset, as a push
    would leave it. Prints the neo4j-admin command to run on a stopped server, and the
    Cypher to run once it is up (constraints, indexes, empty lists); the bundled
    launcher does both: python tools/neo4j-server/launch.py --import DIRECTORY.
    """
    import shlex

    from oretrace.cli._output import Format, echo
    from oretrace.graphmodel.backends._neo4j_import import write_import_files
    from oretrace.loaders import load_dataset

    st = state(ctx)
    G = load_dataset(st.data)
    files = write_import_files(G, directory, dataset=st.neo4j_dataset(dataset))
    after = (files.directory / "after-import.cypher").resolve()
    row = {"directory": str(files.directory.resolve()), "dataset": files.dataset,
           "version": files.version, "nodes": files.nodes,
           "relationships": files.relationships, "sources": files.sources}
    commands = {"command": files.command(database),
                "after_start": f"cypher-shell -d {database} -f {shlex.quote(str(after))}"}
    out = st.format(fmt)
    if out != Format.TABLE:
        emit(row | commands, out, title="Import files")
        return
    emit(row, out, title="Import files")
    echo("On the stopped server (it replaces the database):")
    echo("  " + commands["command"])
    echo("Once it is up (constraints, indexes, empty lists):")
    echo("  " + commands["after_start"])


def register(app: typer.Typer) -> None:
    """Add ``oretrace neo4j push``, ``status`` and ``import-files`` to ``app``."""
    group = typer.Typer(help="Share the graph through a Neo4j 5.x server (NEO4J_URI, "
                             "NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE).",
                        no_args_is_help=True)
    app.add_typer(group, name="neo4j")
    group.command("push")(push_cmd)
    group.command("status")(status_cmd)
    group.command("import-files")(import_files_cmd)
