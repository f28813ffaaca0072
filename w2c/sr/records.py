"""The two records of the SR API: what the caller knows about an operand, and what a fit found."""

from __future__ import annotations

from dataclasses import dataclass

import sympy


@dataclass(frozen=True)
class OperandDomain:
    """What the compiler knows about one operand of a sub-MLP.

    ``values`` is the finite value set when it is small (at most ~200 values), else None;
    ``lo``/``hi`` are the bounds seen or known; ``integer`` says every value is an integer, which
    enables the floor/mod features (they are used only if the samples agree).
    """

    values: tuple[float, ...] | None
    lo: float
    hi: float
    integer: bool


@dataclass(frozen=True)
class Fit:
    """The expression chosen for one sub-MLP, with the evidence a report prints.

    ``max_abs_error`` and ``rmse`` are measured by evaluating ``expr`` on every given sample;
    ``complexity`` is the node count of ``expr``'s sympy tree (see docs/sr.md).
    """

    expr: sympy.Expr
    max_abs_error: float
    rmse: float
    samples: int
    complexity: int
    backend: str
    seconds: float
    candidates_tried: int
