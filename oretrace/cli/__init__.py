"""The ``oretrace`` command line: global options, graph loading, and the command families.

The CLI is a layer over the library: it imports :mod:`oretrace.loaders` and
:mod:`oretrace.queries`, never the reverse. Each command family lives in its own module of
this package with a ``register(app)``; the modules are imported statically below, and each
imports the heavy parts of the library (pandas, scipy, matplotlib) inside the commands that
need them, so that ``oretrace --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from oretrace.cli._output import Format, clean, emit, say
from oretrace.graphmodel.vocab import Confidence

if TYPE_CHECKING:
    import networkx as nx

    from oretrace.graphmodel.backends.neo4j import Neo4jConfig

__all__ = ["AsOfOption", "FormatOption", "MinConfidenceOption", "State", "emit", "lift_overrides",
           "main", "make_app", "state"]

#: Commands that never read the graph, so cannot apply ``--set``/``--drop`` (they refuse).
GRAPHLESS = frozenset({"validate", "schema", "neo4j", "synth"})
#: Global options a user may also write after the command; :func:`main` lifts them before it.
LIFTED = ("--set", "--drop")

#: URI schemes of the Bolt protocol, the only one oretrace speaks to Neo4j.
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


@dataclass
class State:
    """Global options of one invocation, and the graph, loaded once on first use."""

    data: Path | None = None
    fmt: Format = Format.TABLE
    backend: str = "networkx"
    neo4j: dict[str, str | None] = field(default_factory=dict)
    #: What-if overrides (``--set``, ``--drop``), applied to the graph once, when it loads.
    overrides: dict[str, list[str]] = field(default_factory=dict)
    _graph: nx.MultiDiGraph | None = None

    def neo4j_config(self) -> Neo4jConfig:
        """The Neo4j server: the global options, then ``NEO4J_*``; a Bolt URI only."""
        from oretrace.graphmodel.backends.neo4j import Neo4jConfig
        from oretrace.graphmodel.errors import BackendError

        o = self.neo4j
        config = Neo4jConfig.from_env(o.get("uri"), o.get("user"), o.get("password"),
                                      o.get("database"))
        scheme = config.uri.partition("://")[0].lower()
        if scheme not in BOLT_SCHEMES:
            raise BackendError(f"Neo4j URI {config.uri!r} is not a Bolt URI: use one of "
                               f"{', '.join(s + '://' for s in BOLT_SCHEMES)}")
        return config

    def neo4j_dataset(self, override: str | None = None) -> str:
        """The dataset name in Neo4j: ``override``, else ``--neo4j-dataset``, else the default."""
        from oretrace.graphmodel.backends.neo4j import DEFAULT_DATASET

        return override or self.neo4j.get("dataset") or DEFAULT_DATASET

    def graph(self) -> nx.MultiDiGraph:
        """Return the dataset's graph (from ``--data``, Neo4j, or the bundled dataset)."""
        if self._graph is None:
            if self.backend == "neo4j":
                from oretrace.graphmodel.backends.neo4j import connect
                from oretrace.loaders.neo4j import load

                with connect(self.neo4j_config()) as driver:
                    self._graph = load(driver, dataset=self.neo4j_dataset())
            else:
                from oretrace.loaders import load_dataset
                self._graph = load_dataset(self.data)
            if any(self.overrides.values()):
                from oretrace.graphmodel.overrides import with_overrides

                self._graph = with_overrides(self._graph, set=self.overrides.get("set", []),
                                             drop=self.overrides.get("drop", []))
                say("note: answers assume the overrides "
                    + "; ".join(self._graph.graph["overrides"])
                    + " (records marked 'overridden', sources 'override:...')")
        return self._graph

    @contextmanager
    def query_graph(self, command: str) -> Iterator[Any]:
        """What a query with a native Neo4j form runs on: the graph, or with ``--backend
        neo4j`` a ``Neo4jGraph`` handle on an open driver (the query dispatches on it and
        answers in Cypher, refusing overrides it cannot apply; ``command`` names it)."""
        if self.backend != "neo4j":
            yield self.graph()
            return
        from oretrace.graphmodel.backends.neo4j import connect
        from oretrace.queries._dispatch import Neo4jGraph

        self.refuse_overrides(f"`oretrace {command} --backend neo4j` runs natively on the "
                              "server and")
        with connect(self.neo4j_config()) as driver:
            yield Neo4jGraph(driver, self.neo4j_dataset())

    def refuse_overrides(self, what: str) -> None:
        """Raise :class:`~oretrace.graphmodel.errors.OverrideError` when overrides were given
        to ``what``, which cannot apply them (a native Neo4j query, a command that does not
        read the graph): never ignore them silently."""
        given = [f"--{action} {text}" for action, texts in self.overrides.items()
                 for text in texts]
        if given:
            from oretrace.graphmodel.errors import OverrideError

            raise OverrideError(f"{what} cannot apply overrides ({', '.join(given)}), "
                                "which change the graph in memory")

    def format(self, override: Format | None) -> Format:
        """Return the command's ``--format`` if given, else the global one."""
        return override if override is not None else self.fmt


