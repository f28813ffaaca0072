"""`w2c bonds` command registration (placeholder until the CoT-bond frontend lands)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the bonds command group to the main app."""
