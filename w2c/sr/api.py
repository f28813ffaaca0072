"""``fit``: validate, dispatch to a backend, and measure the chosen expression on every sample."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import sympy

from w2c.errors import InputError
from w2c.sr import operon_backend, pysr_backend
from w2c.sr.exprs import complexity, evaluate, max_abs_and_rmse, normalise_floats
from w2c.sr.library import fit_library
from w2c.sr.records import Candidate, Fit, OperandDomain
from w2c.sr.samples import Problem, prepare

BACKENDS: dict[str, Callable[[Problem, float], Candidate]] = {
    "library": fit_library,
    "operon": operon_backend.fit_operon,
    "pysr": pysr_backend.fit_pysr,
}


def available_backends() -> dict[str, str | None]:
    """Each backend name -> None when usable here, else the reason it is not."""
    return {
        "library": None,
        "operon": operon_backend.unavailable_reason(),
        "pysr": pysr_backend.unavailable_reason(),
    }


def fit(
    inputs: np.ndarray,
    outputs: np.ndarray,
    symbols: Sequence[sympy.Symbol],
    domains: Sequence[OperandDomain],
    *,
    backend: str = "library",
    tolerance: float | None = None,
    seed: int = 0,
    time_limit: float = 2.0,
) -> Fit:
    """The simplest expression over ``symbols`` that fits (inputs, outputs) within tolerance.

    When nothing fits, the most accurate expression found is returned; ``max_abs_error`` says so.
    """
    start = time.monotonic()
    if backend not in BACKENDS:
        raise InputError(f"unknown SR backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not (np.isfinite(time_limit) and time_limit > 0):
        raise InputError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    problem = prepare(inputs, outputs, symbols, domains, tolerance, seed)
    candidate = BACKENDS[backend](problem, float(time_limit))
    expr = normalise_floats(sympy.sympify(candidate.expr))
    error, rmse = max_abs_and_rmse(evaluate(expr, problem.symbols, problem.x_all), problem.y_all)
    return Fit(
        expr=expr,
        max_abs_error=error,
        rmse=rmse,
        samples=len(problem.y_all),
        complexity=complexity(expr),
        backend=backend,
        seconds=time.monotonic() - start,
        candidates_tried=candidate.tried,
    )
