"""`w2c causal` command registration (placeholder until the causal frontend lands)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the causal command(s) to the main app."""
