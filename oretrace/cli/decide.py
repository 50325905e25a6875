"""The ``decide`` command: the unverified links whose removal alone changes an answer."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oretrace.cli import FormatOption, emit, state
from oretrace.cli._output import Format, say
from oretrace.cli.compliance import Assume, AssumeOption
from oretrace.graphmodel.vocab import Confidence

if TYPE_CHECKING:
    from oretrace.queries.deciding import DecidingLinks

__all__ = ["register"]

#: The columns of a deciding-link row, in order.
COLUMNS = ("supplier", "buyer", "product", "confidence", "answer_before", "answer_after",
           "sources")


class QuestionChoice(StrEnum):
    """The answers whose deciding links ``decide`` finds."""

    SUPPLIED = "supplied"
    EXPOSED = "exposed"
    COMPLIANCE = "compliance"


def _answer(value: Any, fmt: Format) -> Any:
    """JSON: a boolean, or the compliance summary as a mapping; a table or CSV: one phrase."""
    if fmt is Format.JSON:
        return value if isinstance(value, bool) else value.model_dump(mode="json")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _headline(result: DecidingLinks) -> str:
    what = {"supplied": "supplied", "exposed": f"exposed through {result.through}",
            "compliance": "compliance answer"}[result.question]
    return (f"{result.platform} {what} as of {result.as_of}: "
            f"{_answer(result.answer, Format.TABLE)} (confidence {result.confidence.value}); "
            f"{result.candidates} link(s) below {result.below.value} on its supply")


def register(app: typer.Typer) -> None:
    """Add ``decide`` to ``app``."""

    @app.command()
    def decide(
        ctx: typer.Context,
        platform: Annotated[str, typer.Argument(help="Platform id, e.g. Tomahawk.")],
        question: Annotated[QuestionChoice, typer.Option(
            "--question", help="supplied (under the scenario), exposed (through --through) "
                               "or compliance (the shipments' licences and denials, supply "
                               "if they stop, procurement).")] = QuestionChoice.SUPPLIED,
        through: Annotated[str, typer.Option(
            "--through", metavar="PRED", help="What exposed looks for: any, cn-processing, "
                                              "cn-owned, cn-technology, cn-mining.")] = "any",
        below: Annotated[Confidence, typer.Option(
            "--below", help="Ask about links strictly weaker than this level (default "
                            "reported: estimated and illustrative; documented adds reported "
                            "links).")] = Confidence.REPORTED,
        fail: Annotated[list[str] | None, typer.Option(
            "--fail", metavar="ID", help="supplied: what fails (facility ID, company:ID, "
                                         "country:CC; repeatable).")] = None,
        policy: Annotated[str | None, typer.Option(
            "--policy", metavar="NAME", help="supplied: apply a rule of the data as failed "
                                             "links (e.g. cn-denies-military).")] = None,
        substitutions: Annotated[bool, typer.Option(
            "--substitutions", help="supplied: let substitute inputs stand in.")] = False,
        assume: AssumeOption = Assume.LAPSED,
        as_of: Annotated[str | None, typer.Option(
            "--as-of", metavar="DATE", help="Date (YYYY-MM-DD); default today.")] = None,
        fmt: FormatOption = None,
    ) -> None:
        """List the links below a confidence level whose removal alone changes an answer.

        Each row gives the link, its confidence, and the answer with and without it.
        """
        from oretrace.queries.deciding import find_deciding_links

        st = state(ctx)
        out = st.format(fmt)
        result = find_deciding_links(st.graph(), platform, question=question.value,
                                     through=through, below=below, fail=fail or (),
                                     policy=policy, substitutions=substitutions,
                                     assume=assume.value, as_of=as_of)
        rows = [{"supplier": d.supplier, "buyer": d.buyer, "product": d.product,
                 "confidence": d.confidence.value,
                 "answer_before": _answer(d.answer_before, out),
                 "answer_after": _answer(d.answer_after, out), "sources": d.sources}
                for d in result.links]
        if out is Format.JSON:
            emit(rows, out)
            return
        if not rows:
            say(f"no single link below {result.below.value} changes the answer: "
                + _headline(result))
            if out is Format.TABLE:
                return
        else:
            say(_headline(result))
        import pandas as pd

        emit(pd.DataFrame(rows, columns=list(COLUMNS)), out,
             title=f"Links deciding {question.value} for {result.platform}")
