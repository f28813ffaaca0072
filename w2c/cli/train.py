"""`w2c train` and `w2c corpus train`: the model search, saved as checkpoints atomically.

The search and saving are w2c/train_checkpoint.py's; these commands check their targets first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from w2c.cli.app import group


def register(app: typer.Typer) -> None:
    """Attach `train` and `corpus train` to the main app."""
    app.command("train")(train_command)
    group(app, "corpus").command("train")(corpus_train_command)


Jobs = Annotated[int, typer.Option("--jobs", help="Attempts run at a time (processes).")]
Budget = Annotated[float, typer.Option("--budget", help="Seconds the search may take per task.")]
Seed = Annotated[int, typer.Option(help="Base seed of the search plan.")]
Executor = Annotated[
    str, typer.Option("--executor", help="Where attempts run: local (processes) or ray.")
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray-address", help="Ray cluster to join (auto, ray://HOST:10001).", show_default=False
    ),
]


def train_command(
    task: Annotated[str, typer.Argument(help="Corpus task name, or FILE.py:VAR naming a Task.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Checkpoint path [default: ./TASK.pt]")
    ] = None,
    seed: Seed = 0,
    steps: Annotated[int | None, typer.Option(help="Annealing steps per attempt.")] = None,
    jobs: Jobs = 2,
    budget: Budget = 600.0,
    executor: Executor = "local",
    ray_address: RayAddress = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Search for an exact Discrete Transformer of TASK that compiles cleanly; save model.pt."""
    from w2c.fileio import check_outputs
    from w2c.network.search import check_search_arguments
    from w2c.task_loader import load_task, task_file
    from w2c.train_checkpoint import SearchOptions, train_and_save

    check_search_arguments(jobs, budget, executor, ray_address)
    if output is not None:  # refused before the task file is even imported
        check_outputs([output], force, inputs=filter(None, [task_file(task)]))
    loaded = load_task(task)
    target = output if output is not None else Path(f"{loaded.name}.pt")
    options = SearchOptions(seed, steps, jobs, budget, quiet, executor, ray_address)
    typer.echo(train_and_save(task, target, force, options, loaded=loaded))


def corpus_train_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the checkpoints.")] = Path(
        "models"
    ),
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Train just these tasks (repeatable).")
    ] = None,
    seed: Seed = 0,
    jobs: Jobs = 2,
    budget: Budget = 600.0,
    executor: Executor = "local",
    ray_address: RayAddress = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Regenerate the corpus checkpoints (into ./models by default, never into site-packages).

    Every task runs the same model search as `w2c train`. A task with no exact and clean model
    is reported (its first exact model, if any, is still saved); the others still train, and
    the command then exits 1 naming it.
    """
    from w2c.corpus import TASKS
    from w2c.errors import CheckFailed, InputError
    from w2c.fileio import check_outputs, ensure_output_dir
    from w2c.network.search import check_search_arguments
    from w2c.train_checkpoint import SearchOptions, train_and_save

    check_search_arguments(jobs, budget, executor, ray_address)

    names = list(only) if only else sorted(TASKS)
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        raise InputError(f"unknown corpus task {unknown[0]!r}")
    folder = ensure_output_dir(out)
    targets = {name: folder / f"{name}.pt" for name in names}
    check_outputs(targets.values(), force)  # refuse before any training, not after hours of it
    options = SearchOptions(seed, None, jobs, budget, quiet, executor, ray_address)
    failed = []
    for name, target in targets.items():
        try:
            typer.echo(train_and_save(name, target, force, options))
        except CheckFailed as exc:  # the other tasks still train; the exit code says it
            typer.echo(f"w2c: {exc}", err=True)
            failed.append(name)
    if failed:
        raise CheckFailed(
            f"{len(failed)} of {len(names)} corpus task(s) never reached the bar: "
            f"{', '.join(failed)}"
        )
