"""What a compile returns: the program's source, its final IR and the report of the run."""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from w2c.compiler.ir import IR
from w2c.errors import EXIT_CHECK_FAILED, EXIT_CHECKED, EXIT_OK, EXIT_PARTIAL


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
    verification: Any  # w2c.verify.report.VerificationReport | None
    correctness_source: str  # where the oracle came from, or why there is none
    snapshots: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    # ("lower", initial IR), then (pass name, IR after it) for every pass: the HTML/JSON report
    stages: tuple[tuple[str, IR], ...] = field(default=(), repr=False, compare=False)
    constants: str | None = None  # "exact" / "inexact" (simplify's verdict), None: no rule

    @property
    def verified(self) -> bool:
        """The verdict is VERIFIED: every check proved or exhaustive (docs/verification.md)."""
        return self.verification is not None and self.verification.verdict == "VERIFIED"

    @property
    def exit_code(self) -> int:
        """1 not verified > 3 partial > 4 checked > 0 verified (docs/cli.md)."""
        if self.verification is not None and not self.verification.passed:
            return EXIT_CHECK_FAILED
        if self.fallbacks:
            return EXIT_PARTIAL
        if self.verification is not None and self.verification.verdict == "CHECKED":
            return EXIT_CHECKED
        return EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "model_sha256": self.model_hash,
            "pipeline": list(self.pipeline),
            "timings": [{"pass": n, "seconds": round(s, 6)} for n, s in self.timings],
            "verify_seconds": round(self.verify_seconds, 6),
            "rule": self.rule,
            "constants": self.constants,
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
    traces: Any = field(default=None, repr=False, compare=False)  # w2c.compiler.ir.Traces

    @property
    def function(self) -> Callable[[Sequence[Any]], list[Any]]:
        """``program`` from the emitted source (w2c's own generated code)."""
        return program_from_source(self.source, self.report.task)

    @property
    def numpy_function(self) -> Callable[[Any], Any] | None:
        """``program_numpy`` (the vectorised twin) when compiled with ``numpy_twin=True``."""
        return program_from_source(self.source, self.report.task, TWIN)

    def to_dict(self) -> dict[str, Any]:
        """The compile as plain data: the report document of `w2c compile --report` (JSON)."""
        from w2c.report.compile_doc import compile_document

        return compile_document(self)

    def _repr_html_(self) -> str:
        """Jupyter: the program with its verdict, verification, heads and sub-MLP fits."""
        from w2c.report.notebook import compiled_html

        return compiled_html(self)


TWIN = "program_numpy"


def source_namespace(source: str, name: str = "program") -> dict[str, Any]:
    """The globals of w2c's own emitted source, executed as a fresh module."""
    module = types.ModuleType(f"_w2c_compiled_{name}")
    exec(compile(source, f"<w2c program {name}>", "exec"), module.__dict__)
    return module.__dict__


def program_from_source(source: str, name: str = "program", function: str = "program") -> Any:
    """One function of w2c's own emitted source (None when the module does not define it)."""
    return source_namespace(source, name).get(function)
