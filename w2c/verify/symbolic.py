"""Symbolic check: the extracted update rule equals the task's reference rule on the domain.

First sympy: ``simplify(rule - reference) == 0`` is a proof on all reals. Where sympy cannot
decide (Max vs relu forms, Mod, |a - b| vs xor on bits) and every symbol ranges over a finite set,
both rules are evaluated *exactly* (Python integers and fractions, never floats) at every point of
the per-step domain: the product over the symbols of the channel's input domain (x symbols) or
the task's declared output domain (y symbols), each with 0 added for lagged symbols because reads
before the start of a sequence are 0. A rule over a symbol with an infinite range that sympy
cannot simplify is "not proven": the method does not apply.
"""

from __future__ import annotations

import itertools
import math
import time
from fractions import Fraction
from typing import Any

import sympy
from sympy.printing.pycode import PythonCodePrinter

from w2c.contract import EXHAUSTIVE_BUDGET
from w2c.tasks import IntRange, Task, parse_symbol, x_sym
from w2c.verify.compare import json_value
from w2c.verify.report import Evidence


class _ExactPrinter(PythonCodePrinter):
    """Python source whose constants are Fractions, so integer inputs evaluate exactly."""

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"Fraction({expr.p}, {expr.q})"

    def _print_Half(self, expr: sympy.Rational) -> str:
        return self._print_Rational(expr)

    def _print_Float(self, expr: sympy.Float) -> str:
        p, q = float(expr).as_integer_ratio()
        return f"Fraction({p}, {q})"


def canonical(expr: sympy.Expr, task: Task) -> sympy.Expr:
    """Replace every symbol by the task contract's symbol of that name (assumptions differ).

    Raises ValueError for a symbol that the task's rules may not read.
    """
    mapping = {}
    for symbol in expr.free_symbols:
        name, lag = parse_symbol(symbol)  # type: ignore[arg-type]
        if name == "y" and not (task.feedback and lag >= 1):
            raise ValueError(f"{symbol} is not readable in task {task.name}")
        if name != "y" and name not in task.channels:
            raise ValueError(f"{symbol} names no channel of task {task.name}")
        mapping[symbol] = x_sym(lag, name)
    return expr.xreplace(mapping)


def per_step_values(symbol: sympy.Symbol, task: Task) -> list[int] | None:
    """The finite set a symbol ranges over in one update step, or None if infinite."""
    name, lag = parse_symbol(symbol)
    domain = task.output if name == "y" else task.inputs[task.channels.index(name)]
    if not isinstance(domain, IntRange):
        return None
    values = set(range(domain.lo, domain.hi))
    if lag >= 1:
        values.add(0)  # reads before the sequence start are 0
    return sorted(values)


def _exact(value: Any) -> bool:
    """Integers and fractions are exact; a float means some step rounded."""
    return isinstance(value, (int, Fraction, sympy.Rational))


def symbolic_check(rule: sympy.Expr, task: Task, budget: int = EXHAUSTIVE_BUDGET) -> Evidence:
    """Prove ``rule == task.reference`` on the per-step domain, or say why not."""
    began = time.perf_counter()

    def evidence(passed: bool, cases: int, detail: str, **extra: Any) -> Evidence:
        return Evidence(
            "symbolic",
            passed,
            cases,
            None,
            extra.get("error", 0.0),
            None,
            time.perf_counter() - began,
            extra.get("counterexample"),
            detail,
        )

    if task.reference is None:
        return evidence(False, 0, "not applicable: the task has no reference rule")
    try:
        mine = canonical(sympy.sympify(rule), task)
        reference = canonical(task.reference, task)
    except (ValueError, sympy.SympifyError) as exc:
        return evidence(False, 0, f"not proven: the rule {exc}")
    if sympy.simplify(mine - reference) == 0:
        return evidence(True, 0, f"sympy: simplify(rule - reference) = 0 for rule {mine}")
    symbols = sorted(mine.free_symbols | reference.free_symbols, key=lambda s: s.name)
    ranges = [per_step_values(s, task) for s in symbols]
    infinite = [str(s) for s, r in zip(symbols, ranges, strict=True) if r is None]
    if infinite:
        unbounded = ", ".join(infinite)
        return evidence(False, 0, f"not proven: sympy cannot simplify; {unbounded} unbounded")
    count = math.prod(len(r) for r in ranges if r is not None)
    if count > budget:
        return evidence(False, 0, f"not proven: {count} domain points exceed the budget {budget}")
    return _enumerate(mine, reference, symbols, ranges, evidence)  # type: ignore[arg-type]


def _enumerate(
    mine: sympy.Expr,
    reference: sympy.Expr,
    symbols: list[sympy.Symbol],
    ranges: list[list[int]],
    evidence: Any,
) -> Evidence:
    """Exact evaluation of both rules at every point of the finite per-step domain."""
    namespace = [{"Fraction": Fraction, "math": math}, "math"]
    f_mine = sympy.lambdify(symbols, mine, modules=namespace, printer=_ExactPrinter)
    f_ref = sympy.lambdify(symbols, reference, modules=namespace, printer=_ExactPrinter)
    names = ", ".join(map(str, symbols))
    for count, point in enumerate(itertools.product(*ranges), start=1):
        try:
            got, expected = f_mine(*point), f_ref(*point)
        except (ArithmeticError, ValueError, TypeError) as exc:
            detail = f"not proven: evaluating at {names} = {point} raised {type(exc).__name__}"
            return evidence(False, count, detail)
        if not (_exact(got) and _exact(expected)):
            detail = f"not proven: the rules do not evaluate exactly (at {names} = {point})"
            return evidence(False, count, detail)
        if got != expected:
            example = {
                "point": {str(s): v for s, v in zip(symbols, point, strict=True)},
                "expected": json_value(expected),
                "got": json_value(got),
            }
            detail = "disproved: the rule differs from the reference on the domain"
            return evidence(
                False, count, detail, counterexample=example, error=float(abs(got - expected))
            )
    total = math.prod(len(r) for r in ranges)
    return evidence(True, total, f"equal at all {total} points of the domain of {names}")
