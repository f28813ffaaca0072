"""The search's second bar: an exact model must also compile cleanly (docs/cli.md, "w2c train")."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from w2c.network.train import RunResult
    from w2c.tasks import Task


def compiles_cleanly(result: RunResult, task: Task) -> bool:
    """Does this exact run compile to a rule over the task's symbols, with no fallback?"""
    return clean_verdict(result, task) is None


def warm_up() -> None:
    """Import what judging an attempt needs, once, before the attempts' processes fork.

    Each child would otherwise import the compiler, its passes and the emitter itself (seconds
    on a busy machine, per attempt).
    """
    import w2c.codegen.program  # noqa: F401
    import w2c.compiler.algebra  # noqa: F401
    import w2c.network.lower  # noqa: F401
    import w2c.verify.exhaustive  # noqa: F401
    from w2c.compiler import compile_model  # noqa: F401
    from w2c.compiler.pipeline import registry

    registry()


def clean_verdict(result: RunResult, task: Task) -> str | None:
    """None when the run compiles cleanly, else why not (one short phrase)."""
    import w2c
    from w2c.compiler import compile_model
    from w2c.network import checkpoint
    from w2c.network.train import run_record
    from w2c.passes.simplify import pure

    data = checkpoint.build(result.model, task, run_record(result, 0.0, 1), w2c.__version__)
    compiled = compile_model(checkpoint.validate(data), task=task, verify=False)
    if compiled.report.fallbacks:
        return f"{len(compiled.report.fallbacks)} fallback(s)"
    outputs = [compiled.ir.node(o).op for o in compiled.ir.outputs]
    if compiled.report.rule is None or not all(pure(output.rule) for output in outputs):
        return "rule reads heads or sub-MLPs"
    return None
