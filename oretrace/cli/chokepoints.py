"""Commands of the chokepoints family: chokepoints, cut, scenario, concentration, diff."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypedDict, Unpack

import typer

from oretrace.cli import FormatOption, emit, state
from oretrace.cli._output import Format, echo, say
from oretrace.graphmodel._keywords import Default, unpacked_options
from oretrace.queries._vocab import LEVELS, POLICY_SUMMARIES

if TYPE_CHECKING:
    from oretrace.queries._feasibility_scenario import ScenarioOptions
    from oretrace.queries.capacity import Shortfall
    from oretrace.queries.scenarios import Blockage

__all__ = ["register"]

_POLICY_HELP = "Apply rules of the data as failed links, as of the date (see the list above)."
_POLICIES = "\n\n".join(f"Policy {name}: {summary}."
                         for name, summary in POLICY_SUMMARIES.items())

AsOf = Annotated[str | None, typer.Option(
    "--as-of", metavar="DATE", help="Date (YYYY-MM-DD); default today.")]
Fail = Annotated[list[str] | None, typer.Option(
    "--fail", metavar="ID", help="What fails: a facility ID, company:ID or country:CC "
    "(repeatable). A market fails only when named by its ID.")]
PolicyOpt = Annotated[str | None, typer.Option("--policy", metavar="NAME", help=_POLICY_HELP)]
Subs = Annotated[bool, typer.Option(
    "--substitutions", help="Let substitute inputs (SmCo for NdFeB grades, Dy-lean grades, "
    "recycled feed, ...) stand in; each one used is flagged.")]


class ScenarioArgs(TypedDict, total=False):
    """The scenario's options on the command line, written once for every command that
    takes a scenario (the queries' ``ScenarioOptions``); read by :func:`scenario_of`."""

    as_of: Annotated[AsOf, Default(None)]
    fail: Annotated[Fail, Default(None)]
    policy: Annotated[PolicyOpt, Default(None)]
    substitutions: Annotated[Subs, Default(False)]


def scenario_of(args: ScenarioArgs) -> ScenarioOptions:
    """The queries' scenario from a command's options: the policy checked, no ``--fail``
    read as nothing failing."""
    _check(policy=args["policy"])
    return {"fail": args["fail"] or (), "as_of": args["as_of"], "policy": args["policy"],
            "substitutions": args["substitutions"]}


Level = Annotated[str, typer.Option(
    "--level", metavar="LEVEL", help=f"Group by {', '.join(LEVELS)}. Markets (pools standing "
    "in for unknown links) belong to no group at any level: never ranked or cut, their "
    "suppliers are. A facility with no recorded country is in no country group: it counts "
    "under its suppliers' countries.")]


def _check(level: str | None = None, policy: str | None = None) -> None:
    if level is not None and level not in LEVELS:
        raise typer.BadParameter(f"choose {', '.join(LEVELS)}", param_hint="--level")
    if policy is not None and policy not in POLICY_SUMMARIES:
        raise typer.BadParameter(f"choose {', '.join(POLICY_SUMMARIES)}", param_hint="--policy")


def _figure(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return "not computable"
    return f"{lo:,.6g}" if abs(hi - lo) < 1e-9 else f"{lo:,.6g}–{hi:,.6g}"


def _pair(value: object) -> str:
    if isinstance(value, tuple | list) and len(value) == 2:
        return _figure(value[0], value[1])
    return "no consumer in the chain"


def _blockage(b: Blockage) -> str:
    if not b.product:
        return f"{b.facility} {b.cause}" if b.facility else b.cause
    who = f" ({', '.join(b.suppliers)})" if b.suppliers else ""
    return f"{b.facility} lacks {b.product}: {b.cause}{who}"


def _shortfall_rows(rows: list[Shortfall]) -> list[dict[str, Any]]:
    """Computable rows; a platform's row only where it differs from all platforms'."""
    overall = {r.product: (r.demand, r.supply_min, r.supply_max) for r in rows
               if r.platform is None}
    rows = [r for r in rows if r.platform is None
            or overall.get(r.product) != (r.demand, r.supply_min, r.supply_max)]
    return [{"product": r.product, "platform": r.platform or "(all)", "unit": r.unit,
             "demand": _figure(r.demand, r.demand),
             "supply": _figure(r.supply_min, r.supply_max),
             "shortfall": _figure(r.shortfall_min, r.shortfall_max),
             "baseline shortfall": _figure(r.baseline_shortfall_min, r.baseline_shortfall_max),
             "rests on": r.rests_on, "sources": r.sources, "confidence": r.confidence}
            for r in rows if r.computable]


def _sampled_shortfall(G: Any, scenario: ScenarioOptions, samples: int, seed: int
                       ) -> list[Any]:
    """``scenario --samples``: sampled shortfalls of all platforms together, with a bar."""
    from tqdm import tqdm

    from oretrace.queries.sampling import sample_shortfall

    def bar(steps: Any) -> Any:
        return tqdm(steps, desc="samples", unit="draw", disable=None, leave=False)

    return sample_shortfall(G, samples=samples, seed=seed, progress=bar, **scenario)


def _sample_rows(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"product": r.product, "unit": r.unit, "exact": _figure(r.low, r.high),
             "p5": f"{r.shortfall.p5:,.6g}", "p50": f"{r.shortfall.p50:,.6g}",
             "p95": f"{r.shortfall.p95:,.6g}", "mean": f"{r.shortfall.mean:,.6g}",
             "baseline p50": f"{r.baseline.p50:,.6g}",
             "increase p5..p95": f"{r.increase.p5:,.6g} .. {r.increase.p95:,.6g}"}
            for r in rows if r.high is None or r.low != r.high]


@unpacked_options
def chokepoints(
    ctx: typer.Context,
    platform: Annotated[list[str] | None, typer.Option(
        "--platform", help="Only these platforms (repeatable); default all.")] = None,
    level: Level = "facility",
    top: Annotated[int | None, typer.Option(
        "--top", min=1, help="Show the first N (and any row tied with the Nth).")] = None,
    include_trivial: Annotated[bool, typer.Option(
        "--include-trivial", help="Also list each platform's own final assembly, its "
        "operating company and its country (their loss stops it by definition).")] = False,
    fmt: FormatOption = None,
    **scenario: Unpack[ScenarioArgs],
) -> None:
    """Rank facilities, companies or countries by the platforms their loss alone stops."""
    from oretrace.queries.chokepoints import rank_chokepoints

    _check(level)
    chosen = scenario_of(scenario)
    st = state(ctx)
    table = rank_chokepoints(st.graph(), level=level, platforms=platform, top=top,
                             include_trivial=include_trivial, **chosen)
    out = st.format(fmt)
    unsupplied = table.attrs.get("unsupplied", [])
    if unsupplied:
        say(f"not supplied in this scenario (no single point applies): "
            f"{', '.join(unsupplied)}")
    if out is Format.TABLE:
        drop = ["members", "note", "ranked_by", "level"]
        table = table.drop(columns=drop + ([] if include_trivial else ["trivial_for"]))
    emit(table, out, title=f"Single points of failure by {level}, as of "
                           f"{table.attrs.get('as_of')}")
    if out is Format.TABLE:
        echo(f"ranked by {table.attrs.get('measure')}")


@unpacked_options
def cut(
    ctx: typer.Context,
    platform: Annotated[str, typer.Argument(help="Platform id, e.g. F-35.")],
    level: Level = "facility",
    protect: Annotated[list[str] | None, typer.Option(
        "--protect", help="Group that may not be cut (repeatable); default: the "
        "platform's own assembly (its facility, company or country).")] = None,
    no_protect: Annotated[bool, typer.Option(
        "--no-protect", "--include-trivial",
        help="Protect nothing, not even the assembly (trivial cuts allowed).")] = False,
    alternatives: Annotated[int, typer.Option(
        "--alternatives", min=0, metavar="N",
        help="Also list up to N other cuts of the same minimum size.")] = 3,
    fmt: FormatOption = None,
    **scenario: Unpack[ScenarioArgs],
) -> None:
    """Find the fewest facilities, companies or countries whose joint loss stops PLATFORM."""
    from oretrace.queries.chokepoints import find_smallest_cut

    _check(level)
    chosen = scenario_of(scenario)
    st = state(ctx)
    shield = () if no_protect else protect
    result = find_smallest_cut(st.graph(), platform, level=level, protect=shield,
                               alternatives=alternatives, **chosen)
    out = st.format(fmt)
    if out is not Format.TABLE:
        emit(result, out)
        return
    levels = [result.confidence, *result.alternatives_confidence]
    emit([{"cut": ", ".join(nodes) or "(none)", "size": len(nodes) or None,
           "confidence": levels[i], "note": result.note
           if i == 0 else "another cut of the same size"}
          for i, nodes in enumerate([result.nodes, *result.alternatives])], out,
         title=f"Smallest cut of {platform} by {level}, as of {result.as_of}")
    echo(f"exact: {result.exact} ({result.method}); lower bound {result.lower_bound}; "
         f"protected: {', '.join(result.protected) or 'nothing'}")
    if result.sources:
        echo(f"sources of the first cut: {', '.join(result.sources)}")


@unpacked_options
def scenario(
    ctx: typer.Context,
    shortfall: Annotated[bool, typer.Option(
        "--shortfall/--no-shortfall", help="Compute the capacity shortfall.")] = True,
    per_platform: Annotated[bool, typer.Option(
        "--per-platform/--all-platforms",
        help="Shortfall per platform too, or only for all platforms together.")] = True,
    samples: Annotated[int, typer.Option(
        "--samples", min=0, help="Draw every ranged capacity and quantity N times and "
        "report the shortfall's percentiles, with and without the scenario on the same "
        "draws (0: no sampling).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws.")] = 0,
    fmt: FormatOption = None,
    **args: Unpack[ScenarioArgs],
) -> None:
    """Which platforms keep supply when facilities, companies or countries fail, and
    with what capacity shortfall (t/yr), each figure with its sources."""
    from oretrace.queries.scenarios import simulate_scenario

    chosen = scenario_of(args)
    if samples and not shortfall:
        raise typer.BadParameter("sampling draws the shortfall: drop --no-shortfall",
                                 param_hint="--samples")
    st = state(ctx)
    result = simulate_scenario(st.graph(), shortfall=shortfall, per_platform=per_platform,
                               **chosen)
    out = st.format(fmt)
    sampled = _sampled_shortfall(st.graph(), chosen, samples, seed) if samples else None
    if out is not Format.TABLE:
        if sampled is not None:
            emit({"scenario": result, "samples": sampled} if out is Format.JSON else
                 _sample_rows(sampled), out)
            return
        emit(result if out is Format.JSON else [p.model_dump() for p in result.platforms],
             out)
        return
    what = ", ".join(result.fail) or "nothing"
    echo(f"Scenario as of {result.as_of}: {what} fails"
         f"{'; policy ' + result.policy.name if result.policy else ''}"
         f"{'; substitutions allowed' if result.substitutions_allowed else ''}")
    if result.policy:
        echo(f"policy: {result.policy.note}")
    echo(f"supplied: {', '.join(result.supplied) or 'none'}")
    lost = f" (lost in this scenario: {', '.join(result.lost)})" if result.lost else ""
    echo(f"unsupplied: {', '.join(result.unsupplied) or 'none'}{lost}")
    emit([{"platform": p.platform, "supplied": p.supplied,
           "without the scenario": p.baseline_supplied,
           "cut off because": [_blockage(b) for b in p.blocked_by],
           "sources": sorted({s for b in p.blocked_by for s in b.sources})}
          for p in result.platforms], out, title="Platforms")
    if result.substitutions:
        emit(result.substitutions, out, title="Substitutions used")
    rows = _shortfall_rows(result.shortfall)
    if rows:
        emit(rows, out, title="Capacity shortfall (t/yr, units/yr for counted items)")
    for r in result.shortfall:
        if r.computable and r.platform is None and r.note:
            echo(f"{r.product}: {r.note}")
    missing = sorted({r.product for r in result.shortfall
                      if not r.computable and r.platform is None})
    if missing:
        echo(f"shortfall not computable for lack of capacity data: {', '.join(missing)}")
    if result.data_gaps:
        echo(f"{len(result.data_gaps)} data gap(s); see --format json")
    if sampled is not None:
        emit(_sample_rows(sampled), out, title=f"Shortfall over {samples} draws of the "
             f"ranged capacities and quantities (seed {seed}; unknown capacities nil; "
             "scenario and baseline on the same draws)")


def concentration(
    ctx: typer.Context,
    stage: Annotated[str | None, typer.Option("--stage", help="Only this stage.")] = None,
    product: Annotated[str | None, typer.Option(
        "--product", help="Only this product.")] = None,
    as_of: AsOf = None,
    routes: Annotated[bool, typer.Option(
        "--routes/--no-routes", help="Count independent non-CN routes.")] = True,
    fmt: FormatOption = None,
) -> None:
    """Per stage and product: top country share, HHI, independent non-CN routes."""
    from oretrace.graphmodel.graph import get_node
    from oretrace.queries.concentration import find_concentration

    st = state(ctx)
    if product is not None:
        get_node(st.graph(), product, "product")
    table = find_concentration(st.graph(), stage=stage, product=product, as_of=as_of,
                               routes=routes)
    out = st.format(fmt)
    if out is Format.TABLE:
        table = table.drop(columns=["shares"])
    emit(table, out, title="Concentration by stage and product (capacity shares)")


@unpacked_options
def diff(
    ctx: typer.Context,
    vs: Annotated[str, typer.Option("--vs", help="The date to compare with.")],
    level: Level = "facility",
    shortfall: Annotated[bool, typer.Option(
        "--shortfall/--no-shortfall", help="Compare capacity shortfalls.")] = True,
    answers: Annotated[bool, typer.Option(
        "--answers/--no-answers", help="Compare shipments and procurement verdicts "
        "(read without the scenario's failures).")] = True,
    fmt: FormatOption = None,
    **scenario: Unpack[ScenarioArgs],
) -> None:
    """What changed between --as-of and --vs, in the data and in the answers."""
    from oretrace.queries.scenarios import diff_scenarios

    _check(level)
    chosen = scenario_of(scenario)
    st = state(ctx)
    result = diff_scenarios(st.graph(), vs=vs, level=level, shortfall=shortfall,
                            answers=answers, **chosen)
    out = st.format(fmt)
    if out is not Format.TABLE:
        emit(result, out)
        return
    echo(f"{', '.join(result.fail) or 'nothing'} fails; {result.as_of} → {result.vs}")
    emit([{"change": f"facility {e.what.split(':')[0]}", "subject": e.node,
           "date": e.date or "", "what": e.what, "confidence": e.confidence,
           "sources": e.sources}
          for e in result.facilities_online + result.facilities_offline]
         + [{"change": c.kind, "subject": c.subject, "date": c.date or "",
             "what": c.what, "confidence": c.confidence, "sources": c.sources}
            for c in result.links]
         or [{"change": "none"}], out, title="Data: facilities and links")
    emit([{"rule": r.rule, "status": f"{r.before} → {r.after}",
           "events": [f"{e.date} {e.what}" for e in r.events],
           "confidence": r.confidence, "sources": r.sources} for r in result.rules]
         or [{"rule": "none"}], out, title="Data: rules")
    changes = [{"platform": c.platform, "change": c.change,
                "because": [f"{e.node}: {e.what}" for e in c.because],
                "sources": sorted({s for e in c.because for s in e.sources})}
               for c in result.newly_supplied + result.newly_unsupplied]
    emit(changes or [{"platform": "", "change": "no platform changes supply"}], out,
         title="Answers: supply")
    if result.still_unsupplied:
        echo(f"still unsupplied: {', '.join(result.still_unsupplied)}")
    if result.answers:
        emit([{"platform": a.platform, "question": a.question, "before": a.before,
               "after": a.after, "assumed rule status": a.assumed,
               "confidence": a.confidence} for a in result.answers], out,
             title="Answers: shipments and procurement (no failures applied)")
    emit([{"node": c.node, "change": c.change, "platforms": c.platforms}
          for c in (result.chokepoints_new + result.chokepoints_gone
                    + result.chokepoints_platform_lost)]
         or [{"node": "", "change": "none"}], out,
         title=f"Answers: single points of failure by {result.level} (trivial left out)")
    if result.shortfall:
        emit([{"product": s["product"], "unit": s["unit"],
               "before": _pair(s["before"]), "after": _pair(s["after"]),
               "sources": s["sources"]} for s in result.shortfall], out,
             title="Answers: shortfall changes (all platforms)")


def register(app: typer.Typer) -> None:
    """Add chokepoints, cut, scenario, concentration and diff to ``app``."""
    app.command("chokepoints",
                help="Rank facilities, companies or countries by the platforms their loss "
                     "alone stops: platforms stopped, then the yearly value and units of "
                     "their output stopped (build rates), then confidence; equal rows share "
                     "a rank. A platform's own final assembly, its company and its country "
                     "are left out unless --include-trivial.\n\n" + _POLICIES)(chokepoints)
    app.command("cut",
                help="Find the fewest facilities, companies or countries whose joint loss "
                     "stops PLATFORM.\n\n" + _POLICIES)(cut)
    app.command("scenario",
                help="Which platforms keep supply when facilities, companies or countries "
                     "fail, and with what capacity shortfall (t/yr), each figure with its "
                     "sources.\n\n" + _POLICIES)(scenario)
    app.command("concentration")(concentration)
    app.command("diff",
                help="What changed between --as-of and --vs: in the data (facilities "
                     "online or offline, links started or ended, ownership, rule events) "
                     "and in the answers (supply, shipments needing a licence or denied, "
                     "procurement verdicts, single points of failure; those that vanish "
                     "because their platform is lost say so).\n\n" + _POLICIES)(diff)
