"""emit: build the program module with libcst and format it with black.

The pass is thin: the program, its NumPy twin, the runtime helpers and the header are built by
``w2c.codegen`` (w2c/codegen/program.py), each op kind emitting itself (``Op.emit``).
"""

from __future__ import annotations

from dataclasses import replace

from w2c.codegen.header import UNVERIFIED
from w2c.codegen.program import count_fallbacks, render
from w2c.compiler.ir import IR
from w2c.compiler.pipeline import Context, Pass

__all__ = ["PASS", "UNVERIFIED", "count_fallbacks", "render"]


def run(ir: IR, context: Context) -> IR:
    return replace(ir, source=render(ir, context))


PASS = Pass("emit", run, __doc__.splitlines()[0])
