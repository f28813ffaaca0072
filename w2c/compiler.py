"""The compiler driver and public API: ``compile_model(model.pt) -> CompiledProgram``.

load + validate -> lower (traces) -> passes -> emit -> verify -> header with the verdict.
The emitted program's body does not depend on the verification result, only its header does,
so verifying the first rendering verifies the final file.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from w2c.contract import EXHAUSTIVE_BUDGET
from w2c.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_PARTIAL
from w2c.ir import IR, Attend, Node, Output, SubMLP
from w2c.network.checkpoint import Checkpoint, load, resolve_task
from w2c.pipeline import (
    Context,
    Options,
    PipelineResult,
    check_print_after,
    parse_pipeline,
    run_pipeline,
)
from w2c.tasks import Task, task_from_record

TRACE_SAMPLES = 2048
# Exhaustive checks call the program once per sequence; NumPy fallbacks make each call ~1000x
# slower, so a partial program gets a smaller exhaustive budget (the property checks remain).
FALLBACK_EXHAUSTIVE_BUDGET = 2 * 10**3


@dataclass(frozen=True)
class CompileReport:
    """What happened: per-pass timings, each node's evidence, the rule, the verification."""

    task: str
    model_hash: str
    pipeline: tuple[str, ...]
    timings: tuple[tuple[str, float], ...]
    verify_seconds: float
    rule: str | None
    fallbacks: tuple[str, ...]
    nodes: tuple[dict[str, Any], ...]
    verification: Any  # w2c.verify_report.VerificationReport | None
    correctness_source: str  # where the oracle came from, or why there is none
    snapshots: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    # ("lower", initial IR), then (pass name, IR after it) for every pass: the HTML/JSON report
    stages: tuple[tuple[str, IR], ...] = field(default=(), repr=False, compare=False)

    @property
    def verified(self) -> bool:
        return self.verification is not None and bool(self.verification.passed)

    @property
    def exit_code(self) -> int:
        if self.verification is not None and not self.verification.passed:
            return EXIT_CHECK_FAILED
        if self.fallbacks:
            return EXIT_PARTIAL
        return EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "model_sha256": self.model_hash,
            "pipeline": list(self.pipeline),
            "timings": [{"pass": n, "seconds": round(s, 6)} for n, s in self.timings],
            "verify_seconds": round(self.verify_seconds, 6),
            "rule": self.rule,
            "fallbacks": list(self.fallbacks),
            "nodes": list(self.nodes),
            "verification": None if self.verification is None else self.verification.to_dict(),
            "correctness_source": self.correctness_source,
            "exit_code": self.exit_code,
        }


@dataclass(frozen=True)
class CompiledProgram:
    source: str
    ir: IR
    report: CompileReport
    traces: Any = field(default=None, repr=False, compare=False)  # network.lower.Traces (reports)

    @property
    def function(self) -> Callable[[Sequence[Any]], list[Any]]:
        """``program`` from the emitted source (w2c's own generated code)."""
        return program_from_source(self.source, self.report.task)

    @property
    def numpy_function(self) -> Callable[[Any], Any] | None:
        """``program_numpy`` (the vectorised twin) when compiled with ``numpy_twin=True``."""
        return program_from_source(self.source, self.report.task, TWIN)


TWIN = "program_numpy"


def source_namespace(source: str, name: str = "program") -> dict[str, Any]:
    """The globals of w2c's own emitted source, executed as a fresh module."""
    module = types.ModuleType(f"_w2c_compiled_{name}")
    exec(compile(source, f"<w2c program {name}>", "exec"), module.__dict__)
    return module.__dict__


def program_from_source(source: str, name: str = "program", function: str = "program") -> Any:
    """One function of w2c's own emitted source (None when the module does not define it)."""
    return source_namespace(source, name).get(function)


