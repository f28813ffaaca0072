"""Refit and simplify the constants of an expression proposed by a GP backend.

GP libraries print their constants rounded (and Operon optimises them in float32), so the
top-level linear coefficients of every front model are refit by least squares on the fitting
points; the chosen model's inner constants are then tried as simple values under the same
"fits as well" rule as w2c.sr.rational. The structure itself is kept; ``Min(0, e)`` is
respelled ``-Max(0, -e)`` (relu).
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import numpy as np
import sympy

from w2c.exactness import nearest_small_fraction
from w2c.sr.exprs import canonical_relu, complexity, evaluate, normalise_floats
from w2c.sr.parse import parse_model
from w2c.sr.rational import linear_combination, snap_allowance
from w2c.sr.samples import Problem, subsample_index

#: Points handed to a GP library (the refit uses every fitting point).
GP_ROWS = 512


def gp_names(problem: Problem) -> list[str]:
    """The plain variable names GP libraries get (the caller's symbols may not be identifiers)."""
    return [f"x{i}" for i in range(problem.arity)]


def gp_points(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """At most GP_ROWS fitting points, chosen deterministically (with every column's extremes)."""
    index = subsample_index(np.column_stack([problem.x, problem.y]), GP_ROWS, problem.seed)
    return problem.x[index], problem.y[index]


def choose_model(texts: Iterable[str], problem: Problem) -> sympy.Expr:
    """Of a GP front's model strings, the simplest one within tolerance after a linear refit,
    else the most accurate (ties by srepr, so the choice is deterministic); then its inner
    constants are snapped where that fits as well."""
    variables = dict(zip(gp_names(problem), problem.symbols, strict=True))
    best: tuple[tuple, sympy.Expr, float] | None = None
    for text in texts:
        expr, error = refit_linear(canonical_relu(parse_model(text, variables)), problem)
        within = error <= problem.tolerance
        key = (not within, complexity(expr) if within else error, sympy.srepr(expr))
        if best is None or key < best[0]:
            best = (key, expr, error)
    if best is None:
        return sympy.Float(float(np.mean(problem.y)))
    return snap_inner(best[1], best[2], problem)


def snap_inner(expr: sympy.Expr, error: float, problem: Problem) -> sympy.Expr:
    """Try each inner constant as 0, 1, -1, an integer, a small fraction (simplest first); keep
    a replacement when the refit still fits as well (w2c.sr.rational.snap_allowance)."""
    if not error <= problem.tolerance:
        return expr
    allowance = snap_allowance(error, problem.tolerance)
    # smallest first: a near-zero constant snapped to 0 often lets the others become +-1
    order = sorted(_inner_floats(expr), key=lambda f: (abs(float(f)), sympy.default_sort_key(f)))
    for constant in order:
        for value in _simple_values(float(constant)):
            trial, trial_error = refit_linear(expr.xreplace({constant: value}), problem)
            if trial_error <= allowance:
                expr = trial
                break
    return refit_linear(canonical_relu(expr), problem)[0]


def refit_linear(expr: sympy.Expr, problem: Problem) -> tuple[sympy.Expr, float]:
    """Least-squares (then snapped) coefficients of the expression's top-level terms plus 1."""
    expr = normalise_floats(expr)
    bases: list[sympy.Expr] = []
    for term in sympy.Add.make_args(expr):
        rest = term.as_coeff_Mul()[1]
        if rest not in bases:
            bases.append(rest)
    if sympy.Integer(1) not in bases:
        bases.append(sympy.Integer(1))
    bases.sort(key=sympy.default_sort_key)
    columns = np.column_stack([evaluate(b, problem.symbols, problem.x) for b in bases])
    if not np.all(np.isfinite(columns)):
        return expr, float("inf")
    return linear_combination(columns, bases, problem.y, problem.tolerance)


def _inner_floats(expr: sympy.Expr) -> set[sympy.Float]:
    """Floats that are not a top-level coefficient (those are refit, not snapped here)."""
    inner: set[sympy.Float] = set()
    for term in sympy.Add.make_args(expr):
        inner |= term.as_coeff_Mul()[1].atoms(sympy.Float)
    return inner


def _simple_values(value: float) -> list[sympy.Rational]:
    """Replacements to try for an inner constant, simplest first: 0, 1, -1 (a scale inside
    relu/min/max moves to the refit outer coefficient), the nearest integer, a small fraction."""
    tries = [Fraction(0), Fraction(1), Fraction(-1), Fraction(round(value))]
    rational = nearest_small_fraction(value)
    if rational is not None:
        tries.append(rational)
    unique = list(dict.fromkeys(tries))
    return [sympy.Rational(q.numerator, q.denominator) for q in unique]
