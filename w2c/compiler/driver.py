"""The compiler driver and public API: ``compile_model(model.pt) -> CompiledProgram``.

load + validate -> lower (traces) -> passes -> emit -> verify -> header with the verdict.
The emitted program's body does not depend on the verification result, only its header does,
so verifying the first rendering verifies the final file.

This module is torch-free: the network side (checkpoint loading, lowering, the model run by
verification) is imported inside the functions that need it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from w2c.compiler.ir import IR, Attend, SubMLP, Traces
from w2c.compiler.pipeline import (
    Context,
    Options,
    PipelineResult,
    build_passes,
    check_print_after,
    parse_pipeline,
    run_recorded,
)
from w2c.compiler.records import node_record
from w2c.compiler.result import TWIN, CompiledProgram, CompileReport, source_namespace
from w2c.contract import EXHAUSTIVE_BUDGET
from w2c.tasks import Task, task_from_record

if TYPE_CHECKING:
    from w2c.network.checkpoint import Checkpoint

TRACE_SAMPLES = 2048
# Exhaustive checks call the program once per sequence; NumPy fallbacks make each call ~1000x
# slower, so a partial program gets a smaller exhaustive budget (the property checks remain).
FALLBACK_EXHAUSTIVE_BUDGET = 2 * 10**3


def compile_model(
    model: str | Path | Checkpoint | Any,
    *,
    task: Task | None = None,
    passes: str | Sequence[str] | None = None,
    sr_backend: str = "library",
    print_after: Sequence[str] = (),
    verify: bool = True,
    seed: int = 0,
    trace_samples: int = TRACE_SAMPLES,
    numpy_twin: bool = False,
    progress: Callable[[str], None] | None = None,
) -> CompiledProgram:
    """Compile a checkpoint (path or loaded) to a verified program.

    ``model`` may also be a model in memory: what ``w2c.train`` returns, or one training run
    (with ``task``, the Task it was trained on). It is built and validated exactly as a saved
    checkpoint is, so it compiles to the same bytes as that file.

    ``numpy_twin`` adds ``program_numpy(xs)``, program() vectorised over a batch; verification
    then also checks that it agrees with program().
    """
    say = progress or (lambda _message: None)
    check_backend(sr_backend)
    checkpoint = load_model(model, task)
    resolved, correctness_source = task_for(checkpoint, task)
    names = pipeline_names(passes, print_after)
    say(f"lowering {checkpoint.task_name} ({trace_samples} traced sequences)")
    ir, traces = lower_model(checkpoint, resolved, trace_samples, seed)
    options = Options(sr_backend=sr_backend, seed=seed, numpy_twin=numpy_twin)
    context = Context(traces, resolved, checkpoint.model_hash, names)
    say(f"running passes: {', '.join(names)}")
    result = run_recorded(ir, context, build_passes(names, options), print_after)
    final, verification, verify_seconds = result.ir, None, 0.0
    if verify:
        start = time.perf_counter()
        verification = verify_program(final, checkpoint, resolved, seed, say)
        verify_seconds = time.perf_counter() - start
        final = with_header(final, context, verification.lines(), numpy_twin)
    report = compile_report(checkpoint.task_name, context, ir, result, verification)
    report = replace(report, verify_seconds=verify_seconds, correctness_source=correctness_source)
    return CompiledProgram(final.source or "", final, report, traces)


# --------------------------------------------------------------------------------------------
# The stages
# --------------------------------------------------------------------------------------------


def check_backend(name: str) -> None:
    """An unknown or unusable SR backend is bad input, reported before any work."""
    from w2c.errors import InputError
    from w2c.sr.api import BACKENDS, available_backends

    if name not in BACKENDS:
        raise InputError(f"unknown SR backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if name != "library":
        reason = available_backends()[name]
        if reason is not None:
            raise InputError(f"SR backend {name!r} is not usable here: {reason}")


def load_model(model: Any, task: Task | None) -> Checkpoint:
    """A path, a loaded Checkpoint, or a model in memory (w2c.train's outcome or one run)."""
    from w2c.network.checkpoint import Checkpoint, from_memory, load

    if isinstance(model, Checkpoint):
        return model
    if isinstance(model, (str, Path)):
        return load(model)
    return from_memory(model, task)


def task_for(checkpoint: Checkpoint, task: Task | None) -> tuple[Task, str]:
    """The task to verify against, and a line saying where its oracle came from."""
    from w2c.network.checkpoint import resolve_task

    resolved = resolve_task(checkpoint, task)
    if resolved is not None:
        source = "--task" if task is not None else "corpus"
        return resolved, f"oracle from the {source} task {resolved.name}"
    reason = "no oracle: a user task's checkpoint; pass --task FILE.py:VAR to check correctness"
    return task_from_record(checkpoint.task), reason


def pipeline_names(
    passes: str | Sequence[str] | None, print_after: Sequence[str]
) -> tuple[str, ...]:
    """The passes to run (emit appended when missing); ``print_after`` checked against them."""
    names = parse_pipeline(
        passes if isinstance(passes, str) or passes is None else ",".join(passes)
    )
    if "emit" not in names:
        names = (*names, "emit")
    check_print_after(print_after, names)
    return names


def lower_model(checkpoint: Checkpoint, task: Task, samples: int, seed: int) -> tuple[IR, Traces]:
    from w2c.network.lower import lower

    return lower(checkpoint, task, samples=samples, seed=seed)


def verify_program(
    ir: IR, checkpoint: Checkpoint, task: Task, seed: int, say: Callable[[str], None]
) -> Any:
    """The emitted program (and its twin) checked against the task and the model."""
    from w2c.verify import verify as run_verification

    assert ir.source is not None
    namespace = source_namespace(ir.source, checkpoint.task_name)
    program, twin = namespace["program"], namespace.get(TWIN)
    rules = _rules(ir)
    rule = None  # checked symbolically only when every output's rule is over the task symbols
    if rules is not None and all(_pure(r) for r in rules):
        rule = rules[0] if len(rules) == 1 else rules
    partial = bool(fallback_names(ir))
    say("verifying the program")
    return run_verification(
        program,
        task,
        model=checkpoint.model,
        rule=rule,
        source=ir.source,
        exhaustive_budget=FALLBACK_EXHAUSTIVE_BUDGET if partial else EXHAUSTIVE_BUDGET,
        property_examples=100 if partial else 300,
        seed=seed,
        twin=twin,
        progress=say,
    )


def with_header(ir: IR, context: Context, verification: Sequence[str], numpy_twin: bool) -> IR:
    """The program re-rendered with the verification verdict in its header."""
    from w2c.codegen.program import render

    return replace(ir, source=render(ir, context, verification, numpy_twin=numpy_twin))


def compile_report(
    task_name: str, context: Context, lowered: IR, result: PipelineResult, verification: Any
) -> CompileReport:
    """The report of a run (verification timing and the oracle's source are filled in after)."""
    final = result.ir
    return CompileReport(
        task=task_name,
        model_hash=context.model_hash,
        pipeline=context.pipeline,
        timings=result.timings,
        verify_seconds=0.0,
        rule=rule_text(final),
        fallbacks=fallback_names(final),
        nodes=tuple(node_record(node) for node in final.nodes),
        verification=verification,
        correctness_source="",
        snapshots=result.snapshots,
        stages=(("lower", lowered), *result.stages),
        constants=constants_label(final),
    )


def fallback_names(ir: IR) -> tuple[str, ...]:
    return tuple(n.name for n in ir.nodes if isinstance(n.op, (Attend, SubMLP)))


def _rules(ir: IR) -> tuple[Any, ...] | None:
    """Each output's simplified rule, in output order (None until simplify has set them all)."""
    rules = tuple(getattr(ir.node(o).op, "rule", None) for o in ir.outputs)
    return None if any(rule is None for rule in rules) else rules


def rule_text(ir: IR) -> str | None:
    """The report's rule: ``str(rule)`` for one output, ``lo[t] = ...; hi[t] = ...`` for
    several (None until simplify has run)."""
    rules = _rules(ir)
    if rules is None:
        return None
    if len(rules) == 1:
        return str(rules[0])
    return "; ".join(f"{o}[t] = {r}" for o, r in zip(ir.outputs, rules, strict=True))


def constants_label(ir: IR) -> str | None:
    """``exact`` when every output's rule has only exact constants, ``inexact`` when any keeps a
    float (docs/compiler.md, "Exact constants"); None until simplify has set every rule."""
    if _rules(ir) is None:
        return None
    labels = {ir.node(o).evidence.get("constants") for o in ir.outputs}
    return "inexact" if "inexact" in labels else "exact"


def _pure(rule: Any) -> bool:
    from w2c.compiler.algebra import pure

    return bool(pure(rule))
