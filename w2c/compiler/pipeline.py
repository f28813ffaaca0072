"""The pass manager: a pipeline is a list of passes; each pass is a pure IR -> IR function.

Passes live in ``passes/`` (the package ``w2c.passes``), one module each, and declare
``PASS = TheirPassClass``: a frozen dataclass whose fields are the pass's options (the shape of
xDSL's ``ModulePass``). ``build_passes`` makes instances from the CLI's ``Options``;
``run_pipeline`` runs them in order and calls ``after_pass`` between passes, which is how
``--print-ir-after`` and ``--timings`` observe the pipeline. Adding a pass is adding a module
and a registry line.
"""

from __future__ import annotations

import importlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from w2c.compiler.ir import IR, Traces
from w2c.errors import InputError
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
    """The CLI's flags; each pass takes the ones it needs as its own fields (``configured``)."""

    sr_backend: str = "library"
    sr_time_limit: float = 2.0
    attention_threshold: float = 0.99
    seed: int = 0
    numpy_twin: bool = False


@dataclass(frozen=True)
class Context:
    """Read-only facts every pass may use: the traces, the task's domains and provenance."""

    traces: Traces
    task: Task
    model_hash: str = ""
    pipeline: tuple[str, ...] = DEFAULT_PIPELINE


@dataclass(frozen=True)
class Pass(ABC):
    """One compiler pass: ``run(ir, context) -> ir``, pure; its options are its fields."""

    name: ClassVar[str]

    @classmethod
    def configured(cls, options: Options) -> Pass:
        """The pass with its fields taken from the CLI's options (no options: the defaults)."""
        return cls()

    @classmethod
    def summary(cls) -> str:
        """The first line of the pass's docstring (``--passes`` help and ``w2c inspect``)."""
        return (cls.__doc__ or cls.name).strip().splitlines()[0]

    @abstractmethod
    def run(self, ir: IR, context: Context) -> IR: ...


def registry() -> dict[str, type[Pass]]:
    """Every known pass class by name."""
    found: dict[str, type[Pass]] = {}
    for module_name in PASS_MODULES:
        module = importlib.import_module(f"w2c.passes.{module_name}")
        item: type[Pass] = module.PASS
        found[item.name] = item
    return found


def build_passes(names: Sequence[str], options: Options | None = None) -> tuple[Pass, ...]:
    """The named passes, configured from ``options`` (unknown name: exit 2)."""
    known = registry()
    for name in names:
        if name not in known:
            raise InputError(f"unknown pass {name!r}; passes: {', '.join(known)}")
    return tuple(known[name].configured(options or Options()) for name in names)


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


AfterPass = Callable[[Pass, IR, float], None]  # (the pass, the IR after it, its seconds)


def run_pipeline(ir: IR, context: Context, passes: Sequence[Pass], after_pass: AfterPass) -> IR:
    """Run ``passes`` in order, calling ``after_pass`` after each one."""
    for item in passes:
        start = time.perf_counter()
        ir = item.run(ir, context)
        after_pass(item, ir, time.perf_counter() - start)
    return ir


@dataclass(frozen=True)
class PipelineResult:
    ir: IR
    timings: tuple[tuple[str, float], ...]
    snapshots: tuple[tuple[str, str], ...]  # (pass name, str(ir) after it)
    stages: tuple[tuple[str, IR], ...] = ()  # (pass name, IR after it), every pass (reports)


def run_recorded(
    ir: IR,
    context: Context,
    passes: Sequence[Pass],
    print_after: Sequence[str] = (),
) -> PipelineResult:
    """Run the passes, recording each one's seconds and IR, and the text of the IR after the
    passes ``print_after`` names (or "all"): the compile report's view of the pipeline."""
    check_print_after(print_after, [item.name for item in passes])
    wanted = set(print_after)
    timings: list[tuple[str, float]] = []
    snapshots: list[tuple[str, str]] = []
    stages: list[tuple[str, IR]] = []

    def record(item: Pass, after: IR, seconds: float) -> None:
        timings.append((item.name, seconds))
        stages.append((item.name, after))
        if "all" in wanted or item.name in wanted:
            snapshots.append((item.name, str(after)))

    final = run_pipeline(ir, context, passes, record)
    return PipelineResult(final, tuple(timings), tuple(snapshots), tuple(stages))