def node_record(node: Node) -> dict[str, Any]:
    """One node as JSON-able data (its evidence values as plain scalars, lists or strings)."""
    evidence = {
        k: (v if isinstance(v, (int, float, str, bool, list)) or v is None else str(v))
        for k, v in node.evidence.items()
    }
    return {
        "name": node.name,
        "op": node.op.describe(),
        "resolved": node.resolved,
        "domain": None if node.domain is None else node.domain.describe(),
        "evidence": evidence,
    }


def _node_record(ir: IR) -> tuple[dict[str, Any], ...]:
    return tuple(node_record(node) for node in ir.nodes)


def _fallback_names(ir: IR) -> tuple[str, ...]:
    return tuple(n.name for n in ir.nodes if isinstance(n.op, (Attend, SubMLP)))


def load_model(model: str | Path | Checkpoint) -> Checkpoint:
    return model if isinstance(model, Checkpoint) else load(model)


def task_for(checkpoint: Checkpoint, task: Task | None) -> tuple[Task, str]:
    """The task to verify against, and a line saying where its oracle came from."""
    resolved = resolve_task(checkpoint, task)
    if resolved is not None:
        source = "--task" if task is not None else "corpus"
        return resolved, f"oracle from the {source} task {resolved.name}"
    reason = "no oracle: a user task's checkpoint; pass --task FILE.py:VAR to check correctness"
    return task_from_record(checkpoint.task), reason


def compile_model(
    model: str | Path | Checkpoint,
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

    ``numpy_twin`` adds ``program_numpy(xs)``, program() vectorised over a batch; verification
    then also checks that it agrees with program().
    """
    from w2c.network.lower import lower
    from w2c.passes.emit import render

    say = progress or (lambda _message: None)
    check_backend(sr_backend)
    checkpoint = load_model(model)
    resolved, correctness_source = task_for(checkpoint, task)
    names = parse_pipeline(
        passes if isinstance(passes, str) or passes is None else ",".join(passes)
    )
    if "emit" not in names:
        names = (*names, "emit")
    check_print_after(print_after, names)
    say(f"lowering {checkpoint.task_name} ({trace_samples} traced sequences)")
    ir, traces = lower(checkpoint, resolved, samples=trace_samples, seed=seed)
    context = Context(
        traces,
        resolved,
        Options(sr_backend=sr_backend, seed=seed, numpy_twin=numpy_twin),
        checkpoint.model_hash,
        names,
    )
    say(f"running passes: {', '.join(names)}")
    result: PipelineResult = run_pipeline(ir, context, names, print_after)
    final = result.ir
    assert final.source is not None
    output = final.node(final.output).op
    rule = output.rule if isinstance(output, Output) else None
    verification = None
    verify_seconds = 0.0
    source = final.source
    if verify:
        import time

        from w2c.verify import verify as run_verification

        start = time.perf_counter()
        namespace = source_namespace(final.source, checkpoint.task_name)
        program, twin = namespace["program"], namespace.get(TWIN)
        say("verifying the program")
        verification = run_verification(
            program,
            resolved,
            model=checkpoint.model,
            rule=rule if rule is not None and _pure(rule) else None,
            exhaustive_budget=(
                FALLBACK_EXHAUSTIVE_BUDGET if _fallback_names(final) else EXHAUSTIVE_BUDGET
            ),
            property_examples=100 if _fallback_names(final) else 300,
            seed=seed,
            twin=twin,
            progress=say,
        )
        verify_seconds = time.perf_counter() - start
        source = render(final, context, verification.lines())
    final = replace(final, source=source)
    report = CompileReport(
        task=checkpoint.task_name,
        model_hash=checkpoint.model_hash,
        pipeline=names,
        timings=result.timings,
        verify_seconds=verify_seconds,
        rule=None if rule is None else str(rule),
        fallbacks=_fallback_names(final),
        nodes=_node_record(final),
        verification=verification,
        correctness_source=correctness_source,
        snapshots=result.snapshots,
        stages=(("lower", ir), *result.stages),
    )
    return CompiledProgram(source, final, report, traces)


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


def _pure(rule: Any) -> bool:
    from w2c.passes.simplify import pure

    return bool(pure(rule))
