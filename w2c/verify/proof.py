"""The program is the rule: a proof from the program's text, per sequence length, with z3.

For every length L in 1..T, ``program`` is executed symbolically on L input variables
(w2c/verify/symexec.py; the text is parsed, never run) and each output y[t] is compared with
the update rule applied at t to the same inputs and to the program's own earlier outputs (reads
before the start are 0). z3 then searches for inputs in the task's domain where some output
differs from the rule, where the program would raise, or (feedback tasks with a finite declared
output domain) where an output leaves that domain, so the per-step proof of rule == reference
(w2c/verify/symbolic.py) covers every value the program feeds back. No such input at every
length is a proof that ``program(xs)`` computes the rule at every position of every sequence of
length 1..T. Such an input is a counterexample (the verifier then runs the program on it).

Real inputs are z3 reals: the proof is over exact arithmetic; floating-point rounding is not
modelled (docs/verification.md). Budgets are deterministic: a step count for the execution and
z3's ``rlimit`` per query, never wall-clock, so the same program gives the same verdict on any
machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy
import z3

from w2c.tasks import IntRange, Task, parse_symbol
from w2c.verify import terms
from w2c.verify.symexec import (
    STEP_BUDGET,
    DefiniteFailure,
    Interpreter,
    load_module,
    symbolic_inputs,
)
from w2c.verify.terms import Guard, Unsupported

RLIMIT = 20_000_000  # z3 resource units per query (deterministic; about 10 s of work)


@dataclass(frozen=True)
class ProofResult:
    """``status`` is "proved", "refuted" (with ``xs``) or "unknown" (with the reason)."""

    status: str
    detail: str
    lengths: tuple[int, int] | None  # the lengths proved
    xs: list[Any] | None = None  # a counterexample input
    example: dict[str, Any] | None = None  # what the proof says happens there
    seconds: float = 0.0


def prove(
    source: str,
    task: Task,
    rule: sympy.Expr,
    rlimit: int = RLIMIT,
    steps: int = STEP_BUDGET,
) -> ProofResult:
    """Prove that the program text computes ``rule`` on every sequence of length 1..T."""
    began = time.perf_counter()

    def result(status: str, detail: str, proved: int, **extra: Any) -> ProofResult:
        lengths = (1, proved) if proved else None
        return ProofResult(status, detail, lengths, seconds=time.perf_counter() - began, **extra)

    try:
        module = load_module(source)
    except Unsupported as exc:
        return result("unknown", f"not proved: outside the proof subset: {exc}", 0)
    real = [not isinstance(d, IntRange) for d in task.inputs]
    for length in range(1, task.length + 1):
        try:
            outcome = _prove_length(module, task, rule, length, real, rlimit, steps)
        except Unsupported as exc:
            return result(
                "unknown",
                f"not proved: outside the proof subset at length {length}: {exc}",
                length - 1,
            )
        if outcome is not None:
            status, detail, xs, example = outcome
            return result(status, detail, length - 1, xs=xs, example=example)
    return result("proved", "", task.length)


def _prove_length(
    module: dict[str, Any],
    task: Task,
    rule: sympy.Expr,
    length: int,
    real: list[bool],
    rlimit: int,
    steps: int,
) -> tuple[str, str, list[Any] | None, dict[str, Any] | None] | None:
    """None when proved at this length, else (status, detail, xs, example)."""
    xs, variables = symbolic_inputs(task.n_channels, length, real)
    domain = _domain(task, variables)

    def possible(condition: Guard) -> bool:
        if condition is False:
            return False
        answer = _solve(domain, condition, rlimit)[0]
        return answer != z3.unsat

    interpreter = Interpreter(module, exact=task.discrete, possible=possible, budget=steps)
    lowest = _lowest(task, length)
    try:
        outputs = interpreter.call_program(xs)
    except DefiniteFailure as exc:
        detail = f"disproved: the program fails on every sequence of length {length}: {exc}"
        return "refuted", detail, lowest, {"xs": lowest, "error": str(exc)}
    problem = _shape_problem(outputs, length)
    if problem is not None:
        detail = f"disproved: on every sequence of length {length} the program {problem}"
        return "refuted", detail, lowest, {"xs": lowest, "error": problem}
    expected = [_rule_at(rule, task, xs, outputs, t) for t in range(length)]
    differs = [terms.negate(terms.compare("==", outputs[t], expected[t])) for t in range(length)]
    leaves = [_outside_output(task, outputs[t]) for t in range(length)]
    bad: Guard = False
    for guard, _message in interpreter.raises:
        bad = terms.either(bad, guard)
    for condition in (*differs, *leaves):
        bad = terms.either(bad, condition)
    answer, model, reason = _solve(domain, bad, rlimit)
    if answer == z3.unsat:
        return None
    if answer == z3.unknown:
        return "unknown", f"not proved: z3 gave up at length {length} ({reason})", None, None
    assert model is not None
    values = [_value(model, v) for v in variables]
    shown = _sequence(values, task.n_channels)
    for guard, message in interpreter.raises:
        if _holds(model, guard):
            detail = f"disproved: the program raises on a sequence of length {length}: {message}"
            return "refuted", detail, shown, {"xs": shown, "error": message}
    got = [_value(model, terms.arith(v)) for v in outputs]
    want = [_value(model, terms.arith(v)) for v in expected]
    position = next((t for t in range(length) if _holds(model, differs[t])), None)
    if position is None:
        position = next(t for t in range(length) if _holds(model, leaves[t]))
        detail = f"disproved: output {position} leaves the declared output domain"
    else:
        detail = f"disproved: output {position} differs from the rule"
    example = {"xs": shown, "expected": want, "got": got, "position": position}
    return "refuted", detail, shown, example


def _domain(task: Task, variables: list[z3.ArithRef]) -> list[z3.BoolRef]:
    constraints = []
    channels = task.n_channels
    for index, variable in enumerate(variables):
        domain = task.inputs[index % channels]
        if isinstance(domain, IntRange):
            constraints += [variable >= domain.lo, variable < domain.hi]
        else:
            low, high = (z3.RealVal(Fraction(b)) for b in (domain.lo, domain.hi))
            constraints += [variable >= low, variable <= high]
    return constraints


def _solve(
    domain: list[z3.BoolRef], condition: Guard, rlimit: int
) -> tuple[z3.CheckSatResult, z3.ModelRef | None, str]:
    if condition is False:
        return z3.unsat, None, ""
    solver = z3.Solver()
    solver.set("rlimit", rlimit)
    solver.add(*domain)
    if condition is not True:
        solver.add(condition)
    answer = solver.check()
    if answer == z3.sat:
        return answer, solver.model(), ""
    return answer, None, solver.reason_unknown() if answer == z3.unknown else ""


def _shape_problem(outputs: Any, length: int) -> str | None:
    if not isinstance(outputs, (list, tuple)):
        return f"returns a {type(outputs).__name__}, not a list"
    if len(outputs) != length:
        return f"returns {len(outputs)} outputs for {length} inputs"
    for t, value in enumerate(outputs):
        if not terms.is_number(value):
            return f"returns a {type(value).__name__} as output {t}"
    return None


def _outside_output(task: Task, value: Any) -> Guard:
    """An output outside the declared finite output domain (it is fed back: symbolic.py)."""
    if not (task.feedback and isinstance(task.output, IntRange)):
        return False
    low, high = task.output.lo, task.output.hi
    return terms.negate(
        terms.both(terms.compare(">=", value, low), terms.compare("<", value, high))
    )


def _rule_at(rule: sympy.Expr, task: Task, xs: list[Any], outputs: list[Any], t: int) -> Any:
    """The rule's value at position t: x[t-k] from the inputs, y[t-k] from the program."""

    def lookup(symbol: sympy.Symbol) -> Any:
        try:
            channel, lag = parse_symbol(symbol)
        except ValueError:
            raise Unsupported(f"the rule reads {symbol}, which is no task symbol") from None
        if t - lag < 0:
            return 0
        if channel == "y":
            if not task.feedback or lag < 1:
                raise Unsupported(f"the rule reads {symbol} in a task without feedback")
            return outputs[t - lag]
        if channel not in task.channels:
            raise Unsupported(f"the rule reads {symbol}, which names no channel")
        item = xs[t - lag]
        return item if task.n_channels == 1 else item[task.channels.index(channel)]

    return rule_value(sympy.sympify(rule), lookup)


