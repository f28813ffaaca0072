"""Verification of a compiled program (docs/verification.md).

``verify(program, task, model=...)`` answers two questions separately: **correctness** (the
program against the task's oracle and the extracted rule against the task's reference rule) and
**fidelity** (the program against the hardened model). The modules:

- :mod:`w2c.verify.verifier`: the orchestration (``verify``, the references, ``load_program``);
- :mod:`w2c.verify.symbolic`, :mod:`w2c.verify.exhaustive`, :mod:`w2c.verify.property`: the
  three methods;
- :mod:`w2c.verify.compare`: calling a program and the tolerances;
- :mod:`w2c.verify.report`: what was found (``Evidence``, ``Check``, ``VerificationReport``).

``render_test_file`` (the `--emit-tests` file) is :mod:`w2c.report.test_file`'s, re-exported here.

The verifier's names load on first use: the user-code child imports :mod:`w2c.verify.compare`
and must not pay for torch and sympy, which the verifier imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from w2c.verify.report import Check, Evidence, VerificationReport

if TYPE_CHECKING:
    from w2c.report.test_file import render_test_file
    from w2c.verify.verifier import (
        load_functions,
        load_program,
        model_reference,
        oracle_reference,
        program_source,
        twin_reference,
        verify,
    )

__all__ = [
    "Check",
    "Evidence",
    "VerificationReport",
    "load_functions",
    "load_program",
    "model_reference",
    "oracle_reference",
    "program_source",
    "render_test_file",
    "twin_reference",
    "verify",
]

_VERIFIER = {
    "load_functions",
    "load_program",
    "model_reference",
    "oracle_reference",
    "program_source",
    "twin_reference",
    "verify",
}


def __getattr__(name: str) -> Any:
    """The verifier's functions, imported (with torch and sympy) only when first used."""
    if name in _VERIFIER:
        from w2c.verify import verifier

        return getattr(verifier, name)
    if name == "render_test_file":  # documented here (docs/verification.md); it verifies nothing
        from w2c.report.test_file import render_test_file

        return render_test_file
    raise AttributeError(f"module 'w2c.verify' has no attribute {name!r}")
