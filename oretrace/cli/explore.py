"""The ``explore`` command: a platform's supply network as an interactive HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oretrace.cli import state
from oretrace.cli._output import check_writable, say, writing

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``explore`` to ``app``."""

    @app.command()
    def explore(ctx: typer.Context,
                platform: Annotated[str, typer.Option(
                    "--platform", "-p", help="The platform (a product id, e.g. F-35).")],
                out: Annotated[Path, typer.Option(
                    "--out", "-o", help="Output HTML file.", dir_okay=False)],
                as_of: Annotated[str | None, typer.Option(
                    "--as-of", metavar="DATE",
                    help="The date the page opens on (YYYY-MM-DD; default today).")] = None,
                date: Annotated[list[str] | None, typer.Option(
                    "--date", metavar="DATE",
                    help="Offer this date in the page's date selector (repeatable). Default: "
                         "the dates on which the platform's network changes, at most 24 "
                         "nearest --as-of.")] = None,
                ) -> None:
        """Write a self-contained interactive page of a platform's supply network by stage.

        Pan and zoom, find a node by id or name, choose a date, and click a facility or a
        link to see its attributes, confidence and sources. The page needs no network to
        open: its scripts are inlined.
        """
        from oretrace.graphmodel import parse_date
        from oretrace.queries.explore import explore as build

        check_writable(out)
        day = parse_date(as_of)
        dates = [parse_date(d) for d in date] if date else None
        view = build(state(ctx).graph(), platform, as_of=day, dates=dates)
        with writing(out):
            out.parent.mkdir(parents=True, exist_ok=True)
            view.save(out)
        say(f"wrote {out} ({view.platform}: {len(view.nodes)} nodes, {view.links} links, "
            f"{len(view.dates)} dates, as of {day.isoformat()}; {len(view.html) / 1e6:.1f} MB)")
