"""`w2c train` and `w2c corpus train`: train until exact, save checkpoints atomically."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from w2c.cli import app, corpus_app

if TYPE_CHECKING:
    from w2c.tasks import Task


def _progress_hooks(quiet: bool, total_steps: int):  # type: ignore[no-untyped-def]
    """A rich progress bar on stderr showing the paper's training-dynamics quantities."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if quiet:
        return None, None, None, None
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("step {task.completed}/{task.total}"),
        TextColumn("τ={task.fields[tau]} soft={task.fields[soft]} hard={task.fields[hard]}"),
        TextColumn("Δ={task.fields[delta]} agree={task.fields[agree]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    state: dict[str, object] = {}

    def on_attempt(index: int, size, seed: int) -> None:  # type: ignore[no-untyped-def]
        if "bar" in state:
            progress.remove_task(state["bar"])  # type: ignore[arg-type]
        state["bar"] = progress.add_task(
            f"attempt {index + 1} ({size.describe()}, seed {seed})",
            total=total_steps,
            tau="-",
            soft="-",
            hard="-",
            delta="-",
            agree="-",
        )

    def on_log(entry: dict) -> None:  # type: ignore[type-arg]
        progress.update(
            state["bar"],  # type: ignore[arg-type]
            completed=entry["step"] + 1,
            tau=f"{entry['tau']:.3g}",
            soft=f"{entry['soft']:.2e}",
            hard=f"{entry['hard']:.2e}",
            delta=f"{entry['hard'] - entry['soft']:+.1e}",
            agree=f"{entry['agreement']:.2f}",
        )

    def on_result(result) -> None:  # type: ignore[no-untyped-def]
        progress.console.print(
            f"  attempt: {result.exactness.describe()} "
            f"({'exact' if result.exactness.passed else 'not exact'}, {result.seconds:.1f} s)"
        )

    return progress, on_attempt, on_log, on_result


def compiles_cleanly(result, task) -> bool:  # type: ignore[no-untyped-def]
    """Does this exact run compile to a rule over the task's symbols, with no fallback?"""
    import w2c
    from w2c.compiler import compile_model
    from w2c.network import checkpoint
    from w2c.network.train import TrainOutcome, training_record
    from w2c.passes.simplify import pure

    outcome = TrainOutcome(result, [], result.seconds)
    data = checkpoint.build(result.model, task, training_record(outcome), w2c.__version__)
    compiled = compile_model(checkpoint.validate(data), task=task, verify=False)
    rule = compiled.report.rule
    output = compiled.ir.node(compiled.ir.output).op
    return not compiled.report.fallbacks and rule is not None and bool(pure(output.rule))


def train_and_save(
    spec: str,
    output: Path,
    force: bool,
    seed: int,
    steps: int | None,
    quiet: bool,
    require_clean: bool = False,
    loaded: Task | None = None,
) -> str:
    """Train the task named by ``spec`` (``loaded``, when the caller has it) and save it to
    ``output``; returns a summary line."""
    import w2c
    from w2c.fileio import check_outputs
    from w2c.network import checkpoint
    from w2c.network.train import recipe_for, train, training_record
    from w2c.task_loader import load_task, task_file

    check_outputs([output], force, inputs=filter(None, [task_file(spec)]))
    task = loaded or load_task(spec)
    if not task.has_oracle:
        raise w2c.errors.InputError(f"task {task.name} has no oracle to train on")
    recipe = recipe_for(task)
    total = steps or recipe.settings.steps
    progress, on_attempt, on_log, on_result = _progress_hooks(quiet, total)
    if progress is not None:
        progress.start()
    try:
        outcome = train(
            task,
            recipe,
            seed=seed,
            steps=steps,
            on_log=on_log,
            on_attempt=on_attempt,
            on_result=on_result,
            accept=(lambda result: compiles_cleanly(result, task)) if require_clean else None,
        )
    finally:
        if progress is not None:
            progress.stop()
    data = checkpoint.build(outcome.best.model, task, training_record(outcome), w2c.__version__)
    checkpoint.save(data, output, force=force)
    return (
        f"{task.name}: {outcome.best.exactness.describe()} after {len(outcome.attempts)} "
        f"attempt(s), {outcome.total_seconds:.1f} s -> {output}"
    )


@app.command("train")
def train_command(
    task: Annotated[str, typer.Argument(help="Corpus task name, or FILE.py:VAR naming a Task.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Checkpoint path [default: ./TASK.pt]")
    ] = None,
    seed: Annotated[int, typer.Option(help="Base seed of the restart plan.")] = 0,
    steps: Annotated[int | None, typer.Option(help="Annealing steps per attempt.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train a Discrete Transformer on TASK until the hardened model is exact; save model.pt."""
    from w2c.fileio import check_outputs
    from w2c.task_loader import load_task, task_file

    if output is not None:  # refused before the task file is even imported
        check_outputs([output], force, inputs=filter(None, [task_file(task)]))
    loaded = load_task(task)
    target = output if output is not None else Path(f"{loaded.name}.pt")
    typer.echo(train_and_save(task, target, force, seed, steps, quiet, loaded=loaded))


@corpus_app.command("train")
def corpus_train_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for the checkpoints.")] = Path(
        "models"
    ),
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Train just these tasks (repeatable).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Base seed of every task's restart plan.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Regenerate the corpus checkpoints (into ./models by default, never into site-packages).

    Corpus models must also compile without fallbacks: an exact run whose heads follow no known
    pattern does not end the restarts (the first exact run is kept if none compiles cleanly).
    A task that never gets exact is reported and skipped; the others still train (exit 1).
    """
    from w2c.corpus import TASKS
    from w2c.errors import CheckFailed, InputError
    from w2c.fileio import check_outputs, ensure_output_dir

    names = list(only) if only else sorted(TASKS)
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        raise InputError(f"unknown corpus task {unknown[0]!r}")
    folder = ensure_output_dir(out)
    targets = {name: folder / f"{name}.pt" for name in names}
    check_outputs(targets.values(), force)  # refuse before any training, not after hours of it
    failed = []
    for name, target in targets.items():
        try:
            typer.echo(train_and_save(name, target, force, seed, None, quiet, require_clean=True))
        except CheckFailed as exc:  # the other tasks still train; the exit code says it
            typer.echo(f"w2c: {exc}", err=True)
            failed.append(name)
    if failed:
        raise CheckFailed(
            f"{len(failed)} of {len(names)} corpus task(s) never reached the bar: "
            f"{', '.join(failed)}"
        )
