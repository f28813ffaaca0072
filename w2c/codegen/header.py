"""The program's texts: the module header (task, model, pipeline, rule, verdict) and the
docstrings of ``program`` and ``program_numpy``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from w2c.compiler.ir import IR, TaskInfo

UNVERIFIED = ("Verification: not run yet.",)
HEADER_WIDTH = 100  # the emitted file stays within the project's line length (ruff E501)


def header_text(
    ir: IR, context: Any, verification: Sequence[str], fallbacks: int, numpy_twin: bool
) -> str:
    from w2c import __version__

    lines = [
        f"Program compiled by w2c {__version__} from a Discrete Transformer.",
        "",
        f"Task: {ir.task.name}",
        f"Model sha256: {context.model_hash or 'unknown'}",
        f"Pipeline: {', '.join(context.pipeline)}",
    ]
    for output in ir.outputs:  # one update rule per output
        rule = ir.node(output).op.rule  # type: ignore[union-attr]
        lines.append(f"Update rule: {output}[t] = {rule if rule is not None else 'not simplified'}")
    floats = sorted(
        {f for output in ir.outputs for f in ir.node(output).evidence.get("float_constants") or ()}
    )
    if floats:  # simplify found no exact form for them (docs/compiler.md, "Exact constants")
        lines.append(
            f"Constants: INEXACT: {len(floats)} float constant(s) kept in the rule; no fraction"
            " passed the exactness rules (docs/compiler.md, Exact constants)."
        )
    if fallbacks:
        lines.append(
            f"PARTIAL: {fallbacks} unresolved node(s) are embedded as marked NumPy fallbacks."
        )
    if numpy_twin:
        lines.append("NumPy twin: program_numpy(xs) runs program() over a batch (--numpy-twin).")
    lines += ["", *verification]
    return "\n".join(wrapped for line in lines for wrapped in _wrap(line))


def _wrap(line: str) -> list[str]:
    """One header line as lines of at most HEADER_WIDTH, continuations indented 4 more."""
    if len(line) <= HEADER_WIDTH:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()))
    return textwrap.wrap(
        line,
        HEADER_WIDTH,
        initial_indent="",
        subsequent_indent=indent + "    ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [line]


def program_doc(ir: IR, round_feedback: bool = False) -> str:
    task = ir.task
    if len(task.channels) == 1:
        shape = "a sequence of numbers, one per position"
    else:
        shape = f"a sequence of tuples ({', '.join(task.channels)}), one per position"
    several = len(task.outputs) > 1
    feedback = ""
    if task.feedback:
        if several:
            feedback = "\n    Outputs are fed back: each output at t-1 is this function's own"
            feedback += " previous output"
        else:
            feedback = "\n    Outputs are fed back: y[t-1] is this function's own previous output"
        feedback += (
            f",\n    {_grid_words(task.grid)} as the model was run (its rule is not exact)."
            if round_feedback
            else "."
        )
    returns = "the list of outputs y[0..T-1]; reads before the start of the sequence"
    if several:
        returns = (
            f"the list of output tuples ({', '.join(task.outputs)}), one per position;\n"
            "    reads before the start of the sequence"
        )
    return (
        f"The outputs of {task.name} for the input sequence xs.\n\n"
        f"    xs: {shape}, any length.\n"
        f"    Returns {returns} are 0.{feedback}"
    )


def _grid_words(grid: int | None) -> str:
    """How fed-back outputs are put on the task's grid."""
    return "rounded to the nearest integer" if grid == 1 else f"rounded to the nearest 1/{grid}"


def twin_doc(task: TaskInfo, shape: str, vectorised: bool, result: str = "(batch, T)") -> str:
    how = (
        "vectorised over the batch, one time step at a time"
        if vectorised
        else "by calling program() on each sequence (this program keeps helper nodes)"
    )
    return (
        f"NumPy twin of program(): the outputs of {task.name} for a batch of sequences.\n\n"
        f"    xs: an array of shape {shape}. Returns a float64 array of shape {result},\n"
        f"    computed {how}.\n"
        "    Imports NumPy; program() itself needs only the standard library."
    )
