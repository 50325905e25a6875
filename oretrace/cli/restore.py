"""The ``restore`` command: by when the data's dated changes supply each lost platform again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Unpack

import typer

from oretrace.cli import FormatOption, emit, state
from oretrace.cli._output import Format, echo, say
from oretrace.cli.chokepoints import _POLICIES, ScenarioArgs, scenario_of
from oretrace.graphmodel._keywords import unpacked_options

if TYPE_CHECKING:
    from oretrace.queries.restore import Restoration

__all__ = ["register"]

Until = Annotated[str | None, typer.Option(
    "--until", metavar="DATE", help="Last date searched (YYYY-MM-DD); default the last date "
    "on which the data changes.")]


def _rows(results: list[Restoration]) -> list[dict[str, Any]]:
    """One flat row per platform (tables and CSV; JSON carries the full records)."""
    return [{"platform": r.platform, "lost on": r.lost_at,
             "restored on": r.restored_on or f"not by {r.until}",
             "brought back by": [f"{e.node}: {e.what}" for e in r.brought_back_by],
             "missing inputs": [m.product for m in r.missing_inputs],
             "confidence": r.confidence,
             "assumed rule status": "yes" if r.rests_on_assumption else "no",
             "sources": r.sources}
            for r in results]


def _explain(results: list[Restoration]) -> None:
    """Under the table: each missing input's sentence and each assumption, once."""
    sentences = {m.product: m.sentence for r in results for m in r.missing_inputs}
    for product, sentence in sorted(sentences.items()):
        echo(f"{product}: {sentence}")
    unlinked = [r.platform for r in results if r.restored_on is None and not r.missing_inputs]
    if unlinked:
        echo(f"{', '.join(unlinked)}: every input is made outside the failed set but none "
             "reaches the chain by a link in the data (see --format json, still_blocked)")
    assumed = dict.fromkeys(a for r in results for a in r.assumptions)
    for a in assumed:
        echo(f"assumed: {a}")


def register(app: typer.Typer) -> None:
    """Add ``restore`` to ``app``."""

    @app.command(help="By when is each platform that a scenario cuts off supplied again? "
                      "Walks the dates on which the data changes (facilities in service, "
                      "links starting, rule events) and names what brings each platform "
                      "back, or the inputs no facility outside the failed set makes.\n\n"
                      + _POLICIES)
    @unpacked_options
    def restore(
        ctx: typer.Context,
        platform: Annotated[list[str] | None, typer.Argument(
            help="Platform ids (default: every platform lost in the scenario).")] = None,
        until: Until = None,
        fmt: FormatOption = None,
        **args: Unpack[ScenarioArgs],
    ) -> None:
        """By when is each platform that a scenario cuts off supplied again?"""
        from oretrace.graphmodel import parse_date
        from oretrace.queries.restore import find_restore

        scenario = scenario_of(args)
        st = state(ctx)
        results = find_restore(st.graph(), platform or None, until=until, **scenario)
        out = st.format(fmt)
        day = parse_date(scenario["as_of"])
        kept = [p for p in dict.fromkeys(platform or []) if p not in {r.platform for r in results}]
        if results and kept:
            say(f"not lost in this scenario on {day}: {', '.join(kept)}")
        if not results:
            line = (f"no platform{' named' if platform else ''} is lost in this scenario "
                    f"on {day}")
            if out is Format.TABLE:
                echo(line)
            else:
                say(line)
                emit([], out)
            return
        if out is Format.JSON:
            emit(results, out)
            return
        what = ", ".join(scenario["fail"]) or "nothing"
        policy = args["policy"]
        title = (f"Lost on {day} ({what} fails{'; policy ' + policy if policy else ''}"
                 f"{'; substitutions allowed' if scenario['substitutions'] else ''}): "
                 f"supplied again by {results[0].until}?")
        rows = _rows(results)
        if out is Format.TABLE:  # sources are in CSV and JSON; empty columns say nothing
            empty = [k for k in ("brought back by", "missing inputs")
                     if not any(row[k] for row in rows)]
            for row in rows:
                for key in ("sources", *empty):
                    del row[key]
        emit(rows, out, title=title)
        if out is Format.TABLE:
            _explain(results)
