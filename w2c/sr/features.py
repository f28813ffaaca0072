"""The candidate feature library of the best-subset fit, as (sympy expression, column) pairs.

Order matters: it is the final tie-break, and when two features have the same column on the
samples (on bits |a| = a, min(a, b) = a*b, relu(-a) = 0) the earlier, simpler one is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import sympy

from w2c.sr.exprs import complexity
from w2c.sr.ops import ABS, ADD, MAX, MIN, MUL, RELU, SUB, Op, floordiv, mod
from w2c.sr.samples import Problem

#: Moduli of the integer features ((a + b) mod m, floor(a / m), ...).
MODULI = tuple(range(2, 11))
#: Columns whose normalised inner product is this close to +-1 are the same feature.
DUPLICATE_COSINE = 1.0 - 1e-10


@dataclass(frozen=True)
class Term:
    """An expression and its values on the fitting points."""

    expr: sympy.Expr
    values: np.ndarray


@dataclass(frozen=True)
class Feature:
    """A library column: ``complexity`` is the expression's sympy node count."""

    expr: sympy.Expr
    values: np.ndarray
    complexity: int


def apply(op: Op, *args: Term) -> Term:
    """Build ``op(args)`` symbolically and numerically at once."""
    with np.errstate(all="ignore"):
        values = op.numeric(*(a.values for a in args))
    return Term(op.symbolic(*(a.expr for a in args)), values)


def operand_terms(problem: Problem, x: np.ndarray) -> list[Term]:
    return [Term(s, x[:, i]) for i, s in enumerate(problem.symbols)]


def library_terms(problem: Problem, x: np.ndarray) -> list[Term]:
    """Every candidate feature in the fixed order documented in docs/sr.md."""
    ops = operand_terms(problem, x)
    pairs = list(combinations(range(len(ops)), 2))
    one = Term(sympy.Integer(1), np.ones(len(x)))
    minus_one = Term(sympy.Integer(-1), -np.ones(len(x)))
    terms = [one, *ops]
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
    terms += _integer_terms(problem, ops, pairs)
    return terms


def _integer_terms(problem: Problem, ops: list[Term], pairs: list[tuple[int, int]]) -> list[Term]:
    """Floor/mod features over the operands whose domain is integer (mod m must wrap)."""
    whole = [i for i, flag in enumerate(problem.integer) if flag]
    if not whole:
        return []
    pairs = [(i, j) for i, j in pairs if i in whole and j in whole]
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


def distinct_features(terms: list[Term]) -> list[Feature]:
    """Drop zero columns and columns that repeat an earlier one up to scale (first kept)."""
    columns = np.column_stack([t.values for t in terms])
    norms = np.linalg.norm(columns, axis=0)
    keep: list[int] = []
    unit: list[np.ndarray] = []
    for index, term in enumerate(terms):
        if not np.all(np.isfinite(term.values)) or norms[index] == 0:
            continue
        column = columns[:, index] / norms[index]
        if unit and np.max(np.abs(np.array(unit) @ column)) >= DUPLICATE_COSINE:
            continue
        keep.append(index)
        unit.append(column)
    return [Feature(terms[i].expr, terms[i].values, complexity(terms[i].expr)) for i in keep]
