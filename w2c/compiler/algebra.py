"""The algebra the compiler shares: task symbols, relu/Max/Min canonical forms, rational
snapping and bit multilinear forms, over sympy (torch-free).

Relu is spelled ``sympy.Max(0, e)`` everywhere (here, in w2c.sr and in every emitted rule), so
``str()``, the code printers and ``lambdify`` all handle it with no custom function. The simplify
pass (docs/compiler.md, "Simplify") composes these; w2c.sr uses the relu spelling.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy

from w2c.exactness import close, described, nearest_small_fraction
from w2c.tasks import parse_symbol, x_sym, y_sym

ZERO = sympy.Integer(0)


# --------------------------------------------------------------------------------------------
# Task symbols (x[t-k], y[t-k]) and what reading them earlier means
# --------------------------------------------------------------------------------------------


def is_task_symbol(symbol: sympy.Symbol) -> bool:
    try:
        parse_symbol(symbol)
    except ValueError:
        return False
    return True


def pure(expr: sympy.Expr) -> bool:
    """Only task symbols: the expression can be shifted and inlined."""
    return all(is_task_symbol(s) for s in expr.free_symbols)  # type: ignore[arg-type]


def vanishes_at_zero(expr: sympy.Expr) -> bool:
    return sympy.simplify(expr.subs({s: 0 for s in expr.free_symbols})) == 0


def shift_lags(expr: sympy.Expr, k: int) -> sympy.Expr:
    """Read every task symbol k steps earlier: x[t-1] -> x[t-1-k]."""
    mapping = {}
    for symbol in expr.free_symbols:
        channel, lag = parse_symbol(symbol)  # type: ignore[arg-type]
        mapping[symbol] = y_sym(lag + k) if channel == "y" else x_sym(lag + k, channel)
    return expr.xreplace(mapping)


def bit_gate(query: sympy.Expr, values: tuple[float, ...], domain: Any) -> sympy.Expr | None:
    """[query in values] as a polynomial when the query only takes the values 0 and 1."""
    if domain is None or domain.values is None or set(domain.values) != {0.0, 1.0}:
        return None
    if values == (1.0,):
        return query
    if values == (0.0,):
        return 1 - query
    return None


def integer_rule(expr: sympy.Expr) -> bool:
    """Integer inputs give an integer output: task symbols, integer constants, no division."""
    negative_power = any(p.exp.is_negative for p in expr.atoms(sympy.Pow))
    return pure(expr) and not negative_power and all(n.is_Integer for n in expr.atoms(sympy.Number))


# --------------------------------------------------------------------------------------------
# Relu, Max and Min
# --------------------------------------------------------------------------------------------


def relu(e: sympy.Expr) -> sympy.Expr:
    """The one spelling of relu: ``Max(0, e)``."""
    return sympy.Max(ZERO, e)


def is_zero(node: sympy.Basic) -> bool:
    """A number equal to 0 (also a Float 0.0, which != 0 in sympy)."""
    return bool(node.is_Number and node.is_zero)


def to_relu(expr: sympy.Expr) -> sympy.Expr:
    """Two-argument Max/Min as relu: Max(a, b) = b + relu(a - b), Min(a, b) = a - relu(a - b)."""

    def rewrite(node: sympy.Basic) -> sympy.Expr:
        args = list(node.args)
        if len(args) != 2:
            return node  # type: ignore[return-value]
        a, b = args
        if isinstance(node, sympy.Max):
            if is_zero(a) or is_zero(b):
                return relu(b if is_zero(a) else a)
            return b + relu(a - b)
        if is_zero(a) or is_zero(b):
            return -relu(-(b if is_zero(a) else a))
        return a - relu(a - b)

    previous = None
    while previous != expr:
        previous = expr
        expr = expr.replace(lambda n: isinstance(n, (sympy.Max, sympy.Min)), rewrite)
        expr = sympy.expand(expr)
    return expr


def _linear_content(e: sympy.Expr) -> float | None:
    """The largest |coefficient| of a linear expression's variable terms (None if not linear)."""
    e = sympy.expand(e)
    coefficients = []
    for term, coefficient in e.as_coefficients_dict().items():
        if term == 1:
            continue
        if not (term.is_Symbol or term.is_Atom):
            return None
        coefficients.append(abs(float(coefficient)))
    return max(coefficients) if coefficients else None


def normalise_arguments(expr: sympy.Expr) -> sympy.Expr:
    """c * relu(e / c) and |c| * |e / c| with c the argument's largest coefficient."""

    def pull(node: sympy.Basic) -> sympy.Expr:
        inner = node.args[1] if isinstance(node, sympy.Max) else node.args[0]
        content = _linear_content(inner)
        if content is None or content == 0:
            return node  # type: ignore[return-value]
        scaled = sympy.expand(inner / content)
        rebuilt = relu(scaled) if isinstance(node, sympy.Max) else sympy.Abs(scaled)
        return sympy.Float(content) * rebuilt

    def is_relu_or_abs(node: sympy.Basic) -> bool:
        if isinstance(node, sympy.Abs):
            return True
        return isinstance(node, sympy.Max) and len(node.args) == 2 and is_zero(node.args[0])

    return sympy.expand(expr.replace(is_relu_or_abs, pull))


