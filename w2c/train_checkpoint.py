"""Train a task into a saved checkpoint: the library side of `w2c train` and `w2c corpus train`.

``train_and_save`` runs the model search (w2c/network/search.py: one plan for every task,
attempts on local processes or Ray, accepted in plan order when exact and clean), shows it on
stderr, and saves the delivered model atomically with the search in its training record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from w2c.network.clean import compiles_cleanly

if TYPE_CHECKING:
    from w2c.tasks import Task

__all__ = ["SearchOptions", "compiles_cleanly", "train_and_save"]


@dataclass(frozen=True)
class SearchOptions:
    """The flags every training command shares (docs/cli.md, "w2c train")."""

    seed: int = 0
    steps: int | None = None
    jobs: int = 2
    budget: float = 600.0
    quiet: bool = False
    executor: str = "local"
    ray_address: str | None = None


def train_and_save(
    spec: str,
    output: Path,
    force: bool,
    options: SearchOptions,
    loaded: Task | None = None,
) -> str:
    """Search a model for the task named by ``spec`` (``loaded``, when the caller has it) and
    save it to ``output``; returns a summary line.

    An exact model that never compiled cleanly is saved too, then CheckFailed (exit 1) says
    so; with no exact model nothing is saved. Either way the attempts are listed on stderr.
    """
    import typer

    import w2c
    from w2c.errors import CheckFailed
    from w2c.fileio import check_outputs
    from w2c.network import checkpoint
    from w2c.network.search import check_search_arguments, train
    from w2c.task_loader import load_task, task_file

    check_search_arguments(options.jobs, options.budget, options.executor, options.ray_address)
    check_outputs([output], force, inputs=filter(None, [task_file(spec)]))
    task = loaded or load_task(spec)
    outcome = train(
        task,
        options.seed,
        options.steps,
        jobs=options.jobs,
        budget=options.budget,
        progress=not options.quiet,
        require_exact=False,
        executor=options.executor,
        ray_address=options.ray_address,
    )
    summary = outcome.summary(task.name)
    if not outcome.clean:
        typer.echo(f"w2c: {task.name}: what the search tried:", err=True)
        for line in outcome.listing():
            typer.echo(f"  {line}", err=True)
    if not outcome.passed:
        raise CheckFailed(summary)
    data = checkpoint.build(outcome.best.model, task, outcome.training_record(), w2c.__version__)
    checkpoint.save(data, output, force=force)
    if not outcome.clean:
        raise CheckFailed(f"{summary} -> {output}")
    return f"{summary}: {outcome.best.exactness.describe()} -> {output}"
