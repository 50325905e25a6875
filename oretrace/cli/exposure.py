"""Commands of the exposure family: exposed, where-used, trace, content.

With ``--backend neo4j``, ``exposed`` and ``where-used`` hand the query a ``Neo4jGraph``
handle and it answers natively on the server (:mod:`oretrace.queries.native`); the other
commands pull the graph and compute in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oretrace.cli import AsOfOption, FormatOption, MinConfidenceOption, emit, state
from oretrace.cli._output import Format, say
from oretrace.graphmodel.vocab import COUNTRIES, Confidence

if TYPE_CHECKING:
    from oretrace.queries.content import ContentShare

__all__ = ["register"]

PathsOption = Annotated[int, typer.Option("--paths", "-k", min=1,
                                          help="Witness paths to show per platform.")]


def _country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code, or a usage error naming the option's value."""
    if value not in COUNTRIES:
        hint = f"; did you mean {value.upper()!r}?" if value.upper() in COUNTRIES else ""
        raise typer.BadParameter(f"{value!r} is not an ISO 3166-1 alpha-2 country code{hint}")
    return value


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


def _gaps(gaps: list[Any], fmt: Format) -> str:
    """Where chains break, ``facility needs product``, one per line (``;`` in CSV)."""
    return ("\n" if fmt is Format.TABLE else "; ").join(
        f"{g.facility} needs {g.product}" if g.facility else f"nothing makes {g.product}"
        for g in gaps)


def _say_no_chain(found: list[Any], fmt: Format) -> None:
    """In a table, one line per product with no supply chain left at the floor (JSON and
    CSV carry them as rows with ``status`` ``no_chain_at_level``)."""
    if fmt is not Format.TABLE:
        return
    for r in found:
        if r.status == "no_chain_at_level":
            shown = _gaps(r.gaps[:3], Format.CSV)
            more = f"; … +{len(r.gaps) - 3} more" if len(r.gaps) > 3 else ""
            say(f"{r.platform}: no supply chain left at confidence ≥ {r.confidence.value} "
                f"(breaks where {shown}{more})", err=False)


def _nothing(message: str, fmt: Format) -> bool:
    """Say ``message`` on stderr for a table; JSON and CSV get their empty forms."""
    if fmt is Format.TABLE:
        say(message)
        return True
    if fmt is Format.JSON:
        print("[]")
        return True
    return False


def _run(ctx: typer.Context, command: str, query: Callable[..., list[Any]], first: str, *,
         as_of: str | None, k: int, min_confidence: Confidence | None, fmt: Format | None
         ) -> tuple[list[Any], Format, Any]:
    """Answer ``command`` with its one public ``query`` (``first`` the predicate or the
    node), on the graph or, with ``--backend neo4j``, on the server (the query dispatches
    on the handle it is given); the answers, the format and the date."""
    from oretrace.graphmodel import parse_date

    st = state(ctx)
    day = parse_date(as_of)
    with st.query_graph(command) as graph:
        found = query(graph, first, as_of=day, k=k, min_confidence=min_confidence)
    return found, st.format(fmt), day


def _show(found: list[Any], status: str, row: Callable[[Any], dict[str, Any]], out: Format,
          *, nothing: str, title: str, floor: Any) -> None:
    """Print ``exposed`` / ``where-used`` answers: JSON as they are, CSV one ``row`` each, a
    table the answers of ``status`` and a line per product with no chain at the ``floor``;
    ``nothing`` says there are none."""
    import pandas as pd

    if not found and _nothing(nothing, out):
        return
    if out is Format.JSON:
        emit(found, out)
        return
    rows = [row(r) for r in found if out is Format.CSV or r.status == status]
    if rows:
        emit(pd.DataFrame(rows).drop(columns=[] if out is Format.CSV else ["status", "gaps"]),
             out, title=title)
    elif out is Format.TABLE:
        say(f"{nothing} at confidence ≥ {floor}", err=False)
    _say_no_chain(found, out)


def content_rows(result: ContentShare) -> list[dict[str, Any]]:
    """``content`` as one CSV table: the headline row (``row`` = product), then one row per
    element (``row`` = element), every field of both in its own column (blank where a
    field belongs to the other kind of row)."""
    head = result.model_dump(mode="json", exclude={"elements"})
    common = {k: head[k] for k in ("product", "name", "origin", "by", "as_of")}
    rows: list[dict[str, Any]] = [{"row": "product", **head}]
    for r in result.elements:
        rows.append({"row": "element", **common, **r.model_dump(mode="json")})
    columns = list(dict.fromkeys(k for row in rows for k in row))
    return [{c: row.get(c) for c in columns} for row in rows]


