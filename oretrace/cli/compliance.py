"""Commands of the compliance family: shipments, compliance, rules (DESIGN §3b, §4)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from oretrace.cli import AsOfOption, FormatOption, MinConfidenceOption, emit, state
from oretrace.cli._output import Format
from oretrace.graphmodel.vocab import Confidence

if TYPE_CHECKING:
    import datetime as dt

__all__ = ["register"]

_T = TypeVar("_T")


class Assume(StrEnum):
    """How to read a rule's status after the last recorded day (its ``known_until``)."""

    LAPSED = "lapsed"
    EXTENDED = "extended"


AssumeOption = Annotated[Assume, typer.Option(
    "--assume", help="After a rule's recorded status ends (known_until): lapsed (default: a "
                     "suspension whose end passed has lapsed) or extended (it runs on). Rows "
                     "resting on it say assumed-in-force / assumed-suspended.")]
PlatformArgument = Annotated[str, typer.Argument(help="A platform (or product) id.")]


def _pct(x: float | None) -> str:
    return "" if x is None or x != x else f"{x * 100:.3g} %"


def _ask(ctx: typer.Context, fmt: Format | None, query: Callable[..., _T], *args: str,
         as_of: str | None, assume: Assume, min_confidence: Confidence | None
         ) -> tuple[Format, dt.date, _T]:
    """The output format, the date and ``query``'s answer on the graph with the options."""
    from oretrace.graphmodel.timeslice import parse_date

    st = state(ctx)
    out = st.format(fmt)
    day = parse_date(as_of)
    return out, day, query(st.graph(), *args, as_of=day, assume=assume.value,
                           min_confidence=min_confidence)


def shipments(ctx: typer.Context, platform: PlatformArgument,
              as_of: AsOfOption = None, assume: AssumeOption = Assume.LAPSED,
              min_confidence: MinConfidenceOption = None,
              fmt: FormatOption = None) -> None:
    """List the shipments on a platform's supply that need a licence or would be denied.

    One row per shipment (a needed supply link across a border) and rule that bites.
    """
    import pandas as pd

    from oretrace.queries.shipments import SHIPMENT_COLUMNS, shipment_verdicts

    out, day, rows = _ask(ctx, fmt, shipment_verdicts, platform, as_of=as_of,
                          assume=assume, min_confidence=min_confidence)
    if out is Format.JSON:
        emit(rows, out)
        return
    table = pd.DataFrame([{c: getattr(r, c) for c in SHIPMENT_COLUMNS} for r in rows],
                         columns=list(SHIPMENT_COLUMNS))
    if out is Format.TABLE:
        table = table.assign(value_share=table["value_share"].map(_pct)).drop(
            columns=["sources", "kind"])
    emit(table, out, title=f"{platform}: shipments a rule bites on, as of {day} "
                           f"(assume {assume.value})")


def compliance(ctx: typer.Context, platform: PlatformArgument,
               as_of: AsOfOption = None, assume: AssumeOption = Assume.LAPSED,
               min_confidence: MinConfidenceOption = None,
               fmt: FormatOption = None) -> None:
    """What the rules say of a platform's supply: shipments by verdict, whether it stays
    supplied if they stop, procurement verdicts (waivers named), technology flags."""
    import pandas as pd

    from oretrace.queries.compliance import check_compliance

    out, day, answer = _ask(ctx, fmt, check_compliance, platform, as_of=as_of,
                            assume=assume, min_confidence=min_confidence)
    if out is Format.JSON:
        emit(answer, out)
        return
    summary = {
        "platform": answer.platform, "as_of": answer.as_of, "assume": answer.assume,
        "shipments_by_verdict": answer.by_verdict, "supplied": answer.supplied,
        "supplied_if_denied_stop": answer.supplied_if_denied_stop,
        "lose_supply_if_denied_stop": answer.lose_supply_if_denied_stop,
        "supplied_if_licences_refused": answer.supplied_if_licences_refused,
        "lose_supply_if_licences_refused": answer.lose_supply_if_licences_refused}
    if out is Format.CSV:
        emit(pd.DataFrame([{"section": "procurement", **p.model_dump(mode="json")}
                           for p in answer.procurement]
                          + [{"section": "technology", **f.model_dump(mode="json")}
                             for f in answer.technology_flags]), out)
        return
    emit(summary, out, title=f"{answer.platform}: compliance as of {day}")
    emit(pd.DataFrame([{"rule": p.rule, "verdict": p.verdict, "clause": p.clause,
                        "waiver": p.waiver, "exception": p.exception,
                        "evidence": p.evidence, "status": p.status,
                        "confidence": p.confidence} for p in answer.procurement],
                      columns=["rule", "verdict", "clause", "waiver", "exception",
                               "evidence", "status", "confidence"]),
         out, title="Procurement verdicts of the delivered platform")
    if answer.technology_flags:
        emit(pd.DataFrame([{"facility": f.facility, "country": f.country,
                            "technology": f.technology, "rule": f.rule,
                            "verdict": f.verdict, "status": f.status,
                            "confidence": f.confidence}
                           for f in answer.technology_flags]),
             out, title="Technology-licence flags on facilities")


def rules(ctx: typer.Context,
          as_of: AsOfOption = None, assume: AssumeOption = Assume.LAPSED,
          min_confidence: MinConfidenceOption = None,
          fmt: FormatOption = None) -> None:
    """List the rules with their windows, suspensions and status as of a date."""
    from oretrace.queries.compliance import list_rules

    out, day, table = _ask(ctx, fmt, list_rules, as_of=as_of, assume=assume,
                           min_confidence=min_confidence)
    if out is Format.TABLE:
        table = table[["rule", "instrument", "kinds", "effective", "until", "suspensions",
                       "known_until", "status", "assumption", "confidence"]]
    emit(table, out, title=f"Rules as of {day} (suspension ends inclusive; after "
                           f"known_until, assume {assume.value})")


def register(app: typer.Typer) -> None:
    """Add shipments, compliance and rules to ``app``."""
    app.command("shipments")(shipments)
    app.command("compliance")(compliance)
    app.command("rules")(rules)
