"""Train a task into a saved checkpoint: the library side of `w2c train` and `w2c corpus train`.

``train_and_save`` trains until the hardened model is exact (w2c.train), shows the paper's
training-dynamics quantities on a progress bar on stderr, and saves the checkpoint atomically;
``compiles_cleanly`` is the extra bar a corpus model must pass (docs/cli.md, "w2c corpus train").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from w2c.tasks import Task


def progress_hooks(quiet: bool, total_steps: int):  # type: ignore[no-untyped-def]
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
    outputs = [compiled.ir.node(o).op for o in compiled.ir.outputs]
    return (
        not compiled.report.fallbacks
        and rule is not None
        and all(bool(pure(output.rule)) for output in outputs)
    )


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
    progress, on_attempt, on_log, on_result = progress_hooks(quiet, total)
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
