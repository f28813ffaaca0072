"""The candidate feature library of the best-subset fit: columns with lazily built expressions.

Order matters: it is the final tie-break, and when two features have the same column on the
samples (on bits |a| = a, min(a, b) = a*b, relu(-a) = 0) the earlier, simpler one is kept.
A feature's sympy expression is built only when it is used (constructing ~200 Mod/floor
expressions, with sympy's assumption queries, would cost more than the whole search);
``size`` is its tree node count (a leaf 1, an operator 1, a modulus 1), the ranking's measure.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from itertools import combinations

import numpy as np
import sympy

from w2c.sr.ops import ABS, ADD, MAX, MIN, MUL, RELU, SUB, Op, floordiv, mod
from w2c.sr.samples import Problem

#: Moduli of the integer features ((a + b) mod m, floor(a / m), ...).
MODULI = tuple(range(2, 11))
#: Columns whose normalised inner product is this close to +-1 are the same feature.
DUPLICATE_COSINE = 1.0 - 1e-10


class Feature:
    """A library column: its values on the fitting points and its (lazy) expression."""

    def __init__(self, build: Callable[[], sympy.Expr], values: np.ndarray, size: int) -> None:
        self._build = build
        self.values = values
        self.size = size

    @cached_property
    def expr(self) -> sympy.Expr:
        return self._build()


def leaf(expr: sympy.Expr, values: np.ndarray) -> Feature:
    return Feature(lambda: expr, values, 1)


def apply(op: Op, *args: Feature) -> Feature:
    """``op(args)``: values now, expression on demand."""
    with np.errstate(all="ignore"):
        values = op.numeric(*(a.values for a in args))
    size = op.cost + sum(a.size for a in args)
    return Feature(lambda: op.symbolic(*(a.expr for a in args)), values, size)


def operand_terms(problem: Problem, x: np.ndarray) -> list[Feature]:
    return [leaf(s, x[:, i]) for i, s in enumerate(problem.symbols)]


def library(problem: Problem, x: np.ndarray) -> tuple[list[Feature], int]:
    """The distinct library features on the points ``x``, and how many of them (a prefix) are
    core features; the rest are the floor/mod features of integer operands."""
    core = core_terms(problem, x)
    terms = core + integer_terms(problem, x)
    kept = distinct(terms)
    return [terms[i] for i in kept], sum(1 for i in kept if i < len(core))


def core_terms(problem: Problem, x: np.ndarray) -> list[Feature]:
    """Every core candidate feature in the fixed order documented in docs/sr.md."""
    ops = operand_terms(problem, x)
    pairs = list(combinations(range(len(ops)), 2))
    minus_one = leaf(sympy.Integer(-1), -np.ones(len(x)))
    terms = list(ops)
    terms += [apply(MUL, ops[i], ops[j]) for i, j in pairs]
    terms += [apply(MUL, v, v) for v in ops]
    if len(ops) == 3:
        terms.append(apply(MUL, apply(MUL, ops[0], ops[1]), ops[2]))
    terms += [apply(MAX, ops[i], ops[j]) for i, j in pairs]
    terms += [apply(MIN, ops[i], ops[j]) for i, j in pairs]
    if len(ops) == 3:
        terms.append(apply(MAX, apply(MAX, ops[0], ops[1]), ops[2]))
        terms.append(apply(MIN, apply(MIN, ops[0], ops[1]), ops[2]))
    for i, j in pairs:
        terms.append(apply(ABS, apply(SUB, ops[i], ops[j])))
        terms.append(apply(RELU, apply(SUB, ops[i], ops[j])))
        terms.append(apply(RELU, apply(SUB, ops[j], ops[i])))
    for v in ops:
        terms += [apply(ABS, v), apply(RELU, v), apply(RELU, apply(MUL, minus_one, v))]
    return terms


def integer_terms(problem: Problem, x: np.ndarray) -> list[Feature]:
    """Floor/mod features over the operands whose domain is integer (mod m must wrap)."""
    whole = [i for i, flag in enumerate(problem.integer) if flag]
    if not whole:
        return []
    ops = operand_terms(problem, x)
    pairs = list(combinations(whole, 2))
    sums = [apply(ADD, ops[i], ops[j]) for i, j in pairs]
    if len(whole) == 3:
        sums.append(apply(ADD, apply(ADD, ops[0], ops[1]), ops[2]))
    sums += [ops[i] for i in whole]
    differences = [apply(SUB, ops[i], ops[j]) for i, j in pairs]
    differences += [apply(SUB, ops[j], ops[i]) for i, j in pairs]
    arguments = sums + differences
    terms = []
    for m in MODULI:
        for argument in arguments:
            wrapped = apply(mod(m), argument)
            if not np.array_equal(wrapped.values, argument.values):
                terms.append(wrapped)
        terms += [apply(floordiv(m), argument) for argument in sums]
    return terms


def distinct(terms: list[Feature]) -> list[int]:
    """Indices of the features kept. The intercept is always fitted, so columns are compared
    centred: constant columns (relu(-a) on a >= 0, a constant operand) are dropped, and so are
    columns that repeat an earlier one up to scale and offset (on bits 1 - a and a, |a| and a,
    min(a, b) and a*b); the first, simpler one is kept."""
    if not terms:
        return []
    columns = np.column_stack([t.values for t in terms])
    with np.errstate(all="ignore"):
        centred = columns - columns.mean(axis=0)
        norms = np.linalg.norm(centred, axis=0)
        scale = np.maximum(np.max(np.abs(columns), axis=0), 1e-300)
        usable = np.isfinite(norms) & (norms > 1e-12 * scale * np.sqrt(len(columns)))
        unit = np.where(usable, centred / np.where(usable, norms, 1.0), 0.0)
    cosine = np.abs(unit.T @ unit)
    kept: list[int] = []
    for index in np.flatnonzero(usable).tolist():
        if not kept or np.max(cosine[index, kept]) < DUPLICATE_COSINE:
            kept.append(index)
    return kept
