"""Every command, on hostile data and unwritable paths: literal output, one-line errors.

The hostile graph is tests/data/mini with strings a careless or hostile data source could
hold (reliability report 2026-12, rows I01, I04, I05 and D9), in names and in ids (which
every command prints: paths, platforms, chokepoints), set on the loaded graph so that the
test holds whatever the loader may come to refuse:

- cn-sep is named ``[link=https://evil.example]CN separator[/link]`` (Rich markup that a
  terminal would show as a hidden hyperlink) and its id gets ``[/x]`` (a closing tag with no
  opening one: Rich raises); us-sep is named ``US [/x] separator``;
- cn-mine is named ``=1+2+cmd|' /C calc'!A0``, its id becomes ``=cn-mine``, and us-co is named
  ``@SUM(1+1)`` (spreadsheet formulas);
- us-mine is named ``US<ESC>]0;pwned<BEL>mine<ESC>[31m`` (an OSC title-setting sequence and
  a CSI colour sequence) and us-asm's id ends with an OSC sequence;
- the platform missile is named ``<img src=x onerror=alert(1)>``, the source ``hand`` is titled
  ``<script>alert(1)</script>`` with the address ``javascript:alert(1)``, and the platform
  also cites a source ``web`` at an ``https`` address (for the HTML report);
- jp-mag becomes ``jp$\\nosuchcmd{x}$mag`` (matplotlib mathtext with an unknown command)
  and us-comp gets a ``[link=…]`` in its id.

What must hold, from the issue, not from the code: no ESC, BEL or C1 byte reaches the
terminal; a table prints markup as the text written; no CSV cell starts with ``= + - @``
unless it is a plain number (OWASP); JSON carries the strings exactly as written; every
error is one line starting ``error:`` with exit status 2.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest
from oretrace.loaders import load_dataset

from oretrace.cli import State, main

MINI = Path(__file__).parent / "data" / "mini"
LINK = "[link=https://evil.example]CN separator[/link]"
CLOSING = "US [/x] separator"
FORMULA = "=1+2+cmd|' /C calc'!A0"
AT_FORMULA = "@SUM(1+1)"
ESCAPES = "US\x1b]0;pwned\x07mine\x1b[31m"
MATH_ID = "jp$\\nosuchcmd{x}$mag"
SEP_ID = "cn-sep[/x]"
MINE_ID = "=cn-mine"
ASM_ID = "us-asm\x1b]0;pwned\x07"
COMP_ID = "us-comp[link=https://evil.example]x[/link]"
HTML_NAME = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
WEB = "https://example.org/a?b=1&c=2"


@pytest.fixture(scope="module")
def hostile_graph() -> nx.MultiDiGraph:
    """The mini dataset's graph with the hostile names and ids of the module docstring."""
    G = load_dataset(MINI)
    for node, name in [("cn-sep", LINK), ("us-sep", CLOSING), ("cn-mine", FORMULA),
                       ("us-mine", ESCAPES), ("us-co", AT_FORMULA), ("missile", HTML_NAME)]:
        G.nodes[node]["name"] = name
    G.graph["sources"]["hand"].update(title=SCRIPT, url="javascript:alert(1)")
    G.graph["sources"]["web"] = {"id": "web", "title": "A web page", "url": WEB}
    G.nodes["missile"]["sources"] = ["hand", "web"]
    relabelled: nx.MultiDiGraph = nx.relabel_nodes(
        G, {"cn-sep": SEP_ID, "jp-mag": MATH_ID, "cn-mine": MINE_ID, "us-asm": ASM_ID,
            "us-comp": COMP_ID})
    return relabelled


