"""The report family of the CLI: ``plot KIND --out FILE`` and ``report --out brief.html``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oretrace.cli import make_app

MINI = Path(__file__).parent / "data" / "compliance_mini"
runner = CliRunner()
app = make_app()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data", str(MINI), *args])
    return result.exit_code, result.output


def test_plot_flow_to_svg_keeps_the_link_ids(tmp_path: Path) -> None:
    """As of 2027-06-01 the missile's chain has 7 links (tests/test_plots.py works them out);
    SVG keeps each link's id, so the file can be checked (or styled) link by link."""
    out = tmp_path / "flow.svg"
    code, output = run("plot", "flow", "--platform", "missile", "--as-of", "2027-06-01",
                       "--out", str(out))
    assert code == 0, output
    svg = out.read_text(encoding="utf-8")
    links = set(re.findall(r'id="link:([^"]+)"', svg))
    assert links == {"cn-mine-&gt;cn-sep", "cn-sep-&gt;jp-mag", "jp-mag-&gt;us-comp",
                     "us-comp-&gt;us-asm", "us-asm-&gt;missile", "us-mine-&gt;us-sep",
                     "us-sep-&gt;jp-mag"}


@pytest.mark.parametrize(("args", "suffix", "magic"), [
    (["chokepoints", "--level", "country"], ".png", b"\x89PNG"),
    (["exposure"], ".pdf", b"%PDF"),
    (["concentration"], ".png", b"\x89PNG"),
    (["timeline", "--from", "2025", "--to", "2028"], ".svg", b"<?xml"),
])
def test_plot_kinds_write_their_format(tmp_path: Path, args: list[str], suffix: str,
                                       magic: bytes) -> None:
    out = tmp_path / f"figure{suffix}"
    code, output = run("plot", *args, "--as-of", "2027-06-01", "--out", str(out))
    assert code == 0, output
    assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize(("args", "message"), [
    (["flow", "--out", "x.png"], "exactly one --platform"),
    (["timeline", "--out", "x.txt"], "write .png, .svg, .pdf"),
    (["bubbles", "--out", "x.png"], "bubbles"),
])
def test_plot_refuses_bad_requests(tmp_path: Path, args: list[str], message: str) -> None:
    code, output = run("plot", *args)
    assert code == 2
    assert message in " ".join(output.replace("│", " ").split())


def test_report_writes_one_html_page(tmp_path: Path) -> None:
    out = tmp_path / "brief.html"
    code, output = run("report", "--platform", "missile", "--as-of", "2027-06-01",
                       "--out", str(out))
    assert code == 0, output
    page = out.read_text(encoding="utf-8")
    assert "<title>oretrace briefing as of 2027-06-01</title>" in page
    assert page.count('<img src="data:image/png;base64,') == 6