FormatOption = Annotated[
    Format | None,
    typer.Option("--format", "-f", help="Output format (default: the global --format)."),
]
#: ``--as-of`` of the commands that read rules with the network.
AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", help="Read the network and the rules as of this date (YYYY-MM-DD; default today).")]
#: ``--min-confidence`` of the commands that can drop weak evidence first.
MinConfidenceOption = Annotated[Confidence | None, typer.Option(
    "--min-confidence",
    help="Drop facilities and links weaker than this level (documented, reported, estimated, "
         "illustrative) to see what survives on stronger evidence.")]


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
        # Plain (click) help and usage errors: typer's Rich help imports rich.markdown,
        # markdown-it and pygments, about 0.2 s of the 0.5 s that `oretrace --help` may take.
        rich_markup_mode=None,
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
        neo4j_dataset: Annotated[str | None, typer.Option(
            "--neo4j-dataset", help="Name of the dataset in Neo4j that --backend neo4j reads "
            "(the name given to `oretrace neo4j push --dataset`; default oretrace).")] = None,
        set_: Annotated[list[str] | None, typer.Option(
            "--set", metavar="ID.FIELD=VALUE",
            help="What-if override, repeatable, also after the command: a facility's "
            "online_from, online_until, capacity or status, a product's unit_price_usd, a "
            "link's share (SUPPLIER>BUYER[:PRODUCT].share=0.5), a bill-of-materials qty "
            "(INPUT>PRODUCT.qty=...); ranges lo..hi where the dataset allows them. The answer "
            "cites the override as a source.")] = None,
        drop: Annotated[list[str] | None, typer.Option(
            "--drop", metavar="LINK|ID",
            help="What-if removal, repeatable, also after the command: a supply link "
            "SUPPLIER>BUYER[:PRODUCT] (or INPUT>PRODUCT, OWNER>OWNED), or a facility or rule "
            "ID with its links.")] = None,
    ) -> None:
        if backend not in {"networkx", "neo4j"}:
            raise typer.BadParameter("choose networkx or neo4j", param_hint="--backend")
        if neo4j_dataset is not None and not neo4j_dataset.strip():
            raise typer.BadParameter("give a dataset name", param_hint="--neo4j-dataset")
        ctx.obj = State(data=data, fmt=fmt, backend=backend,
                        neo4j={"uri": neo4j_uri, "user": neo4j_user,
                               "password": neo4j_password, "database": neo4j_database,
                               "dataset": neo4j_dataset},
                        overrides={"set": list(set_ or []), "drop": list(drop or [])})
        if ctx.invoked_subcommand in GRAPHLESS:
            ctx.obj.refuse_overrides(f"`oretrace {ctx.invoked_subcommand}` reads no graph "
                                     "and")

    from oretrace.cli import (
        chokepoints,
        compliance,
        decide,
        explore,
        exposure,
        graph,
        neo4j,
        report,
        restore,
        synth,
    )

    for module in (graph, exposure, compliance, chokepoints, decide, restore, report, explore,
                   neo4j, synth):  # help order
        module.register(app)
    return app


def _fail(message: str) -> NoReturn:
    """Print ``error: message`` (control characters replaced) and exit with status 2."""
    print(f"error: {clean(message)}", file=sys.stderr)
    sys.exit(2)


def _os_message(exc: OSError) -> str:
    """``path: reason`` of a file system error, as ``ls`` or ``cp`` would say it."""
    reason = exc.strerror or type(exc).__name__
    if exc.filename is None:
        return f"{reason}: {exc}" if str(exc) and str(exc) != reason else reason
    where = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
    return f"{where}: {reason}"


def lift_overrides(argv: list[str]) -> list[str]:
    """Move ``--set X``, ``--set=X``, ``--drop X`` and ``--drop=X`` to the front of ``argv``.

    They are options of the root command, which click reads only before the subcommand;
    users write them after it too (``oretrace scenario --policy P --set ID.F=V``). No
    command has options of these names, so the move changes no other meaning. Tokens after
    ``--`` stay where they are.

    Examples
    --------
    >>> lift_overrides(["scenario", "--as-of", "2029-01-01", "--set", "a.b=1", "--drop=x"])
    ['--set', 'a.b=1', '--drop=x', 'scenario', '--as-of', '2029-01-01']
    """
    lifted: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            rest += argv[i:]
            break
        if token in LIFTED and i + 1 < len(argv):  # with its value
            lifted += argv[i:i + 2]
            i += 2
            continue
        if token.startswith(tuple(f"{name}=" for name in LIFTED)):
            lifted.append(token)
        else:
            rest.append(token)
        i += 1
    return lifted + rest


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn every error into one readable line and exit status 2.

    oretrace's own errors say what is wrong and where; file system errors name the path;
    anything else is reported by type and message (``ORETRACE_DEBUG=1`` re-raises it, to
    see the traceback).
    """
    from oretrace.graphmodel.errors import OretraceError

    try:
        make_app()(args=lift_overrides(sys.argv[1:] if argv is None else argv),
                   standalone_mode=True)
    except OretraceError as exc:
        _fail(str(exc))
    except OSError as exc:
        if os.environ.get("ORETRACE_DEBUG"):
            raise
        _fail(_os_message(exc))
    except RecursionError:
        if os.environ.get("ORETRACE_DEBUG"):
            raise
        _fail("the input nests too deeply to process (Python's recursion limit): a deeply "
              "nested rules.yaml, or a very long chain in the data")
    except Exception as exc:  # the last line of defence: no traceback reaches a user
        if os.environ.get("ORETRACE_DEBUG"):
            raise
        first = str(exc).strip().splitlines()
        _fail(f"{type(exc).__name__}: {first[0] if first else 'no message'} "
              "(an internal error; ORETRACE_DEBUG=1 shows the traceback)")
