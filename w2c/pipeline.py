"""The pass manager: a pipeline is a list of pass names; each pass is a pure IR -> IR function.

Passes live in ``passes/`` (the package ``w2c.passes``), one module each, and declare
``PASS = Pass(name, run, doc)``. The manager runs them in order, times each, and snapshots the
IR after any pass the user asked to print. Adding a pass is adding a module and a registry line.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from w2c.errors import InputError
from w2c.ir import IR
from w2c.network.lower import Traces
from w2c.tasks import Task

# Every pass module, in the default pipeline's order (a pass named in --passes must be here).
PASS_MODULES = (
    "infer_domains",
    "attention_patterns",
    "prune",
    "mlp_symbolic",
    "simplify",
    "emit",
)
DEFAULT_PIPELINE = PASS_MODULES


@dataclass(frozen=True)
class Options:
    """Knobs shared by the passes (CLI flags)."""

    sr_backend: str = "library"
    sr_time_limit: float = 2.0
    attention_threshold: float = 0.99
    seed: int = 0
    numpy_twin: bool = False


@dataclass(frozen=True)
class Context:
    """Read-only facts every pass may use: traces, the task's domains, options, provenance."""

    traces: Traces
    task: Task
    options: Options = field(default_factory=Options)
    model_hash: str = ""
    pipeline: tuple[str, ...] = DEFAULT_PIPELINE


@dataclass(frozen=True)
class Pass:
    name: str
    run: Callable[[IR, Context], IR]
    doc: str


def registry() -> dict[str, Pass]:
    """Every known pass by name."""
    found: dict[str, Pass] = {}
    for module_name in PASS_MODULES:
        module = importlib.import_module(f"w2c.passes.{module_name}")
        item: Pass = module.PASS
        found[item.name] = item
    return found


def parse_pipeline(text: str | None) -> tuple[str, ...]:
    """``a,b,c`` -> names, checked against the registry (unknown name: exit 2)."""
    if text is None:
        return DEFAULT_PIPELINE
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise InputError("--passes needs at least one pass name")
    known = registry()
    for name in names:
        if name not in known:
            raise InputError(f"unknown pass {name!r}; passes: {', '.join(known)}")
    return names


def check_print_after(names: Sequence[str], pipeline: Sequence[str] | None = None) -> None:
    """Every ``--print-ir-after`` name is a known pass (or ``all``); else exit 2 listing them.

    With ``pipeline``, a known pass that the pipeline does not run is refused too (its IR would
    never be printed).
    """
    known = registry()
    for name in names:
        if name == "all":
            continue
        if name not in known:
            raise InputError(
                f"--print-ir-after: unknown pass {name!r}; passes: all, {', '.join(known)}"
            )
        if pipeline is not None and name not in pipeline:
            raise InputError(
                f"--print-ir-after: pass {name!r} is not in the pipeline ({', '.join(pipeline)})"
            )


@dataclass(frozen=True)
class PipelineResult:
    ir: IR
    timings: tuple[tuple[str, float], ...]
    snapshots: tuple[tuple[str, str], ...]  # (pass name, str(ir) after it)
    stages: tuple[tuple[str, IR], ...] = ()  # (pass name, IR after it), every pass (reports)


def run_pipeline(
    ir: IR,
    context: Context,
    names: Sequence[str] | None = None,
    print_after: Sequence[str] = (),
) -> PipelineResult:
    """Run the named passes in order; ``print_after`` names passes (or "all") to snapshot."""
    names = tuple(names) if names is not None else context.pipeline
    check_print_after(print_after, names)
    known = registry()
    timings: list[tuple[str, float]] = []
    snapshots: list[tuple[str, str]] = []
    stages: list[tuple[str, IR]] = []
    wanted = set(print_after)
    for name in names:
        if name not in known:
            raise InputError(f"unknown pass {name!r}; passes: {', '.join(known)}")
        start = time.perf_counter()
        ir = known[name].run(ir, context)
        timings.append((name, time.perf_counter() - start))
        stages.append((name, ir))
        if "all" in wanted or name in wanted:
            snapshots.append((name, str(ir)))
    return PipelineResult(ir, tuple(timings), tuple(snapshots), tuple(stages))
