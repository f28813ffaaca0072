"""simplify: inline the graph into one update rule y[t] = f(x[t-k], y[t-k]) with exact constants.

Each output node gets its own rule (a task with several outputs has one rule per output).

1. Inline: every resolved node becomes an expression over the task's symbols (``x[t-1]``,
   ``y[t-1]``...): inputs are symbols, Exprs substitute, a fixed offset shifts every lag, a
   windowed max/min of a value over the last z positions becomes Max/Min of z shifted copies.
   Shifting is exact only for expressions that read 0 when all their inputs are 0 (the model's
   pads are 0); any other node, and every unresolved one, stays a named node in the rule.
2. Canonicalise: max/min as relu (``Max(0, e)``) of primitive linear arguments, so the scales a
   network spreads across a relu and its read-out multiply together.
3. Rationalise, under the one rule of w2c.exactness (docs/compiler.md, "Exact constants"): on
   a task with an output grid (integers, or multiples of 1/d), every float becomes the nearest
   fraction with denominator <= 12 within a snapping tolerance (coarse denominators first, each
   with a tight then looser tolerance),
   accepted only when the rule then lands on the grid, equal to the model's rounded output, at
   every traced position (the traces then pin it down exactly). On any task, every float that
   passes the description-length rule (judged on its value alone) becomes its fraction.
   Domain facts apply (bits: x**2 = x, and a rule over bits only becomes its multilinear
   polynomial when that is shorter). A candidate must reproduce the hardened model on every
   traced position (tasks with a grid: identical on it; real outputs: relMSE <= 1e-9). The
   first one with only exact constants wins; failing that, the description-length one with its
   undescribed floats left in (the rule is then reported inexact); failing that, the unrounded
   rule.
4. Tidy: ``b + relu(a - b)`` reads back as ``Max(a, b)`` and ``a - relu(a - b)`` as ``Min(a, b)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import ClassVar

import numpy as np
import sympy

from w2c.compiler.algebra import (
    apply_bits,
    canonical_form,
    describe_constants,
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
from w2c.exactness import MARGIN_BITS, MAX_DENOMINATOR
from w2c.tasks import x_sym, y_sym

__all__ = ["PASS", "pure"]  # pure: read by the driver and training (w2c.compiler.algebra)

DENOMINATORS = (1, 2, 4, MAX_DENOMINATOR)  # the small-denominator ladder, coarse first
TOLERANCES = (1e-3, 1e-2, 5e-2)  # relative (to max(1, |value|)) snapping distances
SMALL, DESCRIBED, FLOATS = "small denominator", "description length", "floats"


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


def snaps(discrete: bool) -> list[tuple[str, Callable[[sympy.Expr], sympy.Expr], str]]:
    """(level, how floats are snapped, which rule): the small-denominator ladder on integer tasks
    only (coarsest and tightest first), then the description-length rule on every task."""
    small = [
        (
            f"denominators <= {denominator}, tolerance {tolerance:g}",
            partial(rationalise, denominator=denominator, tolerance=tolerance),
            SMALL,
        )
        for denominator in (DENOMINATORS if discrete else ())
        for tolerance in TOLERANCES
    ]
    return [
        *small,
        (f"description length (margin {MARGIN_BITS} bits)", describe_constants, DESCRIBED),
    ]


def candidates(
    canonical: sympy.Expr, bits: set[sympy.Symbol], discrete: bool = False
) -> Iterable[tuple[str, sympy.Expr, str]]:
    """(level, candidate rule, which rule made its constants) in the order they are tried."""
    for level, snap, kind in snaps(discrete):
        tidy = simplest(relu_to_extrema(apply_bits(snap(canonical), bits)), bits)
        yield level, tidy, kind
        # tidying multiplies constants together (a scale pulled out of a relu times the
        # one left inside, a bit polynomial's coefficients): snap the products too
        again = apply_bits(snap(tidy), bits)
        yield f"{level}, snapped again", simplest(relu_to_extrema(again), bits), kind
    yield "unrounded", canonical, FLOATS


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
    checked: dict[sympy.Expr, tuple[bool, float]] = {}  # the same rule comes up more than once
    for level, candidate, kind in candidates(canonical, bits, context.task.output_grid is not None):
        if candidate not in checked:
            checked[candidate] = reproduces_model(candidate, context, output.name)
        ok, score = checked[candidate]
        if kind == SMALL:  # exact only where the traces pin every output down exactly
            if ok and exact_constants(candidate) and integer_valued(candidate, context):
                chosen = (level, candidate, score)
                break
            continue
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
        constants="exact" if exact_constants(rule) else "inexact",
        float_constants=[float(f) for f in sorted(rule.atoms(sympy.Float))],
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
