"""`w2c corpus bench`: the corpus scoreboard (w2c/report/scoreboard.py) as one command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from w2c.cli.app import group

MARKDOWN_NAME = "scoreboard.md"
JSON_NAME = "scoreboard.json"


def register(app: typer.Typer) -> None:
    """Attach `corpus bench` to the main app."""
    group(app, "corpus").command("bench")(bench_command)


def bench_command(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for scoreboard.md and scoreboard.json.")
    ] = Path("scoreboard"),
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Just these tasks (repeatable).")
    ] = None,
    models: Annotated[
        Path | None,
        typer.Option("--models", help="Folder of <task>.pt checkpoints [default: the corpus's]."),
    ] = None,
    train: Annotated[
        bool,
        typer.Option("--train", help="Retrain every task into OUT/models first (slow)."),
    ] = False,
    seed: Annotated[int, typer.Option(help="Base seed of the search plans (--train).")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Train/compile/verify numbers for every corpus task: a Markdown and a JSON table."""
    from w2c.corpus import MODELS_DIR, TASKS
    from w2c.errors import InputError
    from w2c.fileio import ensure_output_dir, ensure_writable, write_text
    from w2c.report import scoreboard

    names = list(only) if only else sorted(TASKS)
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        raise InputError(f"unknown corpus task {unknown[0]!r}")
    if models is not None and not models.is_dir():
        raise InputError(f"models folder does not exist: {models}")
    folder = ensure_output_dir(out)
    targets = [ensure_writable(folder / n, force) for n in (MARKDOWN_NAME, JSON_NAME)]
    say = None if quiet else (lambda message: typer.echo(f"w2c: {message}", err=True))
    source = models if models is not None else MODELS_DIR
    if train:
        from w2c.train_checkpoint import SearchOptions, train_and_save

        source = ensure_output_dir(folder / "models")
        for name in names:
            ensure_writable(source / f"{name}.pt", force)
        for name in names:
            options = SearchOptions(seed=seed, quiet=quiet)
            line = train_and_save(name, source / f"{name}.pt", force, options)
            if say is not None:
                say(line)
    rows, missing = scoreboard.measure(names, source, say)
    board = scoreboard.document(rows, missing, "train" if train else "compile-only")
    table = scoreboard.markdown(board)
    write_text(targets[0], table, force)
    write_text(targets[1], json.dumps(board, indent=2, sort_keys=True) + "\n", force)
    typer.echo(table, nl=False)
    typer.echo(f"wrote {targets[0]} and {targets[1]}")