def relu_to_extrema(expr: sympy.Expr) -> sympy.Expr:
    """b + relu(a - b) -> Max(a, b); b - relu(b - a) -> Min(a, b) (sums only)."""
    if not isinstance(expr, sympy.Add):
        return expr
    terms = list(expr.args)
    for index, term in enumerate(terms):
        sign = 1
        core = term
        if isinstance(term, sympy.Mul) and term.args[0] == -1 and len(term.args) == 2:
            sign, core = -1, term.args[1]
        if not (isinstance(core, sympy.Max) and len(core.args) == 2 and is_zero(core.args[0])):
            continue
        inner = core.args[1]
        rest = sympy.expand(expr - term)
        if sign == 1:  # rest + relu(inner): Max(rest + inner, rest) if inner = a - rest
            other = sympy.expand(inner + rest)
            if _simple(other) and _simple(rest):
                return sympy.Max(other, rest)
        else:  # rest - relu(inner): Min(rest, rest - inner)
            other = sympy.expand(rest - inner)
            if _simple(other) and _simple(rest):
                return sympy.Min(rest, other)
        del index
    return expr


def _simple(e: sympy.Expr) -> bool:
    return len(e.free_symbols) <= 1 and sympy.count_ops(e) <= 2


def canonical_form(raw: sympy.Expr, bits: set[sympy.Symbol]) -> sympy.Expr:
    """The inlined rule with max/min as relus of normalised arguments (step 2)."""
    return apply_bits(normalise_arguments(to_relu(sympy.expand(raw))), bits)


# --------------------------------------------------------------------------------------------
# Rational constants and bit domains
# --------------------------------------------------------------------------------------------


def snap_floats(expr: sympy.Expr, choose: Callable[[float], Fraction | None]) -> sympy.Expr:
    """Every float -> the fraction ``choose`` gives for it; floats it gives None for stay."""
    mapping = {}
    for number in expr.atoms(sympy.Float):
        fraction = choose(float(number))
        if fraction is not None:
            mapping[number] = sympy.Rational(fraction.numerator, fraction.denominator)
    return sympy.expand(expr.xreplace(mapping))


def rationalise(expr: sympy.Expr, denominator: int, tolerance: float = 1e-3) -> sympy.Expr:
    """Every float -> the nearest fraction with denominator <= ``denominator`` when close (the
    small-denominator rule of w2c.exactness; the caller checks it reproduces the model)."""

    def choose(value: float) -> Fraction | None:
        fraction = nearest_small_fraction(value, denominator)
        return fraction if fraction is not None and close(value, fraction, tolerance) else None

    return snap_floats(expr, choose)


def describe_constants(expr: sympy.Expr) -> sympy.Expr:
    """Every float -> the fraction the description-length rule accepts for it, if any
    (w2c.exactness.described: judged on the value alone, so each float independently)."""
    return snap_floats(expr, described)


def exact_constants(expr: sympy.Expr) -> bool:
    """No float left: every constant is an integer or a fraction (docs/compiler.md)."""
    return not expr.atoms(sympy.Float)


def apply_bits(expr: sympy.Expr, bits: set[sympy.Symbol]) -> sympy.Expr:
    """x**n = x for bits."""
    return sympy.expand(
        expr.replace(
            lambda n: n.is_Pow and n.base in bits and n.exp.is_Integer and n.exp > 0,
            lambda n: n.base,
        )
    )


def bit_multilinear(expr: sympy.Expr, bits: set[sympy.Symbol]) -> sympy.Expr | None:
    """The unique multilinear polynomial equal to ``expr`` on {0,1}^n, when every symbol is a bit.

    Coefficients come from the Moebius transform of the values at the 2^n corners, so the result
    is equal on the domain by construction: exactly when the expression's constants are exact,
    up to float rounding otherwise (and those float coefficients can then be snapped).
    """
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    if not symbols or len(symbols) > 10 or not all(s in bits for s in symbols):
        return None
    values = {}
    for corner in itertools.product((0, 1), repeat=len(symbols)):
        value = expr.xreplace(dict(zip(symbols, map(sympy.Integer, corner), strict=True)))
        if not (value.is_Rational or value.is_Float):
            return None
        values[corner] = value
    polynomial = sympy.Integer(0)
    for subset in itertools.product((0, 1), repeat=len(symbols)):
        coefficient = sympy.Integer(0)
        for inner in itertools.product(*[(0, 1) if s else (0,) for s in subset]):
            sign = (-1) ** (sum(subset) - sum(inner))
            coefficient += sign * values[inner]
        if coefficient != 0:
            term = sympy.Mul(*[sym_ for sym_, on in zip(symbols, subset, strict=True) if on])
            polynomial += coefficient * term
    return sympy.expand(polynomial)


def simplest(expr: sympy.Expr, bits: set[sympy.Symbol]) -> sympy.Expr:
    """On bits, the multilinear polynomial when it is no longer than the expression."""
    polynomial = bit_multilinear(expr, bits)
    if polynomial is not None and sympy.count_ops(polynomial) < sympy.count_ops(expr):
        return polynomial
    return expr
