"""`w2c inspect model.pt`: what a checkpoint holds, in text, JSON or PNG plots (docs/cli.md).

The summary, its text rendering and the plots are w2c/report/inspect_view.py's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from w2c.cli.app import existing_file


def register(app: typer.Typer) -> None:
    """Attach `inspect` to the main app."""
    app.command("inspect")(inspect_command)


def inspect_command(
    model: Annotated[Path, typer.Argument(help="A model.pt checkpoint.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write PNG plots into this folder (its parent must exist)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing plot files.")] = False,
) -> None:
    """Show a checkpoint: task, sizes, training, read pointers, each head's routing and fits."""
    from w2c.errors import InputError
    from w2c.report import model_view
    from w2c.report.inspect_view import INSPECT_SAMPLES, render_text, summarise, write_plots

    existing_file(model, "model")
    if plot is not None and not (plot.parent if str(plot.parent) else Path(".")).is_dir():
        raise InputError(f"plot folder's parent does not exist: {plot.parent}")
    if plot is not None and plot.exists() and not plot.is_dir():
        raise InputError(f"plot path exists and is not a folder: {plot}")
    seen = model_view.view(model, samples=INSPECT_SAMPLES)
    summary = summarise(model, seen)
    if plot is not None:
        summary["plots"] = [str(p) for p in write_plots(plot, summary, seen, force, model)]
    typer.echo(json.dumps(summary, indent=2, sort_keys=True) if as_json else render_text(summary))
