"""simplify: inline the graph into one update rule y[t] = f(x[t-k], y[t-k]) with exact constants.

1. Inline: every resolved node becomes an expression over the task's symbols (``x[t-1]``,
   ``y[t-1]``...): inputs are symbols, Exprs substitute, a fixed offset shifts every lag, a
   windowed max/min of a value over the last z positions becomes Max/Min of z shifted copies.
   Shifting is exact only for expressions that read 0 when all their inputs are 0 (the model's
   pads are 0); any other node, and every unresolved one, stays a named node in the rule.
2. Canonicalise: max/min as relu (``Max(0, e)``) of primitive linear arguments, so the scales a
   network spreads across a relu and its read-out multiply together.
3. Rationalise: every float becomes the simplest rational within a tolerance, trying coarse
   denominators first and, for each, a tight then looser tolerance (integer tasks are judged
   after rounding, so an offset like -0.003 that never changes a rounded output may go, but
   only when the snapped rule then gives integers on every traced position, so it equals the
   model's rounded output exactly);
   domain facts apply (bits: x**2 = x, and a rule over bits only becomes its multilinear
   polynomial when that is shorter). A candidate must reproduce the hardened model on every
   traced position (integer tasks: identical after rounding; real tasks: relMSE <= 1e-9). The
   first one with only exact constants wins; failing that, the first that reproduces the model
   (floats left in); failing that, the unrounded rule.
4. Tidy: ``b + relu(a - b)`` reads back as ``Max(a, b)`` and ``a - relu(a - b)`` as ``Min(a, b)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import replace
from fractions import Fraction

import numpy as np
import sympy

from w2c.contract import REAL_TRACE_TOLERANCE
from w2c.ir import (
    IR,
    DomainInfo,
    Expr,
    GatedShift,
    Input,
    Node,
    Op,
    Output,
    QueryGated,
    Shift,
    WindowArgExtreme,
    sym,
)
from w2c.pipeline import Context, Pass
from w2c.tasks import parse_symbol, shift, x_sym, y_sym

DENOMINATORS = (1, 2, 4, 10, 100, 1000)
TIGHT = 1e-3  # relative (to max(1, |value|)) snapping distance
TOLERANCES = (TIGHT, 1e-2)
DISCRETE_TOLERANCES = (*TOLERANCES, 5e-2)  # integer tasks: the traces judge after rounding
REAL_REL_MSE = REAL_TRACE_TOLERANCE
ZERO = sympy.Integer(0)


# --------------------------------------------------------------------------------------------
# 1. Inline
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


def bit_gate(
    query: sympy.Expr, values: tuple[float, ...], domain: DomainInfo | None
) -> sympy.Expr | None:
    """[query in values] as a polynomial when the query only takes the values 0 and 1."""
    if domain is None or domain.values is None or set(domain.values) != {0.0, 1.0}:
        return None
    if values == (1.0,):
        return query
    if values == (0.0,):
        return 1 - query
    return None


def inline_op(op: Op, exprs: dict[str, sympy.Expr], ir: IR) -> sympy.Expr | None:
    """A routing op as an expression over task symbols, or None when it cannot be inlined."""
    if isinstance(op, Shift):
        src = exprs[op.src]
        if pure(src) and vanishes_at_zero(src):
            return shift_lags(src, op.k)
    elif isinstance(op, GatedShift):
        src, query = exprs[op.src], exprs[op.query]
        gate = bit_gate(query, op.values, ir.node(op.query).domain)
        if gate is not None and pure(src) and vanishes_at_zero(src) and pure(query):
            return shift_lags(src, op.k) * gate
    elif isinstance(op, WindowArgExtreme) and op.key == op.value:
        src = exprs[op.value]
        if pure(src) and vanishes_at_zero(src):
            copies = [shift_lags(src, op.delta + j) for j in range(op.z)]
            return (sympy.Max if op.kind == "max" else sympy.Min)(*copies)
    elif isinstance(op, QueryGated):
        query = exprs[op.query]
        low, high = inline_op(op.low, exprs, ir), inline_op(op.high, exprs, ir)
        gate = bit_gate(query, (op.values[1],), ir.node(op.query).domain)
        if low is not None and high is not None and gate is not None and pure(query):
            return gate * high + (1 - gate) * low
    return None


def inline(ir: IR) -> tuple[sympy.Expr, set[str]]:
    """The output as an expression; the names of nodes that stay (opaque) in it."""
    exprs: dict[str, sympy.Expr] = {}
    opaque: set[str] = set()
    for node in ir.nodes:
        op = node.op
        value: sympy.Expr | None = None
        if isinstance(op, Input):
            value = y_sym(op.lag) if op.channel == "y" else x_sym(op.lag, op.channel)
        elif isinstance(op, Expr):
            value = op.expr.xreplace({sym(a): exprs[a] for a in op.args})
        elif isinstance(op, (Shift, GatedShift, WindowArgExtreme, QueryGated)):
            value = inline_op(op, exprs, ir)
        elif isinstance(op, Output):
            total = sum((w * exprs[n] for n, w in op.terms), sympy.Float(op.bias))
            value = op.scale * total
        if value is None:
            opaque.add(node.name)
            value = sym(node.name)
        exprs[node.name] = value
    return exprs[ir.output], opaque


# --------------------------------------------------------------------------------------------
# 2. Canonicalise
# --------------------------------------------------------------------------------------------


def relu(e: sympy.Expr) -> sympy.Expr:
    return sympy.Max(ZERO, e)


def _is_zero(node: sympy.Basic) -> bool:
    return bool(node.is_Number and node.is_zero)


def to_relu(expr: sympy.Expr) -> sympy.Expr:
    """Two-argument Max/Min as relu: Max(a, b) = b + relu(a - b), Min(a, b) = a - relu(a - b)."""

    def rewrite(node: sympy.Basic) -> sympy.Expr:
        args = list(node.args)
        if len(args) != 2:
            return node  # type: ignore[return-value]
        a, b = args
        if isinstance(node, sympy.Max):
            if _is_zero(a) or _is_zero(b):
                return relu(b if _is_zero(a) else a)
            return b + relu(a - b)
        if _is_zero(a) or _is_zero(b):
            return -relu(-(b if _is_zero(a) else a))
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
        return isinstance(node, sympy.Max) and len(node.args) == 2 and _is_zero(node.args[0])

    return sympy.expand(expr.replace(is_relu_or_abs, pull))


# --------------------------------------------------------------------------------------------
# 3. Rationalise
# --------------------------------------------------------------------------------------------


def rationalise(expr: sympy.Expr, denominator: int, tolerance: float = 1e-3) -> sympy.Expr:
    """Every float -> the nearest fraction with denominator <= ``denominator`` when close."""
    mapping = {}
    for number in expr.atoms(sympy.Float):
        value = float(number)
        fraction = Fraction(value).limit_denominator(denominator)
        if abs(float(fraction) - value) <= tolerance * max(1.0, abs(value)):
            mapping[number] = sympy.Rational(fraction.numerator, fraction.denominator)
    return sympy.expand(expr.xreplace(mapping))


def bit_symbols(ir: IR, context: Context) -> set[sympy.Symbol]:
    """Task symbols that only take the values 0 and 1."""
    bits = set()
    task = context.task
    for channel, domain in zip(task.channels, task.inputs, strict=True):
        if domain.discrete and domain.bounds == (0.0, 1.0):
            bits.update(x_sym(lag, channel) for lag in range(task.length))
    if task.output is not None and task.output.discrete and task.output.bounds == (0.0, 1.0):
        bits.update(y_sym(lag) for lag in range(1, task.length))
    del ir
    return bits


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


# --------------------------------------------------------------------------------------------
# 4. Tidy
# --------------------------------------------------------------------------------------------


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
        if not (isinstance(core, sympy.Max) and len(core.args) == 2 and _is_zero(core.args[0])):
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


# --------------------------------------------------------------------------------------------
# Validation against the traces
# --------------------------------------------------------------------------------------------


def evaluate_on_traces(expr: sympy.Expr, context: Context) -> np.ndarray:
    traces = context.traces
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    fn = sympy.lambdify(symbols, expr, modules="numpy")
    args = []
    for symbol in symbols:
        if is_task_symbol(symbol):
            channel, lag = parse_symbol(symbol)  # type: ignore[arg-type]
            args.append(shift(traces.inputs[channel], lag))
        else:
            args.append(traces.values[symbol.name])
    shape = traces.values["y"].shape
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(fn(*args), dtype=float), shape)


def reproduces_model(expr: sympy.Expr, context: Context) -> tuple[bool, float]:
    """Does ``expr`` give the hardened model's outputs on every traced position?"""
    target = context.traces.values["y"]
    got = evaluate_on_traces(expr, context)
    if not np.all(np.isfinite(got)):
        return False, float("nan")
    if context.task.discrete:
        agree = float(np.mean(np.round(got) == np.round(target)))
        return agree == 1.0, agree
    rel = float(np.mean((got - target) ** 2) / max(float(np.var(target)), 1e-12))
    return rel <= REAL_REL_MSE, rel