def rule_value(expr: sympy.Basic, lookup: Any) -> Any:
    """A sympy rule as a value of the proof's arithmetic (w2c/verify/terms.py)."""
    if isinstance(expr, sympy.Symbol):
        return lookup(expr)
    if expr is sympy.true or expr is sympy.false:
        return bool(expr)
    if isinstance(expr, sympy.Integer):
        return int(expr)
    if isinstance(expr, sympy.Rational):
        return Fraction(int(expr.p), int(expr.q))
    if isinstance(expr, sympy.Float):
        return Fraction(float(expr))
    args = (
        [rule_value(a, lookup) for a in expr.args] if not isinstance(expr, sympy.Piecewise) else []
    )
    if isinstance(expr, sympy.Add):
        return _fold("+", args)
    if isinstance(expr, sympy.Mul):
        return _fold("*", args)
    if isinstance(expr, sympy.Pow):
        base, exponent = args
        if isinstance(exponent, int) and exponent < 0:
            return terms.binary("/", 1, terms.binary("**", base, -exponent, False), False)
        return terms.binary("**", base, exponent, False)
    if isinstance(expr, sympy.Mod):
        return terms.binary("%", args[0], args[1], False)
    if isinstance(expr, (sympy.Max, sympy.Min)):
        return terms.extreme(args, isinstance(expr, sympy.Max))
    if isinstance(expr, sympy.Abs):
        return terms.absolute(args[0])
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        return terms.floor_ceil(args[0], isinstance(expr, sympy.ceiling))
    if isinstance(expr, sympy.Piecewise):
        return _piecewise(expr, lookup)
    if isinstance(expr, sympy.core.relational.Relational):
        op = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}.get(expr.rel_op)
        if op is not None:
            return terms.compare(op, args[0], args[1])
    if isinstance(expr, sympy.And):
        return _fold_guard(terms.both, args, True)
    if isinstance(expr, sympy.Or):
        return _fold_guard(terms.either, args, False)
    if isinstance(expr, sympy.Not):
        return terms.negate(terms.truth(args[0]))
    raise Unsupported(f"the rule uses {type(expr).__name__}, outside the proof subset")