def _sampled_content(G: Any, product: str, by: str, origin: str, element: str | None,
                     day: Any, samples: int, seed: int, out: Format) -> None:
    """``content --samples``: the distribution of the share, a progress bar on slow draws."""
    from tqdm import tqdm

    from oretrace.queries.sampling import sample_content

    def bar(steps: Any) -> Any:
        return tqdm(steps, desc="samples", unit="draw", disable=None, leave=False)

    r = sample_content(G, product, samples=samples, seed=seed, by=by, origin=origin,
                       element=element, as_of=day, progress=bar)
    d = r.distribution
    if out is not Format.TABLE:
        emit(r.model_dump(mode="json", exclude={"values"}) if out is Format.JSON else
             [{"product": r.product, "by": r.by, "low": r.low, "high": r.high,
               **d.model_dump(mode="json", exclude={"figures", "what"})}], out)
        return
    emit({"product": r.product, "origin": r.origin, "by": r.by, "samples": d.samples,
          "seed": d.seed, "point": _pct(d.point), "mean": _pct(d.mean), "p5": _pct(d.p5),
          "p50": _pct(d.p50), "p95": _pct(d.p95),
          "exact bounds": f"{_pct(r.low)} .. {_pct(r.high)}"}, out,
         title=f"{d.what}: {d.samples} draws of {len(d.figures)} ranged figure(s)")
    if d.figures:
        say(f"drawn uniformly within their ranges: {', '.join(d.figures)}")


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
    from oretrace.queries.exposure import find_exposed

    found, out, day = _run(ctx, "exposed", find_exposed, through.value, as_of=as_of,
                           k=paths, min_confidence=min_confidence, fmt=fmt)
    _show(found, "exposed", lambda e: {
        "platform": e.platform, "status": e.status, "through": e.through,
        "confidence": e.confidence, "paths": _paths(e.paths, out),
        "path_confidence": e.path_confidence, "gaps": _gaps(e.gaps, out)}, out,
        nothing=f"no platform's supply reaches {through.value} as of {day}",
        title=f"Exposed through {through.value} as of {day}", floor=min_confidence)


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
    from oretrace.queries.exposure import find_where_used

    found, out, day = _run(ctx, "where-used", find_where_used, node, as_of=as_of, k=paths,
                           min_confidence=min_confidence, fmt=fmt)
    _show(found, "depends", lambda d: {
        "platform": d.platform, "status": d.status, "via": d.via,
        "confidence": d.confidence, "paths": _paths(d.paths, out),
        "gaps": _gaps(d.gaps, out)}, out,
        nothing=f"no platform depends on {node} as of {day}",
        title=f"Platforms depending on {node} as of {day}", floor=min_confidence)


def trace_cmd(ctx: typer.Context,
              platform: Annotated[str, typer.Argument(help="A platform or product id.")],
              through: Annotated[Through, typer.Option(
                  "--through", help="Which nodes to mark.")] = Through.ANY,
              as_of: AsOfOption = None,
              min_confidence: MinConfidenceOption = None,
              fmt: FormatOption = None) -> None:
    """Show a platform's whole upstream supply tree by stage, matched nodes marked."""
    from oretrace.graphmodel import parse_date
    from oretrace.queries.exposure import trace

    st = state(ctx)
    out = st.format(fmt)
    day = parse_date(as_of)
    tree = trace(st.graph(), platform, predicate=through.value, as_of=day,
                 min_confidence=min_confidence)
    if out is Format.TABLE:
        tree = tree.assign(match=tree["match"].map({True: "◆", False: ""}))
        tree = tree.drop(columns=["sources", "name"])
    emit(tree, out, title=f"{platform}: upstream as of {day} (◆ = {through.value})")


