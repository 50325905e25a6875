"""The ``restore`` command (being built; registered so that its module owns it)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the command to ``app`` (nothing yet)."""