def _fold(op: str, args: list[Any]) -> Any:
    value = args[0]
    for arg in args[1:]:
        value = terms.binary(op, value, arg, False)
    return value


def _fold_guard(combine: Any, args: list[Any], start: Guard) -> Guard:
    value = start
    for arg in args:
        value = combine(value, terms.truth(arg))
    return value


def _piecewise(expr: sympy.Piecewise, lookup: Any) -> Any:
    pieces = list(expr.args)
    value: Any = None
    for piece_value, condition in reversed(pieces):
        this = rule_value(piece_value, lookup)
        holds = terms.truth(rule_value(condition, lookup))
        value = this if value is None else terms.choose(holds, this, value)
    return value


def _value(model: z3.ModelRef, term: Any) -> int | float:
    """A term's value in the model as a Python number (reals as the nearest float)."""
    if not terms.is_term(term):
        return float(term) if isinstance(term, Fraction) else term
    value = model.eval(term, model_completion=True)
    if z3.is_int_value(value):
        return value.as_long()
    if z3.is_rational_value(value):
        fraction = Fraction(value.numerator_as_long(), value.denominator_as_long())
        return int(fraction) if fraction.denominator == 1 else float(fraction)
    if z3.is_algebraic_value(value):
        return float(value.approx(20).as_fraction())
    raise Unsupported(f"z3 returned the value {value}")


def _holds(model: z3.ModelRef, condition: Guard) -> bool:
    if isinstance(condition, bool):
        return condition
    return z3.is_true(model.eval(condition, model_completion=True))


def _lowest(task: Task, length: int) -> list[Any]:
    """A sequence for a failure that happens on every input: every channel at its low bound."""
    row = [d.lo if isinstance(d, IntRange) else float(d.lo) for d in task.inputs]
    return [row[0] if task.n_channels == 1 else tuple(row) for _ in range(length)]


def _sequence(values: list[Any], channels: int) -> list[Any]:
    if channels == 1:
        return list(values)
    return [tuple(values[i : i + channels]) for i in range(0, len(values), channels)]