def content(ctx: typer.Context,
            product: Annotated[str | None, typer.Argument(
                help="A product id; without it, kg of each element per unit of every "
                     "platform.")] = None,
            element: Annotated[str | None, typer.Option(
                "--element", "-e", help="One element, e.g. Dy (default all rare earths).")]
            = None,
            by: Annotated[By, typer.Option("--by", help="mass or value.")] = By.MASS,
            origin: Annotated[str, typer.Option(
                "--origin", help="Origin country (ISO code).", callback=_country)] = "CN",
            as_of: AsOfOption = None,
            min_confidence: MinConfidenceOption = None,
            threshold: Annotated[float, typer.Option(
                "--threshold", min=0.0, max=1.0,
                help="Value-share line to test (MOFCOM No. 61: 0.001 = 0.1 %): crosses, "
                     "clear or undecided over the data's ranges.")] = 0.001,
            samples: Annotated[int, typer.Option(
                "--samples", min=0, help="Draw every ranged figure N times and report "
                "the share's percentiles (0: no sampling).")] = 0,
            seed: Annotated[int, typer.Option("--seed", help="Seed of the draws.")] = 0,
            fmt: FormatOption = None) -> None:
    """Share of a product's rare-earth content of Chinese origin, by mass or value.

    -f csv writes one table: the product's headline row, then a row per element.
    Bounds include the data's ranges (lo..hi prices, quantities, shares) and, by mass,
    untraced supply; --samples N --seed S adds the distribution of the share.
    """
    import pandas as pd

    from oretrace.graphmodel import parse_date
    from oretrace.queries.content import find_element_content, origin_share

    st = state(ctx)
    out = st.format(fmt)
    G = st.graph()
    if product is None:
        emit(find_element_content(G, min_confidence=min_confidence), out,
             title="Kilograms of each rare earth per unit")
        return
    day = parse_date(as_of)
    result = origin_share(G, product, origin=origin, element=element, by=by.value,
                          as_of=day, min_confidence=min_confidence, threshold=threshold)
    if samples:
        _sampled_content(G, result.product, by.value, origin, element, day, samples, seed,
                         out)
        return
    if out is not Format.TABLE:
        emit(result if out is Format.JSON else content_rows(result), out)
        return
    emit({"product": result.product, "origin": result.origin, "by": result.by,
          "element": result.element or "all rare earths", "share": _pct(result.share),
          "bounds": f"{_pct(result.share_low)} .. {_pct(result.share_high)}"
          if result.share_low is not None else "",
          "coverage": _pct(result.coverage), "kg_per_unit": f"{result.kg_per_unit:.4g}",
          "kg_range": f"{result.kg_per_unit_low:.4g} .. {result.kg_per_unit_high:.4g}"
          if result.ranges else "",
          "origin_value_usd": f"{result.value_usd:,.2f}",
          "value_share": _pct(result.value_share),
          "value_bounds": f"{_pct(result.value_share_low)} .. "
                          f"{_pct(result.value_share_high)}"
          if result.value_share_low is not None else "",
          f"value test (≥ {threshold * 100:g} %)": result.threshold_test or "",
          "confidence": result.confidence},
         out, title=f"{result.product}: {result.origin}-origin content as of {day}")
    emit(pd.DataFrame([{"element": r.element, "kg_per_unit": f"{r.kg_per_unit:.4g}",
                        "mass_share": _pct(r.mass_share), "coverage": _pct(r.coverage),
                        "origin_kg": "" if r.origin_kg is None else f"{r.origin_kg:.4g}",
                        "origin_value_usd": f"{r.value_usd:,.2f}",
                        "value_share": _pct(r.value_share)} for r in result.elements]),
         out, title="By element (value: origin items containing the element)")
    if result.ranges:
        emit(pd.DataFrame([{"line": f"{r.product} <- {r.input}", "qty": f"{r.qty:.4g}",
                            "low": f"{r.qty_low:.4g}", "low_reading": r.low_reading or "",
                            "high": f"{r.qty_high:.4g}", "high_reading": r.high_reading or "",
                            "confidence": r.confidence} for r in result.ranges]),
             out, title="Ranged quantities (content uses the midpoint; kg_range the ends)")
    if result.ranged_figures:
        say("bounds span the ranged figures: " + ", ".join(result.ranged_figures))
    for note in result.notes:
        say(f"note: {note}")


def register(app: typer.Typer) -> None:
    """Add exposed, where-used, trace and content to ``app``."""
    app.command()(exposed)
    app.command("where-used")(where_used)
    app.command("trace")(trace_cmd)
    app.command()(content)
