"""The torch-free compiler core: IR, reference interpreter, pass manager, algebra and driver.

``compile_model`` (w2c/compiler/driver.py) is the public entry point; the network side
(checkpoint loading, lowering, torch) is imported only inside it. See docs/compiler.md.
"""

from w2c.compiler.driver import (
    EXHAUSTIVE_BUDGET,
    FALLBACK_EXHAUSTIVE_BUDGET,
    TRACE_SAMPLES,
    check_backend,
    compile_model,
    load_model,
    task_for,
)
from w2c.compiler.records import node_record
from w2c.compiler.result import (
    TWIN,
    CompiledProgram,
    CompileReport,
    program_from_source,
    source_namespace,
)

__all__ = [
    "EXHAUSTIVE_BUDGET",
    "FALLBACK_EXHAUSTIVE_BUDGET",
    "TRACE_SAMPLES",
    "TWIN",
    "CompileReport",
    "CompiledProgram",
    "check_backend",
    "compile_model",
    "load_model",
    "node_record",
    "program_from_source",
    "source_namespace",
    "task_for",
]
