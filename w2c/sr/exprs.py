"""Evaluate, measure and normalise sympy expressions over the caller's operand symbols.

Relu is spelled ``sympy.Max(0, e)`` everywhere, so ``str()``, the code printers and
``lambdify(..., modules="math")`` all handle it with no custom function.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy

from w2c.compiler.algebra import is_zero, relu

SIGNIFICANT_DIGITS = 12


def canonical_relu(expr: sympy.Expr) -> sympy.Expr:
    """Spell ``Min(0, e)`` (how GP libraries often write a relu) as ``-Max(0, -e)``."""

    def is_negative_part(node: sympy.Basic) -> bool:
        return isinstance(node, sympy.Min) and len(node.args) == 2 and any(map(is_zero, node.args))

    def as_relu(node: sympy.Min) -> sympy.Expr:
        other = node.args[1] if is_zero(node.args[0]) else node.args[0]
        return -relu(-other)

    return expr.replace(is_negative_part, as_relu)


def evaluate(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], x: np.ndarray) -> np.ndarray:
    """``expr`` on every row of ``x`` (n, k) as float64; non-finite results are kept as NaN/inf.

    The caller's symbols may have names that are not identifiers (``x[t-1]``), so they are
    swapped for plain ones before lambdify.
    """
    plain = [sympy.Symbol(f"_w2c_sr_{i}", real=True) for i in range(len(symbols))]
    body = expr.xreplace(dict(zip(symbols, plain, strict=True)))
    function = sympy.lambdify(plain, body, modules="numpy")
    with np.errstate(all="ignore"):
        value = function(*(x[:, i] for i in range(x.shape[1])))
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (x.shape[0],)).copy()


def max_abs_and_rmse(prediction: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """(max |error|, root-mean-square error); any non-finite prediction makes both infinite."""
    error = prediction - target
    if not np.all(np.isfinite(error)):
        return float("inf"), float("inf")
    return float(np.max(np.abs(error))), float(np.sqrt(np.mean(error**2)))


def complexity(expr: sympy.Expr) -> int:
    """Node count of the sympy expression tree: every operator, symbol and number is one node."""
    return sum(1 for _ in sympy.preorder_traversal(expr))


def rounded_float(value: float) -> sympy.Float:
    """A coefficient kept as a float, rounded to 12 significant digits.

    Least-squares floats carry last-bit noise that depends on the BLAS path; rounding keeps the
    printed expression stable and changes the value by at most 5e-13 relative.
    """
    return sympy.Float(float(f"{value:.{SIGNIFICANT_DIGITS}g}"))


def normalise_floats(expr: sympy.Expr) -> sympy.Expr:
    """Every Float in ``expr`` as a 53-bit float rounded like :func:`rounded_float`."""
    floats = {f: rounded_float(float(f)) for f in expr.atoms(sympy.Float)}
    return expr.xreplace(floats) if floats else expr
