"""emit: build the program module with libcst and format it with black.

The pass is thin: the program, its NumPy twin, the runtime helpers and the header are built by
``w2c.codegen`` (w2c/codegen/program.py), each op kind emitting itself (``Op.emit``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from w2c.codegen.header import UNVERIFIED
from w2c.codegen.program import count_fallbacks, render
from w2c.compiler.ir import IR
from w2c.compiler.pipeline import Context, Options, Pass

__all__ = ["PASS", "UNVERIFIED", "count_fallbacks", "render"]


@dataclass(frozen=True)
class Emit(Pass):
    """emit: build the program module with libcst and format it with black."""

    name: ClassVar[str] = "emit"
    numpy_twin: bool = False  # also emit program_numpy(xs), program() over a batch

    @classmethod
    def configured(cls, options: Options) -> Emit:
        return cls(numpy_twin=options.numpy_twin)

    def run(self, ir: IR, context: Context) -> IR:
        return replace(ir, source=render(ir, context, numpy_twin=self.numpy_twin))


PASS = Emit
