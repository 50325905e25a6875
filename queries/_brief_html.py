"""The brief's HTML (private to :mod:`oretrace.queries.brief`): the portfolio table first.

One page with no script and no external resource; every string from the data is escaped.
The screen layout puts the assumption, the bottom line and the table of every platform
in the first 1280×800 screen; the print layout (A4, ``@page``) fits the eight bundled
platforms on at most two pages.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any

from oretrace.graphmodel import Confidence, OretraceError, weakest
from oretrace.queries.brief import AssumedRule, BriefFacts, PlatformLine, Risk

__all__ = ["PrintError", "assumption_sentence", "chromium", "page", "pdf_pages", "print_pdf"]

_ABBREV = {Confidence.DOCUMENTED: "doc", Confidence.REPORTED: "rep",
           Confidence.ESTIMATED: "est", Confidence.ILLUSTRATIVE: "ill"}

_CSS = """
body { font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1240px; padding: .6em 1.2em 2em; color: #1d1d1f; }
h1 { font-size: 1.45em; margin: .1em 0 .15em; }
h2 { font-size: 1.1em; margin: 1em 0 .3em; border-bottom: 1px solid #ccc; }
p { margin: .3em 0; }
.meta { color: #555; font-size: .92em; }
.assume, .bottom { padding: .3em .7em; margin: .35em 0; }
.assume { background: #fff8e1; border-left: 4px solid #f0b400; }
.bottom { background: #f3f6fa; border-left: 4px solid #2f6fb5; }
table { border-collapse: collapse; width: 100%; margin: .4em 0; font-size: .93em; }
th, td { border: 1px solid #d5d5d5; padding: .18em .35em; vertical-align: top; text-align: left; }
th { background: #f1f1f1; font-weight: 600; }
td small, li small { color: #555; }
.c { display: inline-block; padding: 0 .3em; border-radius: .25em; font-size: .8em;
     color: white; white-space: nowrap; }
.c-documented { background: #1a7f37; } .c-reported { background: #2f6fb5; }
.c-estimated { background: #9a6412; } .c-illustrative { background: #b42318; }
.a { color: #b45309; font-weight: 700; }
.m { white-space: nowrap; }
.bad { color: #b42318; font-weight: 600; } .ok { color: #1a7f37; font-weight: 600; }
ol.risks { margin: .3em 0; padding-left: 1.6em; } ol.risks li { margin-bottom: .25em; }
.legend { color: #444; font-size: .88em; }
code { font-size: .92em; }
@page { size: A4; margin: 11mm 10mm; }
@media print {
  body { font-size: 8.6pt; max-width: none; padding: 0; }
  tr, li { break-inside: avoid; }
  a { color: inherit; }
}
"""


def _short(instrument: str) -> str:
    """``MOFCOM Announcement No. 61 [2025]`` → ``MOFCOM No. 61``."""
    found = re.search(r"No\.\s*(\d+)", instrument) or re.search(r"(\d+)", instrument)
    if not found:
        return instrument
    head = "MOFCOM " if instrument.upper().startswith("MOFCOM ") else ""
    return f"{head}No. {found.group(1)}"


def assumption_sentence(assumed: Sequence[AssumedRule], day: dt.date) -> str | None:
    """The sentence naming the assumption, the rule most shipments rest on first."""
    if not assumed:
        return None

    def lapse(a: AssumedRule) -> str:
        if not (a.suspended_by and a.lapsed_on):
            return "its recorded status ended"
        by = _short(a.suspended_by).removeprefix("MOFCOM ")
        if a.lapsed_on < day:
            return f"{by}'s suspension lapsed on {a.lapsed_on}"
        return (f"{by}'s suspension ends on {a.lapsed_on} "
                "(for the dates after it)")

    def named(a: AssumedRule) -> str:
        return _short(a.instrument) + (f" ({', '.join(a.clauses)})" if a.clauses else "")

    head, rest = assumed[0], assumed[1:]
    text = f"Assumes {named(head)} applies again after {lapse(head)}; nothing later on record."
    same = [named(a) for a in rest if lapse(a) == lapse(head)]
    other = [f"{named(a)} after {lapse(a)}" for a in rest if lapse(a) != lapse(head)]
    if same or other:
        text += " Likewise " + "; ".join(
            ([" and ".join(same) + " (the same suspension)"] if same else []) + other) + "."
    return text



def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _conf(level: Confidence | str | None) -> str:
    if level is None:
        return ""
    c = Confidence(level)
    return f'<span class="c c-{c.value}" title="{c.value}">{_ABBREV[c]}</span>'


def _dagger(assumed: bool) -> str:
    return '<span class="a" title="rests on an assumed rule status">†</span>' if assumed else ""


def _mark(level: Confidence | str | None, assumed: bool = False) -> str:
    """The confidence badge and the assumption mark of one claim, kept on one line."""
    return f'<span class="m">{_conf(level)}{_dagger(assumed)}</span>' if level else ""


def _names(ids: Sequence[str]) -> str:
    return ", ".join(_e(i) for i in ids)


def _restored(ln: PlatformLine) -> str:
    if ln.supplied_if_denied or not ln.supplied:
        return "<small>n/a</small>"
    r = ln.restore
    if r is None:
        return "—"
    mark = f"{_mark(r.confidence, r.assumed)}"
    if r.restored_on is None:
        missing = (f"<br><small>no maker left for {_names(r.missing_inputs[:3])}</small>"
                   if r.missing_inputs else "")
        return f'<span class="bad m">not by {_e(r.until)}</span> {mark}{missing}'
    by = f"<br><small>by {_names(r.brought_back_by[:2])}</small>" if r.brought_back_by else ""
    return f"{_e(r.restored_on)} {mark}{by}"


def _chokepoint(ln: PlatformLine, total: int) -> str:
    if ln.chokepoint is None:
        cell = "<small>none beyond its own assembly</small>"
    else:
        cell = (f'<b title="{_e(ln.chokepoint_name)}">{_e(ln.chokepoint)}</b> — stops '
                f"{len(ln.chokepoint_stops)} of {total} {_mark(ln.chokepoint_confidence)}")
        if ln.more_single_points:
            cell += f" <small>+{ln.more_single_points} more</small>"
    if ln.countries_alone:
        cell += f"<br><small>country alone: {_names(ln.countries_alone)}</small>"
    return cell


def _row(ln: PlatformLine, total: int) -> str:
    today = ('<span class="ok">yes</span>' if ln.supplied else '<span class="bad">no</span>')
    denied = ('<span class="ok">keeps supply</span>' if ln.supplied_if_denied else
              '<span class="bad">loses supply</span>' if ln.supplied else
              '<span class="bad">not supplied</span>')
    lic = (f"{ln.licence_shipments} · <b>{ln.denied_shipments}</b> "
           f"{_mark(ln.licence_confidence, ln.licence_assumed)}"
           if ln.licence_shipments else f"none {_mark(ln.licence_confidence)}")
    if ln.procurement is None:
        proc = "<small>no procurement rule in force</small>"
    else:
        cls = "bad" if ln.procurement == "non-compliant" else "ok"
        waiver = f"<br><small>waiver {_e(ln.procurement_waiver)}</small>" \
            if ln.procurement_waiver else ""
        proc = (f'<span class="{cls}">{_e(ln.procurement)}</span> '
                f"{_mark(ln.procurement_confidence, ln.procurement_assumed)}{waiver}")
    cells = [
        f'<b>{_e(ln.platform)}</b><br><small>{_e(ln.name)}</small>',
        f"{today} {_mark(ln.supplied_confidence)}",
        f"{denied} {_mark(ln.if_denied_confidence, ln.if_denied_assumed)}",
        _restored(ln), lic, proc, _chokepoint(ln, total),
        f"{_mark(ln.weakest, ln.assumed)}"]
    return (f'<tr id="line-{_e(ln.platform)}" class="line">'
            + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")


_HEAD = [("Platform", 12), ("Supplied today", 7), ("If China denies military end users", 11),
         ("Restored by", 14), ("Chinese-licence shipments · denied", 10),
         ("DFARS 252.225-7052", 9), ("Top chokepoint (beyond its own assembly)", 30),
         ("Weakest", 7)]


def _bottom_line(f: BriefFacts) -> str:
    lines = f.platforms
    n = len(lines)
    today_ok = [ln for ln in lines if ln.supplied]
    lost = [ln for ln in lines if ln.platform in f.lost]
    kept = [ln for ln in lines if ln.platform in f.kept]
    parts = [f"<b>Bottom line.</b> Today {len(today_ok)} of {n} platforms are supplied "
             f"{_conf(weakest([ln.supplied_confidence for ln in today_ok]))}."]
    if lost:
        parts.append(f" If China denies military end users, <b>{len(lost)} of {n} lose "
                     f"supply</b>: {_names([ln.platform for ln in lost])} "
                     f"{_conf(weakest([ln.if_denied_confidence for ln in lost]))}"
                     f"{_dagger(any(ln.if_denied_assumed for ln in lost))}")
    else:
        parts.append(" If China denies military end users, no platform loses supply")
    if kept:
        parts.append(f"; {_names([ln.platform for ln in kept])} keep it "
                     f"{_conf(weakest([ln.if_denied_confidence for ln in kept]))}")
    parts.append(". " + _comeback(lost))
    nc = [ln.platform for ln in lines if ln.procurement == "non-compliant"]
    proc = weakest([ln.procurement_confidence for ln in lines if ln.procurement_confidence])
    parts.append(f"{f.licence_total} shipments need a Chinese licence, {f.denied_total} would "
                 f"be denied {_mark(f.licence_total_confidence, f.licence_total_assumed)}. "
                 "DFARS 252.225-7052: " + (f"non-compliant: {_names(nc)}" if nc else
                                           "no platform non-compliant") + f" {_mark(proc)}.")
    return '<p class="bottom" id="bottom-line">' + "".join(parts) + "</p>"


def _comeback(lost: Sequence[PlatformLine]) -> str:
    """When the lost platforms come back (the restoration query's answer), one sentence."""
    answered = [ln for ln in lost if ln.restore is not None]
    if not answered:
        return ""
    back = [ln for ln in answered if ln.restore and ln.restore.restored_on]
    never = [ln for ln in answered if ln.restore and not ln.restore.restored_on]
    parts = [f"{_e(ln.platform)} back on {_e(ln.restore.restored_on)} "
             f"{_mark(ln.restore.confidence, ln.restore.assumed)}"
             for ln in back if ln.restore]
    if never:
        missing = sorted({m for ln in never if ln.restore for m in ln.restore.missing_inputs})
        until = max(str(ln.restore.until) for ln in never if ln.restore)
        parts.append(f"{'none' if not back else _names([ln.platform for ln in never])} "
                     f"back by {_e(until)}"
                     + (f" (no maker left for {_names(missing)})" if missing else "") + " "
                     + _mark(weakest([ln.restore.confidence for ln in never if ln.restore]),
                             any(ln.restore.assumed for ln in never if ln.restore)))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + ". "


def _risk(r: Risk) -> str:
    stops = _names(r.platforms)
    if r.kind == "policy":
        head = f"<b>China denies military end users</b> — {stops} lose supply"
    elif r.kind == "country":
        also = (f" <small>(or any one of its facilities {_names(r.also)})</small>"
                if r.also else "")
        head = f"<b>Loss of {_names(r.nodes)}</b>{also} — alone stops {stops}"
    else:
        who = " or ".join(f'<b title="{_e(n)}">{_e(i)}</b>' for i, n in zip(
            r.nodes, r.names, strict=True))
        each = "each alone" if len(r.nodes) > 1 else "alone"
        head = f"Loss of {who} — {each} stops {stops}"
    ties = ""
    if r.tied_with or r.tied_unshown:
        ties = " <small>(tied" + (" with " + ", ".join(f"#{t}" for t in r.tied_with)
                                  if r.tied_with else "") + (
            f"; {r.tied_unshown} more not shown" if r.tied_unshown else "") + ")</small>"
    return (f'<li id="risk-{r.rank}">{head} {_mark(r.confidence, r.assumed)} '
            f"<small>score {r.score:.2f}</small>{ties}</li>")


def _more(f: BriefFacts, report: str | None, platforms: Sequence[str] | None) -> str:
    if report:
        where = (f'Paths, tables, figures and sources: <a id="full-report" href="{_e(report)}">'
                 "the full report</a>.")
    else:
        args = "".join(f" --platform {_e(p)}" for p in platforms or ())
        where = ("Paths, tables, figures and sources are in the full report: "
                 f'<code id="full-report">oretrace report --as-of {_e(f.as_of)}{args} '
                 "--out report.html</code> (or <code>oretrace brief --with-report</code>, which "
                 "writes it next to the brief and links it).")
    return where


def page(facts: BriefFacts, *, report: str | None = None,
         platforms: Sequence[str] | None = None) -> str:
    """Return the brief of ``facts`` as one HTML page."""
    f = facts
    n = len(f.platforms)
    dataset = PurePath(f.dataset).name or f.dataset
    body = [f"<h1>Rare-earth supply brief — as of {_e(f.as_of)}</h1>",
            f'<p class="meta">Dataset <b>{_e(dataset)}</b>, {n} platforms. '
            f"{_more(f, report, platforms)}</p>"]
    if f.assumption:
        body.append(f'<p class="assume" id="assumption"><b>†</b> {_e(f.assumption)} Claims '
                    "marked † rest on this assumed status and carry at most "
                    f"{_conf(Confidence.ESTIMATED)} confidence.</p>")
    body.append(_bottom_line(f))
    body.append('<table id="portfolio"><thead><tr>' + "".join(
        f'<th style="width:{w}%">{_e(h)}</th>' for h, w in _HEAD)
                + "</tr></thead><tbody>" + "".join(_row(ln, n) for ln in f.platforms)
                + "</tbody></table>")
    body.append('<p class="legend">Confidence of each claim (the weakest on its evidence): '
                + ", ".join(f"{_conf(c)} {c.value}" for c in _ABBREV)
                + " (a placeholder, not a claim). † rests on an assumed rule status. "
                "<i>Licence</i>: distinct shipments on the platform's needed supply that a rule "
                "China issues bites on, in force at the date, and how many of them would be "
                "denied to a military end use. <i>Chokepoint</i>: the facility whose loss alone "
                "stops this platform and the most others; the platform's own final assembly "
                "and its country are left out.</p>")
    if f.not_briefed:
        body.append('<p class="assume" id="not-briefed"><b>Not briefed</b>: ' + "; ".join(
            f"{_e(p)} ({_e(why)})" for p, why in f.not_briefed.items()) + "</p>")
    body.append(f'<h2 id="risks">The {len(f.risks)} risks that matter most</h2>')
    body.append(f'<p class="legend" id="measure">Ranked by {_e(f.measure)}.</p>')
    body.append('<ol class="risks">' + "".join(_risk(r) for r in f.risks) + "</ol>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<title>oretrace brief as of {_e(f.as_of)}</title>"
            f"<style>{_CSS}</style></head><body>" + "\n".join(body) + "</body></html>\n")


# --------------------------------------------------------------------------- print


class PrintError(OretraceError):
    """The brief could not be printed to PDF (no headless Chromium, or it failed)."""


def chromium() -> str | None:
    """The headless browser that prints the brief (Debian's ``chromium``), if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pdf_pages(data: bytes) -> int:
    """The number of pages of a PDF: its ``/Type /Page`` objects (not ``/Pages``)."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))


def print_pdf(page: Path, out: Path, *, timeout: float = 120.0) -> int:
    """Print the HTML file ``page`` to ``out`` with headless Chromium; return its pages."""
    browser = chromium()
    if browser is None:
        raise PrintError("printing to PDF needs headless Chromium: install Debian's chromium "
                         "package (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="oretrace-print-") as tmp:
        target = Path(tmp) / "brief.pdf"
        try:
            done = subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={Path(tmp) / 'profile'}",
                 "--no-pdf-header-footer", f"--print-to-pdf={target}", page.resolve().as_uri()],
                capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrintError(f"{browser} could not print {page}: {exc}") from exc
        if done.returncode != 0 or not target.exists():
            tail = done.stderr.strip().splitlines()[-1:] or ["no message"]
            raise PrintError(f"{browser} could not print {page} (exit {done.returncode}): "
                             f"{tail[0]}")
        data = target.read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return pdf_pages(data)
