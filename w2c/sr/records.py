"""The two records of the SR API: what the caller knows about an operand, and what a fit found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sympy

#: The largest value set kept as ``OperandDomain.values``.
MAX_VALUES = 200


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

    @classmethod
    def finite(cls, values: Iterable[float]) -> OperandDomain:
        """A finite value set (kept as ``values`` when it has at most MAX_VALUES elements)."""
        unique = sorted({float(v) for v in values})
        if not unique:
            raise ValueError("a finite domain needs at least one value")
        whole = all(v.is_integer() for v in unique)
        kept = tuple(unique) if len(unique) <= MAX_VALUES else None
        return cls(kept, unique[0], unique[-1], whole)

    @classmethod
    def integers(cls, lo: int, hi: int) -> OperandDomain:
        """The integers lo <= v < hi (like w2c.tasks.IntRange)."""
        if hi - lo > MAX_VALUES:
            return cls(None, float(lo), float(hi - 1), True)
        return cls.finite(range(lo, hi))

    @classmethod
    def bits(cls) -> OperandDomain:
        return cls.finite((0, 1))

    @classmethod
    def interval(cls, lo: float, hi: float) -> OperandDomain:
        """A real interval [lo, hi]."""
        return cls(None, float(lo), float(hi), False)


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


@dataclass(frozen=True)
class Candidate:
    """What a backend proposes (internal): w2c.sr.api measures it on every sample."""

    expr: sympy.Expr
    tried: int