def canonical_form(raw: sympy.Expr, bits: set[sympy.Symbol]) -> sympy.Expr:
    """The inlined rule with max/min as relus of normalised arguments (step 2)."""
    return apply_bits(normalise_arguments(to_relu(sympy.expand(raw))), bits)


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
    """A rule over the task's symbols only that gives an integer at every traced position."""
    if not pure(expr):
        return False
    values = evaluate_on_traces(expr, context)
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def exact_constants(expr: sympy.Expr) -> bool:
    return not expr.atoms(sympy.Float)


# --------------------------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------------------------


def keep_nodes(ir: IR, opaque: set[str]) -> list[Node]:
    needed = set(opaque)
    for node in reversed(ir.nodes):
        if node.name in needed:
            needed.update(node.op.operands())
    return [
        n for n in ir.nodes if n.name in needed or isinstance(n.op, Input) or n.name == ir.output
    ]


def run(ir: IR, context: Context) -> IR:
    output = ir.node(ir.output)
    assert isinstance(output.op, Output)
    raw, opaque = inline(ir)
    bits = bit_symbols(ir, context)
    canonical = canonical_form(raw, bits)
    chosen: tuple[str, sympy.Expr, float] | None = None
    inexact: tuple[str, sympy.Expr, float] | None = None  # reproduces, but floats are left
    seen: set[sympy.Expr] = set()
    for level, candidate, tolerance in candidates(canonical, bits, context.task.discrete):
        if candidate in seen:
            continue
        seen.add(candidate)
        ok, score = reproduces_model(candidate, context)
        if ok and tolerance > TIGHT and not integer_valued(candidate, context):
            ok = False  # a loose snap must land exactly on the model's rounded outputs
        if ok and exact_constants(candidate):
            chosen = (level, candidate, score)
            break
        if ok and inexact is None:
            inexact = (level, candidate, score)
    chosen = chosen or inexact
    if chosen is None:
        score = reproduces_model(canonical, context)[1]
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
    nodes = keep_nodes(ir, opaque)
    new_output = Node(output.name, replace(output.op, terms=(), rule=rule), output.domain, evidence)
    return ir.with_nodes(new_output if n.name == ir.output else n for n in nodes)


PASS = Pass("simplify", run, __doc__.splitlines()[0])
