"""Printing the benchmark's rows: one table per ``row["table"]``, and the list of targets.

A row is a dict: ``measure``, ``seconds`` (or ``shown``), optionally ``reference_seconds``
(or ``reference_shown``), ``speedup``, ``vs_baseline``, ``target``, ``met`` and ``table``.
Rows of the public calls also carry ``engine``, ``first_seconds`` and ``warm_repeats``.
Rows without a ``table`` (the other benchmark modes) print as one plain table.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TITLES", "fmt_s", "fmt_x", "print_table", "targets"]

Row = dict[str, Any]

#: Title of each table, in the order they print.
TITLES = {
    "public": "public calls (what users get): backend=\"auto\" · targets of issue 15 · "
              "÷ baseline = warm ÷ one CSR mat-vec of this run",
    "setup": "setup and Neo4j (targets of issue 15; generate: issue 7)",
    "kernels": "kernels (the compiled core called directly) · targets of issue 7",
}
_MET = {True: "yes", False: "NO", None: ""}


def fmt_s(seconds: float | None) -> str:
    """Seconds as µs, ms or s; ``-`` for none."""
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_x(ratio: float | None) -> str:
    """A ratio as ``12.34×`` or ``1,234×``; ``-`` for none."""
    if ratio is None:
        return "-"
    return f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:.2f}×"


def _shown(r: Row) -> str:
    return str(r.get("shown", fmt_s(r.get("seconds"))))


def _reference(r: Row) -> str:
    return str(r.get("reference_shown", fmt_s(r.get("reference_seconds"))))


def _public_cells(r: Row) -> list[str]:
    warm = _shown(r)
    if r.get("warm_repeats"):
        warm += f" (median of {r['warm_repeats']:.0f})"
    return [r["measure"], "+".join(r.get("engine", [])), fmt_s(r.get("first_seconds")), warm,
            _reference(r), fmt_x(r.get("speedup")), fmt_x(r.get("vs_baseline")),
            r.get("target", ""), _MET[r.get("met")]]


def _setup_cells(r: Row) -> list[str]:
    return [r["measure"], _shown(r), _reference(r), r.get("target", ""), _MET[r.get("met")]]


def _kernel_cells(r: Row) -> list[str]:
    return [r["measure"], _shown(r), _reference(r), fmt_x(r.get("speedup")),
            fmt_x(r.get("vs_baseline")), r.get("target", ""), _MET[r.get("met")]]


_LAYOUTS = {
    "public": (["public call", "engine", "first call", "warm", "plain networkx", "speed-up",
                "÷ baseline", "target", "met"], _public_cells),
    "setup": (["measure", "time", "reference", "target", "met"], _setup_cells),
    None: (["measure", "oretrace", "plain reference", "speed-up", "÷ baseline", "target",
            "met"], _kernel_cells),
}


def _print_one(head: list[str], cells: list[list[str]]) -> None:
    widths = [max(len(str(c[i])) for c in [head, *cells]) for i in range(len(head))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*head).rstrip())
    print(line.format(*("-" * w for w in widths)))
    for c in cells:
        print(line.format(*c).rstrip())


def _tables(rows: list[Row]) -> list[tuple[str | None, list[Row]]]:
    """``rows`` grouped by their ``table``, in the order of :data:`TITLES` (others last)."""
    groups: dict[str | None, list[Row]] = {}
    for r in rows:
        groups.setdefault(r.get("table"), []).append(r)
    order = list(TITLES)
    return sorted(groups.items(),
                  key=lambda g: order.index(g[0]) if g[0] in order else len(order))


def print_table(rows: list[Row]) -> None:
    """Print ``rows``: one titled table per ``table`` key, in the order of :data:`TITLES`."""
    for i, (name, group) in enumerate(_tables(rows)):
        if i:
            print()
        if name in TITLES:
            base = group[0].get("baseline_seconds")
            print(TITLES[name] + (f" ({fmt_s(base)})" if base else ""))
        head, cells = _LAYOUTS.get(name, _LAYOUTS[None])
        _print_one(head, [cells(r) for r in group])


def targets(rows: list[Row]) -> list[dict[str, Any]]:
    """Every row with a target, as printed: name, table, measured value, target and met."""
    out = []
    for r in (r for _, group in _tables(rows) for r in group):
        if not r.get("target"):
            continue
        entry = {"name": r["measure"], "table": r.get("table"), "measured": _shown(r),
                 "seconds": r.get("seconds"), "target": r["target"], "met": r.get("met")}
        if r.get("vs_baseline") is not None:
            entry["vs_baseline"] = r["vs_baseline"]
        out.append(entry)
    return out
