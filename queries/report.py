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

import base64
import datetime as dt
import html
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
from matplotlib.figure import Figure
from oretrace.graphmodel import (
    Confidence,
    OretraceError,
    QueryError,
    UnknownNodeError,
    nodes_of,
    parse_date,
    restrict,
    weakest,
)
from oretrace.graphmodel import platforms as platform_ids
from oretrace.graphmodel._docs import shared_docs
from oretrace.graphmodel.vocab import NodeKind
from oretrace.queries.chokepoints import find_single_points_of_failure
from oretrace.queries.compliance import END_USERS, RuleVerdict, evaluate, list_rules
from oretrace.queries.content import origin_share
from oretrace.queries.exposure import find_exposed
from oretrace.queries.plots import (
    CN_COLOUR,
    EXPOSURE_COLUMNS,
    VERDICT_COLOURS,
    plot_chokepoints,
    plot_concentration,
    plot_exposure_matrix,
    plot_supply_flow,
    plot_timeline,
)
from oretrace.queries.predicates import controlled_companies
from oretrace.queries.scenarios import simulate_scenario

__all__ = ["render_report"]

_CONF_COLOURS = {
    Confidence.DOCUMENTED: ("#1a7f37", "white"),
    Confidence.REPORTED: ("#2f6fb5", "white"),
    Confidence.ESTIMATED: ("#b7791f", "white"),
    Confidence.ILLUSTRATIVE: ("#b42318", "white"),
}