@pytest.fixture
def hostile(hostile_graph: nx.MultiDiGraph, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every command reads the hostile graph; returns a ``--data`` value for the command line."""
    monkeypatch.setattr(State, "graph", lambda self: hostile_graph)
    return str(MINI)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI as ``oretrace`` would (through :func:`main`); return code, out, err."""
    code: int | str | None = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return (code if isinstance(code, int) else 1), out, err


def assert_no_control(text: str) -> None:
    """No byte a terminal would act on: ESC, BEL, other C0 but tab and newline, DEL, C1."""
    bad = sorted({hex(ord(c)) for c in text
                  if (ord(c) < 0x20 and c not in "\t\n") or 0x7F <= ord(c) <= 0x9F})
    assert not bad, bad


def assert_csv_inert(text: str) -> None:
    """OWASP: no cell starts with = + - @ (or tab, CR) unless it is a plain number."""
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                float(cell)  # a plain number such as -0.5; anything else raises


# Every command that reads the graph, with each output format where it has one.
COMMANDS: list[list[str]] = [
    ["info"], ["platforms"], ["show", SEP_ID], ["show", "us-sep"], ["show", MINE_ID],
    ["show", "us-mine"], ["show", MATH_ID], ["show", "us-co"], ["show", ASM_ID],
    ["show", COMP_ID], ["exposed", "--as-of", "2026-06-01"],
    ["where-used", SEP_ID, "--as-of", "2026-06-01"], ["where-used", MINE_ID],
    ["trace", "missile", "--as-of", "2026-06-01"], ["content", "missile"], ["content"],
    ["compliance", "missile"], ["rules"], ["chokepoints"], ["cut", "missile"],
    ["scenario", "--fail", "country:CN"], ["concentration"],
    ["diff", "--as-of", "2026-06-01", "--vs", "2028-01-01"],
]


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a)[:30])
def test_every_command_prints_hostile_strings_inertly(
        hostile: str, args: list[str], fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--data", hostile, "-f", fmt, *args], capsys)
    assert code == 0, err
    assert "Traceback" not in out + err
    assert_no_control(out + err)
    if fmt == "csv":
        assert_csv_inert(out)
    if fmt == "json":
        json.loads(out)


def test_table_shows_markup_as_written(hostile: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Rich would turn ``[link=…]…[/link]`` into a styled span and drop the tags; printed
    literally, the tags are in the output."""
    _, out, _ = run(["--data", hostile, "show", SEP_ID], capsys)
    assert LINK in out and SEP_ID in out
    code, out, _ = run(["--data", hostile, "show", "us-sep"], capsys)
    assert code == 0 and CLOSING in out


def test_escape_sequences_are_replaced_in_tables_and_csv(
        hostile: str, capsys: pytest.CaptureFixture[str]) -> None:
    """ESC and BEL become U+FFFD; the printable rest of the name stays."""
    expected = "US\ufffd]0;pwned\ufffdmine\ufffd[31m"
    _, out, _ = run(["--data", hostile, "show", "us-mine"], capsys)
    assert expected in out
    _, out, _ = run(["--data", hostile, "-f", "csv", "show", "us-mine"], capsys)
    values = {row["field"]: row["value"] for row in csv.DictReader(io.StringIO(out))
              if row["section"] == "attribute"}
    assert values["name"] == expected


def test_json_keeps_every_string_exactly(hostile: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """JSON escapes control characters (``\\u001b``), so the value read back is the one in
    the file."""
    for node, name in [("us-mine", ESCAPES), (SEP_ID, LINK), (MINE_ID, FORMULA)]:
        _, out, _ = run(["--data", hostile, "-f", "json", "show", node], capsys)
        assert json.loads(out)["attributes"]["name"] == name


def test_csv_neutralises_formulas(hostile: str, capsys: pytest.CaptureFixture[str]) -> None:
    """OWASP: a leading ``'`` makes the spreadsheet show the text instead of running it."""
    _, out, _ = run(["--data", hostile, "-f", "csv", "trace", "missile",
                     "--as-of", "2026-06-01"], capsys)
    names = {row["facility"]: row["name"] for row in csv.DictReader(io.StringIO(out))}
    assert names["'" + MINE_ID] == "'" + FORMULA  # the id is a formula too
    _, out, _ = run(["--data", hostile, "-f", "csv", "show", "us-co"], capsys)
    values = {row["field"]: row["value"] for row in csv.DictReader(io.StringIO(out))
              if row["section"] == "attribute"}
    assert values["name"] == "'" + AT_FORMULA


def test_plain_numbers_are_not_mangled() -> None:
    """OWASP's rule is about formulas: ``-0.5`` or ``+1e3`` are numbers in any spreadsheet;
    ``-2+3`` and ``-A1`` are formulas."""
    from oretrace.cli._output import neutralise_formula

    assert [neutralise_formula(x) for x in ["-0.5", "+1e3", "-.25", "-7"]] == \
        ["-0.5", "+1e3", "-.25", "-7"]
    assert [neutralise_formula(x) for x in ["-2+3", "-A1", "@x", "+cmd", "=1"]] == \
        ["'-2+3", "'-A1", "'@x", "'+cmd", "'=1"]


@pytest.mark.parametrize("args", [
    ["report", "--out", "{dir}/r.html"],
    ["plot", "flow", "-p", "missile", "--out", "{dir}/f.svg"],
    ["plot", "chokepoints", "--out", "{dir}/c.png"],
    ["plot", "exposure", "--out", "{dir}/e.png"],
    ["plot", "concentration", "--out", "{dir}/k.png"],
    ["plot", "timeline", "--out", "{dir}/t.png"],
], ids=lambda a: " ".join(a[:2]))
def test_figures_and_report_draw_dollar_ids_literally(
        hostile: str, args: list[str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """An id holding ``$\\nosuchcmd{x}$`` is text, not TeX: the drawing succeeds."""
    argv = [a.format(dir=tmp_path) for a in args]
    code, _, err = run(["--data", hostile, *argv, "--as-of", "2026-06-01"], capsys)
    assert code == 0, err
    assert Path(argv[argv.index("--out") + 1]).stat().st_size > 0


def test_svg_keeps_the_dollar_id_as_text(hostile: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """With mathtext off, the SVG holds the id's characters, dollars and backslash included
    (mathtext would have drawn glyph paths instead)."""
    import matplotlib as mpl

    out = tmp_path / "f.svg"
    with mpl.rc_context({"svg.fonttype": "none"}):
        code, _, err = run(["--data", hostile, "plot", "flow", "-p", "missile",
                            "--out", str(out), "--as-of", "2026-06-01"], capsys)
    assert code == 0, err
    assert "$\\nosuchcmd{x}$" in out.read_text(encoding="utf-8")


def test_report_escapes_data_and_links_only_http(
        hostile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 16 item 7: the HTML report shows every data string as text (``<`` as ``&lt;``)
    and makes a source address a link only when it is http(s)."""
    out = tmp_path / "r.html"
    code, _, err = run(["--data", hostile, "report", "--out", str(out),
                        "--as-of", "2026-06-01"], capsys)
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert SCRIPT not in page and HTML_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "javascript:" not in page
    assert 'href="https://example.org/a?b=1&amp;c=2"' in page


# --------------------------------------------------------------------------- unwritable


WRITERS: list[list[str]] = [
    ["report", "--out", "{target}.html"],
    ["plot", "flow", "-p", "missile", "--out", "{target}.png"],
    ["plot", "concentration", "--out", "{target}.svg"],
    ["plot", "exposure", "--out", "{target}.pdf"],
    ["plot", "chokepoints", "--out", "{target}.png"],
    ["plot", "timeline", "--out", "{target}.png"],
    ["export", "--to", "json", "{target}.json"],
    ["export", "--to", "graphml", "{target}.graphml"],
    ["synth", "--facilities", "60", "--out", "{target}"],
]


def _one_line_error(code: int, out: str, err: str, path: str) -> None:
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert path in lines[0]


@pytest.mark.parametrize("args", WRITERS, ids=lambda a: " ".join(a[:2]))
def test_output_under_a_file_is_one_line_error(
        args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path whose parent is a regular file can be created by no one, root included."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    argv = [a.format(target=blocker / "sub" / "out") for a in args]
    code, out, err = run(["--data", str(Path(__file__).parent / "data" / "mini"), *argv],
                         capsys)
    _one_line_error(code, out, err, str(blocker))
    assert blocker.read_text(encoding="utf-8") == "x"


NOWHERE = [(args, "/proc/oretrace-nowhere/out") for args in WRITERS] + [
    (args, "/dev/full") for args in WRITERS if args[0] in {"report", "export"}]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and /dev/full")
@pytest.mark.parametrize(("args", "target"), NOWHERE,
                         ids=lambda a: " ".join(a[:2]) if isinstance(a, list) else a)
def test_output_nowhere_or_on_a_full_disk_is_one_line_error(
        args: list[str], target: str, capsys: pytest.CaptureFixture[str]) -> None:
    """/proc takes no new files (not even from root); /dev/full fails every write with
    ENOSPC. Plots refuse /dev/full for its missing suffix before writing (a usage error),
    so /dev/full is tried only with report and export, which write any name."""
    if target == "/dev/full":
        args = [a.replace("{target}.html", "{target}").replace("{target}.json", "{target}")
                .replace("{target}.graphml", "{target}") for a in args]
    argv = [a.format(target=target) for a in args]
    code, out, err = run(["--data", str(Path(__file__).parent / "data" / "mini"), *argv],
                         capsys)
    _one_line_error(code, out, err, target.split("/out")[0])


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("case", ["rules-is-a-directory", "deep-yaml", "http-uri"])
def test_reading_errors_are_one_line(case: str, mini_copy: Callable[..., Path],
                                     capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Reliability report D9: each used to end in a Python traceback."""
    root = mini_copy()
    argv = ["--data", str(root), "info"]
    if case == "rules-is-a-directory":
        (root / "rules.yaml").unlink(missing_ok=True)
        (root / "rules.yaml").mkdir()
    elif case == "deep-yaml":
        (root / "rules.yaml").write_text("rules: " + "[" * 100_000 + "]" * 100_000,
                                         encoding="utf-8")
    else:
        monkeypatch.setenv("NEO4J_URI", "http://127.0.0.1:7698")
        argv = ["neo4j", "status"]
    code, out, err = run(argv, capsys)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: "), err
    # a dataset's problems come one per line, each located (file:line:column: reason)
    assert all(re.match(r"\S+:\d+:\d+: \S", line) for line in lines[1:]), err
    if case == "rules-is-a-directory":
        assert lines[1:] and lines[1].startswith("rules.yaml:0:0: is a directory"), err
    elif case == "deep-yaml":
        assert lines[1:] and lines[1].startswith("rules.yaml:"), err
        assert "nested too deeply" in lines[1], err
    else:
        assert len(lines) == 1, err


def test_timeline_years_past_9998_are_a_usage_error(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    """A year is drawn up to 1 January of the next; Python dates end at 9999-12-31."""
    code, out, err = run(["plot", "timeline", "--from", "9990", "--to", "10010",
                          "--out", str(tmp_path / "t.png")], capsys)
    assert code == 2 and "Traceback" not in out + err
    assert "--to" in err and not (tmp_path / "t.png").exists()
