"""simplify: inline the graph into one update rule y[t] = f(x[t-k], y[t-k]) with exact constants.

Each output node gets its own rule (a task with several outputs has one rule per output).

1. Inline: every resolved node becomes an expression over the task's symbols (``x[t-1]``,
   ``y[t-1]``...): inputs are symbols, Exprs substitute, a fixed offset shifts every lag, a
   windowed max/min of a value over the last z positions becomes Max/Min of z shifted copies.
   Shifting is exact only for expressions that read 0 when all their inputs are 0 (the model's
   pads are 0); any other node, and every unresolved one, stays a named node in the rule.
2. Canonicalise: max/min as relu (``Max(0, e)``) of primitive linear arguments, so the scales a
   network spreads across a relu and its read-out multiply together.
3. Rationalise: every float becomes the simplest rational within a tolerance, trying coarse
   denominators first and, for each, a tight then looser tolerance (tasks with an output grid
   are judged on it, so an offset like -0.003 that never changes a rounded output may go, but
   only when the snapped rule then lands on the grid at every traced position, so it equals
   the model's rounded output exactly);
   domain facts apply (bits: x**2 = x, and a rule over bits only becomes its multilinear
   polynomial when that is shorter). A candidate must reproduce the hardened model on every
   traced position (tasks with a grid: identical on it; real outputs: relMSE <= 1e-9). The
   first one with only exact constants wins; failing that, the first that reproduces the model
   (floats left in); failing that, the unrounded rule.
4. Tidy: ``b + relu(a - b)`` reads back as ``Max(a, b)`` and ``a - relu(a - b)`` as ``Min(a, b)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import sympy

from w2c.compiler.algebra import (
    apply_bits,
    canonical_form,
    exact_constants,
    pure,
    rationalise,
    relu_to_extrema,
    simplest,
)
from w2c.compiler.interpret import evaluate_rule
from w2c.compiler.interpret import reproduces_model as _reproduces
from w2c.compiler.ir import IR, Input, Node, Output, sym
from w2c.compiler.pipeline import Context, Pass
from w2c.tasks import x_sym, y_sym

__all__ = ["PASS", "pure"]  # pure: read by the driver and training (w2c.compiler.algebra)

DENOMINATORS = (1, 2, 4, 10, 100, 1000)
TIGHT = 1e-3  # relative (to max(1, |value|)) snapping distance
TOLERANCES = (TIGHT, 1e-2)
DISCRETE_TOLERANCES = (*TOLERANCES, 5e-2)  # integer tasks: the traces judge after rounding


# --------------------------------------------------------------------------------------------
# 1. Inline
# --------------------------------------------------------------------------------------------


def inline(ir: IR, output: str = "y") -> tuple[sympy.Expr, set[str]]:
    """The output node ``output`` as an expression; the names of nodes that stay (opaque) in it."""
    exprs: dict[str, sympy.Expr] = {}
    opaque: set[str] = set()
    for node in ir.nodes:
        value = node.op.inline(exprs, ir)
        if value is None:
            opaque.add(node.name)
            value = sym(node.name)
        exprs[node.name] = value
    return exprs[output], opaque


def bit_symbols(ir: IR, context: Context) -> set[sympy.Symbol]:
    """Task symbols that only take the values 0 and 1."""
    bits = set()
    task = context.task
    for channel, domain in zip(task.channels, task.inputs, strict=True):
        if domain.discrete and domain.bounds == (0.0, 1.0):
            bits.update(x_sym(lag, channel) for lag in range(task.length))
    if task.output is not None and task.output.discrete and task.output.bounds == (0.0, 1.0):
        bits.update(y_sym(lag, o) for o in task.outputs for lag in range(1, task.length))
    del ir
    return bits


# --------------------------------------------------------------------------------------------
# Validation against the traces
# --------------------------------------------------------------------------------------------


def evaluate_on_traces(expr: sympy.Expr, context: Context) -> np.ndarray:
    """The rule on the traced inputs (nodes left opaque read their traced values)."""
    traces = context.traces
    return evaluate_rule(expr, traces.inputs, traces.values)


def reproduces_model(expr: sympy.Expr, context: Context, output: str = "y") -> tuple[bool, float]:
    """Does ``expr`` give the hardened model's values of ``output`` on every traced position?"""
    values = evaluate_on_traces(expr, context)
    return _reproduces(values, context.traces, context.task.output_grid, output)


