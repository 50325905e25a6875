"""Commands that generate data: ``oretrace synth``, a synthetic industrial base by seed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from oretrace.cli import FormatOption, emit, state
from oretrace.cli._output import Format, check_writable, writing

__all__ = ["register", "summary"]


def summary(stats: dict[str, Any], out: Path) -> dict[str, Any]:
    """The figures ``oretrace synth`` reports about a generated network."""
    shares = stats["country_share"]
    return {
        "out": str(out),
        "facilities": stats["facilities"],
        "supplies": stats["supplies"],
        "needs": stats["needs"],
        "platforms": len(stats["platforms"]),
        "single_sourced_share": round(stats["single_sourced_share"], 4),
        "mean_suppliers_per_need": round(stats["mean_suppliers"], 2),
        "recycling_links": stats["recycling_links"],
        "dated_links": stats["dated_links"],
        "planned_facilities": stats["planned_facilities"],
        "cn_share_mine": round(shares["mine"]["CN"], 4),
        "cn_share_separation": round(shares["separation"]["CN"], 4),
        "cn_share_magnet": round(shares["magnet"]["CN"], 4),
    }


def register(app: typer.Typer) -> None:
    """Add ``oretrace synth`` to ``app``."""

    @app.command()
    def synth(
        ctx: typer.Context,
        out: Annotated[Path, typer.Option("--out", help="Directory to write the dataset to.",
                                          file_okay=False)],
        facilities: Annotated[int, typer.Option(
            "--facilities", min=60, help="Number of facilities.")] = 10_000,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the draw.")] = 0,
        suppliers: Annotated[float, typer.Option(
            "--suppliers", min=2.0,
            help="Mean suppliers of a multi-sourced need (links ≈ facilities × 2.3 × "
                 "(0.15 + 0.85 × suppliers)).")] = 3.0,
        single_sourced: Annotated[float, typer.Option(
            "--single-sourced", min=0.0, max=1.0,
            help="Share of needs with one supplier.")] = 0.15,
        platforms: Annotated[int | None, typer.Option(
            "--platforms", min=1, help="Platform types (default grows with --facilities).")
        ] = None,
        fmt: FormatOption = None,
    ) -> None:
        """Generate a synthetic multi-tier industrial base (deterministic by --seed).

        Stages as in the bundled data, country mix per stage after USGS and IEA shares,
        heavy-tailed supplier popularity, single sourcing, tier-skipping links, recycling
        loops and dated links; load it with ``oretrace --data DIR ...``.
        """
        from tqdm import tqdm

        from oretrace.loaders.synth import generate_network, write_network

        check_writable(out, directory=True)
        with tqdm(total=8, unit="table", desc="synth", disable=None) as bar:
            bar.set_postfix_str("drawing")
            net = generate_network(facilities, seed=seed, suppliers=suppliers,
                                   single_sourced=single_sourced, platforms=platforms)
            bar.set_postfix_str("writing")
            with writing(out):
                write_network(net, out, progress=lambda _rows: bar.update(1))
        figures = summary(net.stats, out)
        chosen = state(ctx).format(fmt)
        emit(figures if chosen is Format.JSON else
             [{"figure": k, "value": v} for k, v in figures.items()],
             chosen, title=f"Synthetic network (seed {seed})")