_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 1.5em 2em 4em; color: #1d1d1f; }
h1 { font-size: 1.7em; margin-bottom: .2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; margin-top: 2.2em; }
h3 { margin-top: 1.6em; }
.meta { color: #555; }
.caveat { background: #fff8e1; border-left: 4px solid #f0b400; padding: .6em 1em; margin: 1em 0; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e5e5e5; }
figcaption { color: #555; font-size: .9em; }
table { border-collapse: collapse; width: 100%; margin: .6em 0 1.2em; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .3em .5em; vertical-align: top; text-align: left; }
th { background: #f4f4f4; }
.badge { display: inline-block; padding: .05em .45em; border-radius: .3em; font-size: .85em;
         white-space: nowrap; }
.path { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85em; }
.src a, a.src { font-size: .85em; }
nav ul { columns: 2; }
ol.sources li { margin-bottom: .3em; }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _anchor(prefix: str, ident: str) -> str:
    return f"{prefix}-{re.sub(r'[^A-Za-z0-9_.-]', '-', ident)}"


def _badge(text: str, fill: str, ink: str) -> str:
    return (f'<span class="badge" style="background:{_e(fill)};color:{_e(ink)}">'
            f"{_e(text)}</span>")


def _conf(level: str | Confidence | None) -> str:
    if not level:
        return ""
    fill, ink = _CONF_COLOURS.get(Confidence(level), ("#777", "white"))
    return _badge(str(Confidence(level).value), fill, ink)


def _verdict(verdict: str) -> str:
    fill = VERDICT_COLOURS.get(verdict, "#ffffff")
    dark = verdict in {"denied", "non-compliant", "shipments-denied", "exposed"}
    return _badge(verdict, fill, "white" if dark else "black")


def _pct(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x * 100:.{digits}g} %"


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(fig: Figure | None, alt: str, caption: str) -> str:
    if fig is None:
        return ""
    return (f'<figure><img src="{_png(fig)}" alt="{_e(alt)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


class _Sources:
    """The sources cited on the page, in order of first citation."""

    def __init__(self, table: dict[str, dict[str, Any]]) -> None:
        self.table = table
        self.cited: dict[str, None] = {}

    def links(self, ids: Iterable[str]) -> str:
        out = []
        for sid in ids:
            self.cited[sid] = None
            out.append(f'<a class="src" href="#{_anchor("src", sid)}">{_e(sid)}</a>')
        return ", ".join(out)

    def section(self, page: str = "") -> str:
        """The list of cited sources, in the order ``page`` first links them (the order
        of citation when ``page`` is not given)."""
        first = {sid: page.find(f'href="#{_anchor("src", sid)}"') for sid in self.cited}
        order = sorted(self.cited, key=lambda sid: (first[sid] < 0, first[sid])) \
            if page else list(self.cited)
        items = []
        for sid in order:
            rec = self.table.get(sid, {})
            title = rec.get("title") or sid
            url = str(rec.get("url") or "")
            head = (f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(title)}</a>'
                    if re.match(r"https?://", url) else _e(title))
            extra = "; ".join(_e(rec[k]) for k in ("publisher", "date") if rec.get(k))
            items.append(f'<li id="{_anchor("src", sid)}"><b>{_e(sid)}</b> — {head}'
                         + (f" ({extra})" if extra else "") + "</li>")
        if not items:
            return "<p>No source is cited.</p>"
        return '<ol class="sources">' + "".join(items) + "</ol>"


def _path(path: Sequence[str]) -> str:
    return '<span class="path">' + " › ".join(_e(n) for n in path) + "</span>" if path else ""


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table whose cells are HTML already escaped by the caller."""
    if not rows:
        return ""
    return ("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead>"
            "<tbody>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                                for row in rows) + "</tbody></table>")


def _verdict_rows(verdicts: Sequence[RuleVerdict], src: _Sources) -> list[list[str]]:
    return [[f"<b>{_e(v.rule)}</b><br>{_e(v.instrument)}", _verdict(v.verdict.value),
             _e(v.clause or ""), _e(v.evidence), _path(v.path), _e(v.status),
             _conf(v.confidence), src.links(v.sources)] for v in verdicts]


def _platform_section(G: nx.MultiDiGraph, p: str, day: dt.date, end_user: str, k: int,
                      figures: bool, scenario: dict[str, Any], src: _Sources) -> str:
    name = G.nodes[p].get("name") or p
    parts = [f'<section id="{_anchor("platform", p)}"><h2>{_e(p)} — {_e(name)}</h2>']
    parts.append(f"<p class=\"src\">Platform record: {_conf(G.nodes[p].get('confidence'))} "
                 f"{src.links(G.nodes[p].get('sources', []))}</p>")

    status = scenario.get(p)
    if status is not None:
        if status.supplied:
            line = "keeps supply"
        elif not status.baseline_supplied:
            line = "is not supplied even without the policy"
        else:
            line = "<b>loses supply</b>"
        parts.append(f"<p>If China denies military end users (policy "
                     f"<code>cn-denies-military</code>, as of {_e(day)}), {_e(p)} {line}.</p>")
        rows = [[_e(b.facility), _e(b.product), _e(b.cause), _e(", ".join(b.suppliers)),
                 _conf(b.confidence), src.links(b.sources)] for b in status.blocked_by]
        parts.append(_table(["blocked facility", "missing input", "cause", "suppliers lost",
                             "confidence", "sources"], rows))

    if figures:
        parts.append(_figure(plot_supply_flow(G, p, as_of=day), f"supply flow of {p}",
                             f"{p}: needed supply as of {day}, mines left; red nodes are in "
                             "China, purple marks Chinese-origin technology and its taint."))

    verdicts = evaluate(G, p, as_of=day, end_user=end_user)
    parts.append(f"<h3>Rule verdicts ({_e(end_user)} end user)</h3>")
    parts.append("<p>Export controls license shipments, not the platform: a shipment rule reads "
                 "<code>shipments-denied</code> or <code>shipments-licensed</code> when a shipment "
                 "on the supply is denied or needs a licence (<code>oretrace shipments</code> "
                 "lists them), a technology rule <code>facilities-flagged</code>; a procurement "
                 "rule reads the delivered platform (<code>waived</code> names the waiver). A "
                 "status <code>assumed-…</code> rests on an assumed rule status (after the "
                 "rule's last recorded date).</p>")
    parts.append(_table(["rule", "verdict", "clause", "evidence", "path", "status", "confidence",
                         "sources"], _verdict_rows(verdicts, src)) or "<p>No rule.</p>")

    parts.append("<h3>Exposure paths</h3>")
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
    parts.append(_table(["through", "finding", "matching facilities upstream",
                         f"witness paths (up to {k}, strongest first)", "confidence",
                         "sources"], rows))

    parts.append("<h3>Chinese share of the rare-earth content</h3>")
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
    parts.append(_table(["share", "China-origin", "detail", "confidence", "sources"], rows))

    parts.append("<h3>Single points of failure</h3>")
    V = restrict(G, as_of=day)
    cn_companies = controlled_companies(V, "CN")
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
    parts.append(_table(["level", "losing this alone stops the platform", "weakest"], rows))
    parts.append("</section>")
    return "".join(parts)


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
    src = _Sources(G.graph.get("sources", {}))
    heading = title or "Rare-earth supply briefing"
    dataset = G.graph.get("dataset") or G.name or "dataset"

    scenario: dict[str, Any] = {}
    policy_line = ""
    problems: list[str] = []  # overview parts that could not be drawn, with the reason
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

    def figure(make: Any, alt: str, caption: str) -> str:
        if not briefed:
            return ""
        try:
            return _figure(make(), alt, caption)
        except OretraceError as exc:
            problems.append(f"the figure {alt}: {exc}")
            return ""

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
    body.append("<h2>Overview</h2>")
    if figures:
        body.append(figure(lambda: plot_exposure_matrix(G, as_of=day, platforms=briefed,
                                                        end_user=end_user),
                           "exposure matrix", "Exposure (processing, ownership, technology) "
                           "and the verdict of each rule, per platform; hatched cells rest "
                           "on a placeholder."))
        body.append(figure(lambda: plot_chokepoints(G, level="country", as_of=day,
                                                    platforms=briefed),
                           "chokepoints by country", "Countries (and facilities without "
                           "one) whose loss alone stops platforms."))
        body.append(figure(lambda: plot_chokepoints(G, level="facility", as_of=day,
                                                    platforms=briefed),
                           "chokepoints by facility", "Facilities whose loss alone stops "
                           "platforms."))
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
    rules = list_rules(G, as_of=day)
    if len(rules):
        body.append("<h3>Rules as of this date</h3>")
        body.append(_table(
            ["rule", "instrument", "status", "effective", "suspensions", "confidence",
             "sources"],
            [[_e(r["rule"]), _e(r["instrument"]), _e(r["status"]), _e(r["effective"]),
              _e("; ".join(r["suspensions"])), _conf(r["confidence"]),
              src.links(r["sources"])] for r in rules.to_dict(orient="records")]))
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
