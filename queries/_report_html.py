"""The briefing's HTML pieces: escaping, badges, figures, tables, cited sources (private to report).

Every string taken from the data goes through :func:`_e` (``html.escape``); a source's
address becomes a link only when it is ``http(s)``.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from matplotlib.figure import Figure
from oretrace.graphmodel import Confidence
from oretrace.queries.plots import VERDICT_COLOURS

__all__: list[str] = []

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
