"""Commands of the synth family (filled in by its issue)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this family's commands to ``app``."""
