"""The planner's briefing: one self-contained HTML page of verdicts, paths, chokepoints, sources.

:func:`render_report` reads the graph as of a date and writes, for each platform, the rule
verdicts (with the clause that fired and its evidence), the exposure witness paths
(Chinese processing, ownership, technology), the Chinese share of its rare-earth content
by mass and value, its single points of failure, and whether it keeps supply if China
denies military end users — every claim with its confidence — plus the overview figures
of :mod:`oretrace.queries.plots` and the sources as links. Figures are inlined as base64 PNG, there
is no script and no external resource, so the page opens anywhere and can be forwarded as
one file. Every string taken from the data is escaped (``html.escape``); source addresses
become links only when they are ``http(s)``.

Examples
--------
>>> from oretrace.loaders import load_dataset
>>> page = render_report(load_dataset(DATA / "compliance_mini"), as_of="2027-06-01",
...                      figures=False)
>>> "<title>oretrace briefing as of 2027-06-01</title>" in page
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
from matplotlib.figure import Figure
from oretrace.graphmodel import (
    OretraceError,
    QueryError,
    UnknownNodeError,
    nodes_of,
    parse_date,
    platforms as platform_ids,
    restrict,
    weakest,
)
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.vocab import NodeKind
from oretrace.queries._report_html import (
    _CSS,
    _anchor,
    _badge,
    _conf,
    _e,
    _figure,
    _path,
    _pct,
    _Sources,
    _table,
    _verdict,
)
from oretrace.queries.chokepoints import find_single_points_of_failure
from oretrace.queries.compliance import END_USERS, RuleVerdict, evaluate, list_rules
from oretrace.queries.content import origin_share
from oretrace.queries.exposure import find_exposed
from oretrace.queries.plots import (
    CN_COLOUR,
    EXPOSURE_COLUMNS,
    plot_chokepoints,
    plot_concentration,
    plot_exposure_matrix,
    plot_supply_flow,
    plot_timeline,
)
from oretrace.queries.predicates import controlled_companies
from oretrace.queries.scenarios import simulate_scenario

__all__ = ["render_report"]

def _verdict_rows(verdicts: Sequence[RuleVerdict], src: _Sources) -> list[list[str]]:
    return [[f"<b>{_e(v.rule)}</b><br>{_e(v.instrument)}", _verdict(v.verdict.value),
             _e(v.clause or ""), _e(v.evidence), _path(v.path), _e(v.status),
             _conf(v.confidence), src.links(v.sources)] for v in verdicts]


def _scenario_part(p: str, day: dt.date, status: Any, src: _Sources) -> list[str]:
    if status.supplied:
        line = "keeps supply"
    elif not status.baseline_supplied:
        line = "is not supplied even without the policy"
    else:
        line = "<b>loses supply</b>"
    rows = [[_e(b.facility), _e(b.product), _e(b.cause), _e(", ".join(b.suppliers)),
             _conf(b.confidence), src.links(b.sources)] for b in status.blocked_by]
    return [f"<p>If China denies military end users (policy "
            f"<code>cn-denies-military</code>, as of {_e(day)}), {_e(p)} {line}.</p>",
            _table(["blocked facility", "missing input", "cause", "suppliers lost",
                    "confidence", "sources"], rows)]


def _verdicts_part(G: nx.MultiDiGraph, p: str, day: dt.date, end_user: str,
                   src: _Sources) -> list[str]:
    verdicts = evaluate(G, p, as_of=day, end_user=end_user)
    return [f"<h3>Rule verdicts ({_e(end_user)} end user)</h3>",
            "<p>Export controls license shipments, not the platform: a shipment rule reads "
            "<code>shipments-denied</code> or <code>shipments-licensed</code> when a shipment "
            "on the supply is denied or needs a licence (<code>oretrace shipments</code> "
            "lists them), a technology rule <code>facilities-flagged</code>; a procurement "
            "rule reads the delivered platform (<code>waived</code> names the waiver). A "
            "status <code>assumed-…</code> rests on an assumed rule status (after the "
            "rule's last recorded date).</p>",
            _table(["rule", "verdict", "clause", "evidence", "path", "status", "confidence",
                    "sources"], _verdict_rows(verdicts, src)) or "<p>No rule.</p>"]


def _exposure_part(G: nx.MultiDiGraph, p: str, day: dt.date, k: int,
                   src: _Sources) -> list[str]:
    rows = []
    for column, pred in EXPOSURE_COLUMNS.items():
        found = find_exposed(G, pred, as_of=day, k=k, products=[p])
        if not found:
            rows.append([_e(column), _verdict("clear"), "", "", "", ""])
            continue
        e = found[0]
        paths = "<br>".join(f"{_path(path)} {_conf(level)}"
                            for path, level in zip(e.paths, e.path_confidence, strict=True))
        rows.append([_e(column), _verdict("exposed"), _e(", ".join(e.through)), paths,
                     _conf(e.confidence), src.links(e.sources)])
    return ["<h3>Exposure paths</h3>",
            _table(["through", "finding", "matching facilities upstream",
                    f"witness paths (up to {k}, strongest first)", "confidence",
                    "sources"], rows)]


def _share_part(G: nx.MultiDiGraph, p: str, day: dt.date, src: _Sources) -> list[str]:
    rows = []
    for by in ("mass", "value"):
        r = origin_share(G, p, origin="CN", by=by, as_of=day)
        if by == "mass":
            figure = _pct(r.share) + (f" (range {_pct(r.share_low)}–{_pct(r.share_high)}, "
                                      f"coverage {_pct(r.coverage)})"
                                      if r.share_low is not None and r.share_high is not None
                                      and abs(r.share_high - r.share_low) > 1e-9 else "")
            detail = f"{r.kg_per_unit:,.3f} kg rare earth per unit"
        else:
            figure = _pct(r.share)
            detail = (f"{r.value_usd:,.2f} $ of China-origin items per unit"
                      + (f" of {r.unit_price_usd:,.0f} $" if r.unit_price_usd else
                         " (no unit price: no value share)"))
        notes = "<br>".join(_e(n) for n in r.notes[:4]) if by == "value" else ""
        rows.append([_e(f"by {by}"), _e(figure), _e(detail) + (f"<br><small>{notes}</small>"
                                                              if notes else ""),
                     _conf(r.confidence), src.links(r.sources)])
    return ["<h3>Chinese share of the rare-earth content</h3>",
            _table(["share", "China-origin", "detail", "confidence", "sources"], rows)]


def _spof_part(G: nx.MultiDiGraph, p: str, day: dt.date) -> list[str]:
    cn_companies = controlled_companies(restrict(G, as_of=day), "CN")
    rows = []
    for level in ("facility", "company", "country"):
        [sp] = find_single_points_of_failure(G, level=level, platforms=[p], as_of=day)
        if not sp.supplied:
            rows.append([_e(level), "not supplied at this date", ""])
            continue
        cells = []
        levels = []
        for node in sp.nodes:
            fid = node.removeprefix("facility:")
            attrs = G.nodes.get(fid, {})
            conf = attrs.get("confidence") if attrs.get("kind") in {
                NodeKind.FACILITY, NodeKind.COMPANY} else None
            if conf:
                levels.append(conf)
            chinese = (node == "CN" if level == "country" and fid == node else
                       node in cn_companies if level == "company" and fid == node else
                       attrs.get("country") == "CN" or attrs.get("company") in cn_companies)
            mark = _badge("China", CN_COLOUR, "white") if chinese else ""
            cells.append(f"{_e(node)} {mark} {_conf(conf)}")
        rows.append([_e(level), "<br>".join(cells) or "none",
                     _conf(weakest(levels)) if levels else ""])
    return ["<h3>Single points of failure</h3>",
            _table(["level", "losing this alone stops the platform", "weakest"], rows)]


def _platform_section(G: nx.MultiDiGraph, p: str, day: dt.date, end_user: str, k: int,
                      figures: bool, scenario: dict[str, Any], src: _Sources) -> str:
    name = G.nodes[p].get("name") or p
    parts = [f'<section id="{_anchor("platform", p)}"><h2>{_e(p)} — {_e(name)}</h2>']
    parts.append(f"<p class=\"src\">Platform record: {_conf(G.nodes[p].get('confidence'))} "
                 f"{src.links(G.nodes[p].get('sources', []))}</p>")
    status = scenario.get(p)
    if status is not None:
        parts += _scenario_part(p, day, status, src)
    if figures:
        parts.append(_figure(plot_supply_flow(G, p, as_of=day), f"supply flow of {p}",
                             f"{p}: needed supply as of {day}, mines left; red nodes are in "
                             "China, purple marks Chinese-origin technology and its taint."))
    parts += _verdicts_part(G, p, day, end_user, src)
    parts += _exposure_part(G, p, day, k, src)
    parts += _share_part(G, p, day, src)
    parts += _spof_part(G, p, day)
    parts.append("</section>")
    return "".join(parts)


def _chosen(G: nx.MultiDiGraph, platforms: Iterable[str] | None, end_user: str,
            k: int) -> tuple[list[str], list[str]]:
    """Check the arguments; return every platform and the chosen ones."""
    if end_user not in END_USERS:
        raise QueryError(f"end user must be one of {', '.join(END_USERS)}, not {end_user!r}")
    if k < 1:
        raise QueryError(f"the number of witness paths must be at least 1, not {k}")
    known = platform_ids(G)
    chosen = list(platforms) if platforms is not None else known
    products = nodes_of(G, NodeKind.PRODUCT)
    for p in chosen:
        if p not in products:
            raise UnknownNodeError(p, known or products, "platform")
    if not chosen:
        raise QueryError("no platform to brief on")
    return known, chosen


def _policy(G: nx.MultiDiGraph, day: dt.date,
            problems: list[str]) -> tuple[dict[str, Any], str]:
    """The policy scenario per platform and whether it is in force (a failure goes to problems)."""
    scenario: dict[str, Any] = {}
    policy_line = ""
    if nodes_of(G, NodeKind.RULE):
        try:
            result = simulate_scenario(G, policy="cn-denies-military", as_of=day,
                                       shortfall=False)
        except OretraceError as exc:
            problems.append(f"the policy scenario (China denies military end users): {exc}")
        else:
            scenario = {s.platform: s for s in result.platforms}
            if result.policy is not None:
                policy_line = ("in force" if result.policy.in_force else
                               "not in force (no denying clause applies at this date)")
    return scenario, policy_line


def _head(G: nx.MultiDiGraph, heading: str, day: dt.date, end_user: str, known: list[str],
          briefed: list[str], unbriefed: dict[str, str]) -> list[str]:
    dataset = G.graph.get("dataset") or G.name or "dataset"
    body: list[str] = [
        f"<h1>{_e(heading)} — as of {_e(day.isoformat())}</h1>",
        f'<p class="meta">Dataset <b>{_e(dataset)}</b>: {len(nodes_of(G, NodeKind.FACILITY))} '
        f"facilities, {len(known)} platforms, {len(nodes_of(G, NodeKind.RULE))} rules. "
        f"Generated by oretrace for the date {_e(day.isoformat())}; "
        f"end user: {_e(end_user)}.</p>",
        '<div class="caveat"><b>How to read the confidence of each claim.</b> '
        f"{_conf('documented')} a primary source names this link or figure; "
        f"{_conf('reported')} credible press or analysis reports it; "
        f"{_conf('estimated')} derived from statistics (country pools and markets); "
        f"{_conf('illustrative')} a placeholder that keeps the structure whole — "
        "<b>not a claim</b>. Every answer carries the weakest confidence on its evidence, so "
        "a verdict resting on an illustrative link says so (see the dataset's data notes, "
        "placeholders).</div>",
        "<nav><b>Platforms:</b><ul>" + "".join(
            f'<li><a href="#{_anchor("platform", p)}">{_e(p)}</a> — '
            f"{_e(G.nodes[p].get('name') or '')}</li>" for p in briefed) + "</ul></nav>",
    ]
    if unbriefed:
        body.append('<div class="caveat" id="not-briefed"><b>Platforms not briefed</b>: the '
                    "data cannot answer for them as of this date.<ul>" + "".join(
                        f"<li><b>{_e(p)}</b>: {_e(why)}</li>" for p, why in unbriefed.items())
                    + "</ul></div>")
    return body


def _overview_figures(G: nx.MultiDiGraph, day: dt.date, end_user: str, briefed: list[str],
                      problems: list[str]) -> list[str]:
    """The overview figures; one that cannot be drawn is named in problems."""
    def figure(make: Any, alt: str, caption: str) -> str:
        if not briefed:
            return ""
        try:
            return _figure(make(), alt, caption)
        except OretraceError as exc:
            problems.append(f"the figure {alt}: {exc}")
            return ""

    body = [figure(lambda: plot_exposure_matrix(G, as_of=day, platforms=briefed,
                                                end_user=end_user),
                   "exposure matrix", "Exposure (processing, ownership, technology) "
                   "and the verdict of each rule, per platform; hatched cells rest "
                   "on a placeholder."),
            figure(lambda: plot_chokepoints(G, level="country", as_of=day, platforms=briefed),
                   "chokepoints by country", "Countries (and facilities without "
                   "one) whose loss alone stops platforms."),
            figure(lambda: plot_chokepoints(G, level="facility", as_of=day, platforms=briefed),
                   "chokepoints by facility", "Facilities whose loss alone stops "
                   "platforms.")]
    try:
        conc: Figure | None = plot_concentration(G, as_of=day)
    except QueryError:
        conc = None
    body.append(_figure(conc, "stage concentration",
                        "Share of capacity by country per stage; black ticks are "
                        "published shares of China."))
    if nodes_of(G, NodeKind.RULE):
        body.append(figure(lambda: plot_timeline(G, as_of=day), "capacity timeline",
                           "Non-Chinese capacity 2024–2030 against the stage's whole "
                           "capacity, under the rule windows (from the rule data)."))
    return body


def _rules_part(G: nx.MultiDiGraph, day: dt.date, src: _Sources) -> list[str]:
    rules = list_rules(G, as_of=day)
    if not len(rules):
        return []
    return ["<h3>Rules as of this date</h3>", _table(
        ["rule", "instrument", "status", "effective", "suspensions", "confidence",
         "sources"],
        [[_e(r["rule"]), _e(r["instrument"]), _e(r["status"]), _e(r["effective"]),
          _e("; ".join(r["suspensions"])), _conf(r["confidence"]),
          src.links(r["sources"])] for r in rules.to_dict(orient="records")])]


@shared_docs
def render_report(
    G: nx.MultiDiGraph,
    *,
    platforms: Iterable[str] | None = None,
    as_of: str | dt.date | None = None,
    end_user: str = "military",
    k: int = 3,
    title: str | None = None,
    figures: bool = True,
) -> str:
    """Return the briefing as one self-contained HTML page (see the module docstring).

    Parameters
    ----------
    %(G)s
    platforms : iterable of str, optional
        The platforms to brief on (default every platform).
    as_of : date or ISO str, optional
        The date of every answer (default today); it is in the page's title.
    end_user : {"military", "civil"}
        Who the platforms are for, for the rule verdicts.
    k : int
        Witness paths per exposure.
    title : str, optional
        A heading (default "Rare-earth supply briefing").
    figures : bool
        Draw the figures (off: tables only, much faster).

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> from oretrace.loaders import load_dataset
    >>> page = render_report(load_dataset(MINI), as_of="2026-06-01", figures=False)
    >>> page.lstrip().lower().startswith("<!doctype html>"), "missile" in page
    (True, True)
    """
    day = parse_date(as_of)
    known, chosen = _chosen(G, platforms, end_user, k)
    src = _Sources(G.graph.get("sources", {}))
    problems: list[str] = []  # overview parts that could not be drawn, with the reason
    scenario, policy_line = _policy(G, day, problems)

    # One platform the data cannot answer for (no maker, a bill-of-materials loop, ...)
    # is named with the reason; the others are briefed.
    sections: dict[str, str] = {}
    unbriefed: dict[str, str] = {}
    for p in chosen:
        try:
            sections[p] = _platform_section(G, p, day, end_user, k, figures, scenario, src)
        except OretraceError as exc:
            unbriefed[p] = str(exc)
    briefed = [p for p in chosen if p in sections]

    body = _head(G, title or "Rare-earth supply briefing", day, end_user, known, briefed,
                 unbriefed)
    body.append("<h2>Overview</h2>")
    if figures:
        body += _overview_figures(G, day, end_user, briefed, problems)
    body += _rules_part(G, day, src)
    if policy_line:
        body.append(f"<p>The policy <i>China denies military end users</i> is "
                    f"{_e(policy_line)} as of {_e(day.isoformat())}.</p>")
    if problems:
        body.append('<div class="caveat" id="not-drawn"><b>Not drawn</b>:<ul>' + "".join(
            f"<li>{_e(why)}</li>" for why in problems) + "</ul></div>")
    body += [sections[p] for p in briefed]
    body.append('<h2 id="sources">Sources</h2>')
    body.append(src.section("\n".join(body)))

    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<title>oretrace briefing as of {_e(day.isoformat())}</title>"
            f"<style>{_CSS}</style></head><body>" + "\n".join(body) + "</body></html>\n")
