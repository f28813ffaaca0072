"""Refit and simplify the constants of an expression proposed by a GP backend.

GP libraries print their constants rounded (and Operon optimises them in float32), so the
top-level linear coefficients are refit by least squares on the fitting points, then each
remaining inner constant is tried as a small rational under the same "fits as well" rule as
w2c.sr.rational. The structure itself is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

import numpy as np
import sympy

from w2c.sr.exprs import canonical_relu, complexity, evaluate, normalise_floats
from w2c.sr.parse import parse_model
from w2c.sr.rational import linear_combination, nearest_rational, snap_allowance
from w2c.sr.samples import Problem


def choose_model(
    texts: Iterable[str], variables: Mapping[str, sympy.Symbol], problem: Problem
) -> sympy.Expr:
    """Of a GP front's model strings, the simplest refit model within tolerance, else the most
    accurate (ties by srepr, so the choice is deterministic)."""
    best: tuple[tuple, sympy.Expr] | None = None
    for text in texts:
        expr, error = refine(parse_model(text, variables), problem)
        within = error <= problem.tolerance
        key = (not within, complexity(expr) if within else error, sympy.srepr(expr))
        if best is None or key < best[0]:
            best = (key, expr)
    if best is None:
        return sympy.Float(float(np.mean(problem.y)))
    return best[1]


def refine(expr: sympy.Expr, problem: Problem) -> tuple[sympy.Expr, float]:
    """The refit expression and its max-abs error on the fitting points."""
    best, base = refit_linear(canonical_relu(normalise_floats(expr)), problem)
    if not base <= problem.tolerance:
        return best, base
    allowance = snap_allowance(base, problem.tolerance)
    for constant in sorted(_inner_floats(best), key=sympy.default_sort_key):
        for value in _simple_values(float(constant)):
            trial, error = refit_linear(best.xreplace({constant: value}), problem)
            if error <= allowance:
                best = trial
                break
    return best, refit_linear(best, problem)[1]


def refit_linear(expr: sympy.Expr, problem: Problem) -> tuple[sympy.Expr, float]:
    """Least-squares (then snapped) coefficients of the expression's top-level terms plus 1."""
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
    rational = nearest_rational(value)
    if rational is not None:
        tries.append(rational)
    unique = list(dict.fromkeys(tries))
    return [sympy.Rational(q.numerator, q.denominator) for q in unique]
