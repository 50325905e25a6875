"""Commands of the exposure family: exposed, where-used, trace, content.

With ``--backend neo4j``, ``exposed`` and ``where-used`` run natively on the server
(:mod:`oretrace.queries.native`); the other commands pull the graph and compute in Python.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import pandas as pd
import typer

from oretrace.cli import FormatOption, State, emit, state
from oretrace.cli._output import Format
from oretrace.graphmodel import Confidence, parse_date
from oretrace.graphmodel.backends.neo4j import Neo4jConfig, connect
from oretrace.queries.content import find_element_content, origin_share
from oretrace.queries.exposure import Dependant, Exposure, find_exposed, find_where_used, trace
from oretrace.queries.native import find_exposed_native, find_where_used_native

__all__ = ["register"]

AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", help="Read the network and the rules as of this date (YYYY-MM-DD; default today).")]
MinConfidenceOption = Annotated[Confidence | None, typer.Option(
    "--min-confidence",
    help="Drop facilities and links weaker than this level (documented, reported, estimated, "
         "illustrative) to see what survives on stronger evidence.")]
PathsOption = Annotated[int, typer.Option("--paths", "-k", min=1,
                                          help="Witness paths to show per platform.")]


class Through(StrEnum):
    """What ``exposed`` looks for upstream."""

    CN_PROCESSING = "cn-processing"
    CN_OWNED = "cn-owned"
    CN_TECHNOLOGY = "cn-technology"
    CN_MINING = "cn-mining"
    ANY = "any"


class By(StrEnum):
    """Which origin share ``content`` reports."""

    MASS = "mass"
    VALUE = "value"


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x * 100:.4g} %"


def _paths(paths: list[list[str]], fmt: Format) -> str:
    """Paths one per line in a table, ``;``-separated in CSV."""
    return ("\n" if fmt is Format.TABLE else "; ").join(" > ".join(p) for p in paths)


def _nothing(message: str, fmt: Format) -> bool:
    """Say ``message`` on stderr for a table; JSON and CSV get their empty forms."""
    if fmt is Format.TABLE:
        print(message, file=sys.stderr)
        return True
    if fmt is Format.JSON:
        print("[]")
        return True
    return False


def _neo4j(st: State) -> Neo4jConfig:
    """The server of ``--backend neo4j``: the global options, then ``NEO4J_*``."""
    opts = st.neo4j
    return Neo4jConfig.from_env(opts.get("uri"), opts.get("user"), opts.get("password"),
                                opts.get("database"))


def register(app: typer.Typer) -> None:
    """Add exposed, where-used, trace and content to ``app``."""

    @app.command()
    def exposed(ctx: typer.Context,
                through: Annotated[Through, typer.Option(
                    "--through", help="Chinese processing, ownership (50 % rule), technology, "
                                      "mining, or any of the first three.")] = Through.ANY,
                as_of: AsOfOption = None,
                paths: PathsOption = 3,
                min_confidence: MinConfidenceOption = None,
                fmt: FormatOption = None) -> None:
        """List the platforms whose needed supply passes through Chinese nodes, with paths.

        With --backend neo4j it runs natively on the server (Cypher), same answer.
        """
        st = state(ctx)
        out = st.format(fmt)
        day = parse_date(as_of)
        found: list[Exposure]
        if st.backend == "neo4j":
            with connect(_neo4j(st)) as driver:
                found = find_exposed_native(driver, through.value, as_of=day, k=paths,
                                            min_confidence=min_confidence)
        else:
            found = find_exposed(st.graph(), through.value, as_of=day, k=paths,
                                 min_confidence=min_confidence)
        if not found and _nothing(f"no platform's supply reaches {through.value} "
                                  f"as of {day}", out):
            return
        if out is Format.JSON:
            emit(found, out)
            return
        emit(pd.DataFrame([{"platform": e.platform, "through": e.through,
                            "confidence": e.confidence, "paths": _paths(e.paths, out),
                            "path_confidence": e.path_confidence} for e in found]),
             out, title=f"Exposed through {through.value} as of {day}")

    @app.command("where-used")
    def where_used(ctx: typer.Context,
                   node: Annotated[str, typer.Argument(
                       help="A facility, company, technology or product id.")],
                   as_of: AsOfOption = None,
                   paths: PathsOption = 3,
                   min_confidence: MinConfidenceOption = None,
                   fmt: FormatOption = None) -> None:
        """List the platforms that depend on a facility, company, technology or product.

        With --backend neo4j it runs natively on the server (Cypher), same answer.
        """
        st = state(ctx)
        out = st.format(fmt)
        day = parse_date(as_of)
        found: list[Dependant]
        if st.backend == "neo4j":
            with connect(_neo4j(st)) as driver:
                found = find_where_used_native(driver, node, as_of=day, k=paths,
                                               min_confidence=min_confidence)
        else:
            found = find_where_used(st.graph(), node, as_of=day, k=paths,
                                    min_confidence=min_confidence)
        if not found and _nothing(f"no platform depends on {node} as of {day}", out):
            return
        if out is Format.JSON:
            emit(found, out)
            return
        emit(pd.DataFrame([{"platform": d.platform, "via": d.via, "confidence": d.confidence,
                            "paths": _paths(d.paths, out)} for d in found]),
             out, title=f"Platforms depending on {node} as of {day}")

    @app.command("trace")
    def trace_cmd(ctx: typer.Context,
                  platform: Annotated[str, typer.Argument(help="A platform or product id.")],
                  through: Annotated[Through, typer.Option(
                      "--through", help="Which nodes to mark.")] = Through.ANY,
                  as_of: AsOfOption = None,
                  min_confidence: MinConfidenceOption = None,
                  fmt: FormatOption = None) -> None:
        """Show a platform's whole upstream supply tree by stage, matched nodes marked."""
        st = state(ctx)
        out = st.format(fmt)
        day = parse_date(as_of)
        tree = trace(st.graph(), platform, predicate=through.value, as_of=day,
                     min_confidence=min_confidence)
        if out is Format.TABLE:
            tree = tree.assign(match=tree["match"].map({True: "◆", False: ""}))
            tree = tree.drop(columns=["sources", "name"])
        emit(tree, out, title=f"{platform}: upstream as of {day} (◆ = {through.value})")

    @app.command()
    def content(ctx: typer.Context,
                product: Annotated[str | None, typer.Argument(
                    help="A product id; without it, kg of each element per unit of every "
                         "platform.")] = None,
                element: Annotated[str | None, typer.Option(
                    "--element", "-e", help="One element, e.g. Dy (default all rare earths).")]
                = None,
                by: Annotated[By, typer.Option("--by", help="mass or value.")] = By.MASS,
                origin: Annotated[str, typer.Option(
                    "--origin", help="Origin country (ISO code).")] = "CN",
                as_of: AsOfOption = None,
                min_confidence: MinConfidenceOption = None,
                fmt: FormatOption = None) -> None:
        """Share of a product's rare-earth content of Chinese origin, by mass or value."""
        st = state(ctx)
        out = st.format(fmt)
        G = st.graph()
        if product is None:
            emit(find_element_content(G, min_confidence=min_confidence), out,
                 title="Kilograms of each rare earth per unit")
            return
        day = parse_date(as_of)
        result = origin_share(G, product, origin=origin, element=element, by=by.value,
                              as_of=day, min_confidence=min_confidence)
        if out is not Format.TABLE:
            emit(result if out is Format.JSON else result.elements, out)
            return
        emit({"product": result.product, "origin": result.origin, "by": result.by,
              "element": result.element or "all rare earths", "share": _pct(result.share),
              "bounds": f"{_pct(result.share_low)} .. {_pct(result.share_high)}"
              if result.share_low is not None else "",
              "coverage": _pct(result.coverage), "kg_per_unit": f"{result.kg_per_unit:.4g}",
              "origin_value_usd": f"{result.value_usd:,.2f}",
              "value_share": _pct(result.value_share), "confidence": result.confidence},
             out, title=f"{result.product}: {result.origin}-origin content as of {day}")
        emit(pd.DataFrame([{"element": r.element, "kg_per_unit": f"{r.kg_per_unit:.4g}",
                            "mass_share": _pct(r.mass_share), "coverage": _pct(r.coverage),
                            "origin_kg": "" if r.origin_kg is None else f"{r.origin_kg:.4g}",
                            "origin_value_usd": f"{r.value_usd:,.2f}",
                            "value_share": _pct(r.value_share)} for r in result.elements]),
             out, title="By element (value: origin items containing the element)")
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
