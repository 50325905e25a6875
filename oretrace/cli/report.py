"""Commands of the report family: ``plot KIND`` (one figure to a file) and ``report`` (HTML)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from oretrace.cli import AsOfOption, state
from oretrace.cli._output import check_writable, say, writing

__all__ = ["register"]

#: Years ``plot timeline`` can draw (a year is drawn to 1 January of the next).
FIRST_YEAR, LAST_YEAR = 1, 9998

#: File types ``plot --out`` writes.
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


class PlotKind(StrEnum):
    """The figures ``plot`` draws."""

    FLOW = "flow"
    CONCENTRATION = "concentration"
    EXPOSURE = "exposure"
    CHOKEPOINTS = "chokepoints"
    TIMELINE = "timeline"
    SENSITIVITY = "sensitivity"


class Level(StrEnum):
    """What chokepoints are grouped by."""

    FACILITY = "facility"
    COMPANY = "company"
    COUNTRY = "country"




def plot(ctx: typer.Context,
         kind: Annotated[PlotKind, typer.Argument(
             metavar="KIND",
             help="flow (one platform's supply), concentration, exposure (matrix), "
                  "chokepoints, timeline or sensitivity (tornado of the ranged figures "
                  "moving one platform's CN-origin value share).")],
         out: Annotated[Path, typer.Option(
             "--out", "-o", help="Output file: .png, .svg or .pdf.", dir_okay=False)],
         platform: Annotated[list[str] | None, typer.Option(
             "--platform", "-p",
             help="Platform (flow: exactly one; exposure, chokepoints: any number; "
                  "default all).")] = None,
         as_of: AsOfOption = None,
         level: Annotated[Level, typer.Option(
             "--level", help="chokepoints: facility, company or country.")] = Level.FACILITY,
         first_year: Annotated[int, typer.Option(
             "--from", min=FIRST_YEAR, max=LAST_YEAR, help="timeline: first year.")] = 2024,
         last_year: Annotated[int, typer.Option(
             "--to", min=FIRST_YEAR, max=LAST_YEAR, help="timeline: last year.")] = 2030,
         ) -> None:
    """Draw one figure and write it to --out (PNG, SVG or PDF)."""
    if out.suffix.lower() not in FIGURE_SUFFIXES:
        raise typer.BadParameter(f"write {', '.join(FIGURE_SUFFIXES)}, not {out.name!r}",
                                 param_hint="--out")
    from oretrace.graphmodel import QueryError, parse_date
    from oretrace.queries.plots import (
        plot_chokepoints,
        plot_concentration,
        plot_exposure_matrix,
        plot_supply_flow,
        plot_timeline,
    )

    check_writable(out)
    day = parse_date(as_of)
    G = state(ctx).graph()
    if kind is PlotKind.FLOW:
        if not platform or len(platform) != 1:
            raise typer.BadParameter("flow draws one platform: give exactly one --platform",
                                     param_hint="--platform")
        fig = plot_supply_flow(G, platform[0], as_of=day)
    elif kind is PlotKind.CONCENTRATION:
        fig = plot_concentration(G, as_of=day)
    elif kind is PlotKind.EXPOSURE:
        fig = plot_exposure_matrix(G, as_of=day, platforms=platform or None)
    elif kind is PlotKind.CHOKEPOINTS:
        fig = plot_chokepoints(G, level=level.value, as_of=day, platforms=platform or None)
    elif kind is PlotKind.SENSITIVITY:
        from oretrace.queries.sensitivity import content_sensitivity, plot_sensitivity

        if not platform or len(platform) != 1:
            raise typer.BadParameter("sensitivity draws one platform: give exactly one "
                                     "--platform", param_hint="--platform")
        fig = plot_sensitivity(content_sensitivity(G, platform[0], as_of=day))
    else:
        if last_year < first_year:
            raise QueryError(f"--to {last_year} is before --from {first_year}")
        fig = plot_timeline(G, years=range(first_year, last_year + 1), as_of=day)
    with writing(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format=out.suffix.lower().lstrip("."))
    say(f"wrote {out} ({kind.value}, as of {day.isoformat()})")


def report(ctx: typer.Context,
           out: Annotated[Path, typer.Option(
               "--out", "-o", help="Output HTML file.", dir_okay=False)],
           platform: Annotated[list[str] | None, typer.Option(
               "--platform", "-p", help="Platform to brief on (repeat; default all).")
           ] = None,
           as_of: AsOfOption = None,
           paths: Annotated[int, typer.Option(
               "--paths", "-k", min=1, help="Witness paths per exposure.")] = 3,
           ) -> None:
    """Write the planner's briefing: one self-contained HTML page with figures inlined."""
    from oretrace.graphmodel import parse_date
    from oretrace.queries.report import render_report

    check_writable(out)
    day = parse_date(as_of)
    page = render_report(state(ctx).graph(), platforms=platform or None, as_of=day, k=paths)
    with writing(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    say(f"wrote {out} ({len(page) / 1e6:.1f} MB, as of {day.isoformat()})")


def brief(ctx: typer.Context,
          out: Annotated[Path | None, typer.Option(
              "--out", "-o", dir_okay=False,
              help="Output HTML file (default brief.html unless only --pdf is given).")
          ] = None,
          pdf: Annotated[Path | None, typer.Option(
              "--pdf", dir_okay=False,
              help="Also print the brief to this PDF (A4) with headless Chromium.")] = None,
          platform: Annotated[list[str] | None, typer.Option(
              "--platform", "-p", help="Platform to brief on (repeat; default all).")
          ] = None,
          as_of: AsOfOption = None,
          with_report: Annotated[bool, typer.Option(
              "--with-report", help="Also write the full report as report.html next to "
              "--out, and link it.")] = False,
          ) -> None:
    """Write the planner's brief: the whole portfolio on one page, bottom line first.

    One line per platform (supplied today / if China denies military end users / by when
    restored / Chinese-licence shipments / DFARS / top chokepoint, each with its
    confidence), then the five risks that matter most. It links report.html when that
    file sits next to it (--with-report writes it).
    """
    import tempfile

    from oretrace.graphmodel import parse_date
    from oretrace.queries._brief_html import print_pdf
    from oretrace.queries.brief import render_brief

    html_out = out if out is not None or pdf is not None else Path("brief.html")
    for path in (html_out, pdf):
        if path is not None:
            check_writable(path)
    day = parse_date(as_of)
    G = state(ctx).graph()
    chosen = platform or None
    full = html_out.parent / "report.html" if html_out is not None else None
    if full is not None and with_report:
        from oretrace.queries.report import render_report

        check_writable(full)
        text = render_report(G, platforms=chosen, as_of=day)
        with writing(full):
            full.parent.mkdir(parents=True, exist_ok=True)
            full.write_text(text, encoding="utf-8")
        say(f"wrote {full} (the full report, as of {day.isoformat()})")
    link = "report.html" if full is not None and full.is_file() \
        and html_out is not None and html_out.name != full.name else None
    page = render_brief(G, as_of=day, platforms=chosen, report=link)
    with tempfile.TemporaryDirectory(prefix="oretrace-brief-") as tmp:
        target = html_out if html_out is not None else Path(tmp) / "brief.html"
        with writing(target):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page, encoding="utf-8")
        if html_out is not None:
            say(f"wrote {html_out} (as of {day.isoformat()})")
        if pdf is not None:
            with writing(pdf):
                pages = print_pdf(target, pdf)
            say(f"wrote {pdf} ({pages} page{'s' if pages != 1 else ''}, A4)")


def register(app: typer.Typer) -> None:
    """Add plot and report to ``app``."""
    app.command("plot")(plot)
    app.command("report")(report)
    app.command("brief")(brief)
