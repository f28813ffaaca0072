"""A rule evaluated exactly on arrays of points: int64 numerators over one common denominator.

The network proof compares the network's rounded outputs with the rule at up to millions of
window points; Python Fractions would be too slow and floats inexact. Every integer operation
is first estimated in float64 and refused (``Unproved``) where it could leave int64.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from w2c.verify.netarith import Unproved


def exact_rule(expr: sympy.Basic, env: dict[str, tuple[np.ndarray, int]], n: int) -> Any:
    """The rule on N points, exactly: (numerators int64[N], common denominator) or a bool[N]."""

    def number(value: Fraction) -> tuple[np.ndarray, int]:
        return np.full(n, value.numerator, dtype=np.int64), value.denominator

    def common(a, b):
        den = math.lcm(a[1], b[1])
        return _scaled(a[0], den // a[1]), _scaled(b[0], den // b[1]), den

    if isinstance(expr, sympy.Symbol):
        return env[expr.name]
    if expr is sympy.true or expr is sympy.false:
        return np.full(n, bool(expr))
    if isinstance(expr, sympy.Rational):
        return number(Fraction(int(expr.p), int(expr.q)))
    if isinstance(expr, sympy.Float):
        return number(Fraction(float(expr)))
    if isinstance(expr, sympy.Piecewise):
        result = None
        for piece, condition in reversed(expr.args):
            value = exact_rule(piece, env, n)
            holds = exact_rule(condition, env, n)
            if result is None:
                result = value
                continue
            a, b, den = common(value, result)
            result = (np.where(holds, a, b), den)
        return result
    args = [exact_rule(a, env, n) for a in expr.args]
    if isinstance(expr, sympy.Add):
        total = args[0]
        for arg in args[1:]:
            a, b, den = common(total, arg)
            total = (_checked(a.astype(np.float64) + b, a + b), den)
        return total
    if isinstance(expr, sympy.Mul):
        total = args[0]
        for arg in args[1:]:
            num = _checked(total[0].astype(np.float64) * arg[0], total[0] * arg[0])
            total = (num, total[1] * arg[1])
        return total
    if isinstance(expr, sympy.Pow):
        exponent = expr.args[1]
        if not (isinstance(exponent, sympy.Integer) and 0 <= int(exponent) <= 64):
            raise Unproved(f"the rule raises to the power {exponent}")
        total = (np.ones(n, dtype=np.int64), 1)
        for _ in range(int(exponent)):
            num = _checked(total[0].astype(np.float64) * args[0][0], total[0] * args[0][0])
            total = (num, total[1] * args[0][1])
        return total
    if isinstance(expr, (sympy.Max, sympy.Min)):
        total = args[0]
        pick = np.maximum if isinstance(expr, sympy.Max) else np.minimum
        for arg in args[1:]:
            a, b, den = common(total, arg)
            total = (pick(a, b), den)
        return total
    if isinstance(expr, sympy.Abs):
        return np.abs(args[0][0]), args[0][1]
    if isinstance(expr, sympy.Mod):
        a, b, den = common(args[0], args[1])
        if np.any(b == 0):
            raise Unproved("the rule takes a remainder by 0")
        return np.mod(a, b), den
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        num, den = args[0]
        if isinstance(expr, sympy.floor):
            return num // den, 1
        return -((-num) // den), 1
    if isinstance(expr, sympy.core.relational.Relational):
        a, b, _ = common(args[0], args[1])
        ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
        ops.update({"==": np.equal, "!=": np.not_equal})
        return ops[expr.rel_op](a, b)
    if isinstance(expr, sympy.And):
        return np.logical_and.reduce(args)
    if isinstance(expr, sympy.Or):
        return np.logical_or.reduce(args)
    if isinstance(expr, sympy.Not):
        return np.logical_not(args[0])
    raise Unproved(f"the rule uses {type(expr).__name__}, which the network proof cannot evaluate")


def _scaled(num: np.ndarray, factor: int) -> np.ndarray:
    return _checked(num.astype(np.float64) * factor, num * factor)


def _checked(estimate: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """int64 arithmetic, refused where a float estimate says it could overflow."""
    if np.any(np.abs(estimate) >= 2.0**62):
        raise Unproved("the rule's exact values leave int64")
    return exact


def on_grid(num: np.ndarray, den: int, grid: int) -> np.ndarray:
    """round(num / den * grid), half to even, exactly (NumPy's rounding of the program)."""
    scaled = _scaled(num, grid)
    twice = 2 * scaled + den
    low = twice // (2 * den)  # floor(x + 1/2)
    tie = (twice % (2 * den)) == 0
    return np.where(tie & (low % 2 == 1), low - 1, low)