def candidates(
    canonical: sympy.Expr, bits: set[sympy.Symbol], discrete: bool = False
) -> Iterable[tuple[str, sympy.Expr, float]]:
    """(level, candidate rule, snapping tolerance), coarsest and tightest first, then unrounded."""
    for denominator in DENOMINATORS:
        for tolerance in DISCRETE_TOLERANCES if discrete else TOLERANCES:
            snapped = apply_bits(rationalise(canonical, denominator, tolerance), bits)
            level = f"denominators <= {denominator}, tolerance {tolerance:g}"
            tidy = simplest(relu_to_extrema(snapped), bits)
            yield level, tidy, tolerance
            # tidying multiplies constants together (a scale pulled out of a relu times the
            # one left inside, a bit polynomial's coefficients): snap the products too
            again = apply_bits(rationalise(tidy, denominator, tolerance), bits)
            yield f"{level}, snapped again", simplest(relu_to_extrema(again), bits), tolerance
    yield "unrounded", canonical, 0.0


def integer_valued(expr: sympy.Expr, context: Context) -> bool:
    """A rule over the task's symbols only that lands on the task's output grid (integers, or
    multiples of 1/d) at every traced position."""
    if not pure(expr):
        return False
    values = evaluate_on_traces(expr, context)
    grid = context.task.output_grid or 1
    return bool(np.all(np.isfinite(values)) and np.all(values * grid == np.round(values * grid)))


# --------------------------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------------------------


def keep_nodes(ir: IR, opaque: set[str]) -> list[Node]:
    needed = set(opaque)
    for node in reversed(ir.nodes):
        if node.name in needed:
            needed.update(node.op.operands())
    return [
        n for n in ir.nodes if n.name in needed or isinstance(n.op, Input) or n.name in ir.outputs
    ]


def simplify_output(ir: IR, output: Node, context: Context) -> tuple[Node, set[str]]:
    """The output node with its rule set, and the nodes that stay opaque in that rule."""
    assert isinstance(output.op, Output)
    raw, opaque = inline(ir, output.name)
    bits = bit_symbols(ir, context)
    canonical = canonical_form(raw, bits)
    chosen: tuple[str, sympy.Expr, float] | None = None
    inexact: tuple[str, sympy.Expr, float] | None = None  # reproduces, but floats are left
    seen: set[sympy.Expr] = set()
    graded = context.task.output_grid is not None
    for level, candidate, tolerance in candidates(canonical, bits, graded):
        if candidate in seen:
            continue
        seen.add(candidate)
        ok, score = reproduces_model(candidate, context, output.name)
        if ok and tolerance > TIGHT and not integer_valued(candidate, context):
            ok = False  # a loose snap must land exactly on the model's rounded outputs
        if ok and exact_constants(candidate):
            chosen = (level, candidate, score)
            break
        if ok and inexact is None:
            inexact = (level, candidate, score)
    chosen = chosen or inexact
    if chosen is None:
        score = reproduces_model(canonical, context, output.name)[1]
        chosen = ("unrounded (does not reproduce the model)", canonical, score)
    level, rule, score = chosen
    evidence = dict(output.evidence)
    evidence.update(
        method="simplify",
        rationalised=level,
        reproduces_model=score,
        opaque_nodes=sorted(opaque),
        unrounded_rule=str(raw),
    )
    return Node(
        output.name, replace(output.op, terms=(), rule=rule), output.domain, evidence
    ), opaque


def simplify(ir: IR, context: Context) -> IR:
    outputs: dict[str, Node] = {}
    opaque: set[str] = set()
    for name in ir.outputs:
        outputs[name], kept = simplify_output(ir, ir.node(name), context)
        opaque |= kept
    return ir.with_nodes(outputs.get(n.name, n) for n in keep_nodes(ir, opaque))


@dataclass(frozen=True)
class Simplify(Pass):
    """simplify: inline the graph into one update rule y[t] = f(x[t-k], y[t-k])."""

    name: ClassVar[str] = "simplify"

    def run(self, ir: IR, context: Context) -> IR:
        return simplify(ir, context)


PASS = Simplify
