"""Least-squares coefficients for a chosen structure, snapped to small rationals when free.

A coefficient is snapped (to the nearest fraction with denominator <= 12, the other coefficients
refit: the small-denominator rule of w2c.exactness, judged on the fitting points) only if the
max-abs error stays within the tolerance *and* within ``max(1.1 * e_ls, e_ls + 1e-3 * tolerance)``
of the least-squares error ``e_ls``: a snapped form must fit as well as the floats, so accuracy is
never traded for prettiness. Coefficients that stay floats are rounded to 12 significant digits
(exprs.rounded_float)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import sympy

from w2c.exactness import nearest_small_fraction
from w2c.sr.exprs import rounded_float


def least_squares(columns: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Coefficients minimising the squared error (columns scaled first, for conditioning)."""
    if columns.shape[1] == 0:
        return np.zeros(0)
    norms = np.linalg.norm(columns, axis=0)
    norms[norms == 0] = 1.0
    solution = np.linalg.lstsq(columns / norms, target, rcond=None)[0]
    return solution / norms


def max_abs(residual: np.ndarray) -> float:
    return float(np.max(np.abs(residual))) if residual.size else 0.0


def snap_allowance(base: float, tolerance: float) -> float:
    """The largest error a snapped form may have, given the least-squares error ``base``."""
    return min(tolerance, max(1.1 * base, base + 1e-3 * tolerance))


def _refit(
    columns: np.ndarray, target: np.ndarray, fixed: dict[int, Fraction]
) -> tuple[np.ndarray, float]:
    """Coefficients with ``fixed`` ones held, the rest least squares; and the max-abs error."""
    coefficients = np.zeros(columns.shape[1])
    for index, value in fixed.items():
        coefficients[index] = float(value)
    free = [i for i in range(columns.shape[1]) if i not in fixed]
    rest = target - columns @ coefficients
    coefficients[free] = least_squares(columns[:, free], rest)
    return coefficients, max_abs(columns @ coefficients - target)


def linear_combination(
    columns: np.ndarray, exprs: Sequence[sympy.Expr], target: np.ndarray, tolerance: float
) -> tuple[sympy.Expr, float]:
    """``sum c_i * exprs[i]`` fitted to ``target``; returns the expression and its max-abs error
    on these points (with snapped coefficients exact and the others rounded floats)."""
    coefficients, base = _refit(columns, target, {})
    fixed: dict[int, Fraction] = {}
    if base <= tolerance:
        allowance = snap_allowance(base, tolerance)
        for index in _snap_order(coefficients):
            value = nearest_small_fraction(coefficients[index])
            if value is None:
                continue
            trial, error = _refit(columns, target, fixed | {index: value})
            if error <= allowance:
                fixed[index] = value
                coefficients = trial
    terms = []
    for index, expr in enumerate(exprs):
        if index in fixed:
            value = fixed[index]
            coefficient = sympy.Rational(value.numerator, value.denominator)
        else:
            coefficient = rounded_float(coefficients[index])
        if not coefficient.is_zero:  # a Float 0.0 is != 0 in sympy
            terms.append(coefficient * expr)
    final = np.array(
        [
            float(fixed[i]) if i in fixed else float(rounded_float(c))
            for i, c in enumerate(coefficients)
        ]
    )
    return sympy.Add(*terms), max_abs(columns @ final - target)


def _snap_order(coefficients: np.ndarray) -> list[int]:
    """Try the coefficients nearest to a small rational first (relative distance, then index)."""

    def distance(index: int) -> tuple[float, int]:
        value = coefficients[index]
        rational = nearest_small_fraction(value)
        if rational is None:
            return (float("inf"), index)
        return (abs(value - float(rational)) / max(abs(value), 1e-300), index)

    return sorted(range(len(coefficients)), key=distance)
