"""Symbolic check: the extracted update rule equals the task's reference rule on the domain.

First sympy: ``simplify(rule - reference) == 0`` is a proof on all reals. Where sympy cannot
decide (Max vs relu forms, Mod, |a - b| vs xor on bits) and every symbol ranges over a finite set,
both rules are evaluated *exactly* (Python integers and fractions, never floats) at every point of
the per-step domain: the product over the symbols of the channel's input domain (x symbols) or
the task's declared output domain (y symbols; integers, or the fractions of ``Fractions``), each
with 0 added for lagged symbols because reads before the start of a sequence are 0. A rule over a
symbol with an infinite range that sympy cannot simplify is "not proven": the method does not
apply. A task with several outputs proves each output's rule against its own reference.
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
from w2c.tasks import Fractions, IntRange, Task, parse_symbol, x_sym
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
        if name in task.outputs and not (task.feedback and lag >= 1):
            raise ValueError(f"{symbol} is not readable in task {task.name}")
        if name not in task.outputs and name not in task.channels:
            raise ValueError(f"{symbol} names no channel of task {task.name}")
        mapping[symbol] = x_sym(lag, name)
    return expr.xreplace(mapping)


def per_step_values(symbol: sympy.Symbol, task: Task) -> list[int | Fraction] | None:
    """The finite set a symbol ranges over in one update step, or None if infinite."""
    name, lag = parse_symbol(symbol)
    domain = task.output if name in task.outputs else task.inputs[task.channels.index(name)]
    if isinstance(domain, IntRange):
        values: set[int | Fraction] = set(range(domain.lo, domain.hi))
    elif isinstance(domain, Fractions):
        values = set(domain.exact_values())
    else:
        return None
    if lag >= 1:
        values.add(0)  # reads before the sequence start are 0
    return sorted(values)


def _exact(value: Any) -> bool:
    """Integers and fractions are exact; a float means some step rounded."""
    return isinstance(value, (int, Fraction, sympy.Rational))


def symbolic_check(
    rule: sympy.Expr | tuple[sympy.Expr, ...], task: Task, budget: int = EXHAUSTIVE_BUDGET
) -> Evidence:
    """Prove ``rule == task.reference`` on the per-step domain, or say why not.

    With several outputs, ``rule`` holds one rule per output and each is proved against its
    own reference; the evidence passes only when every one does.
    """
    references = task.references
    if task.n_outputs > 1 and references is not None:
        rules = tuple(rule) if isinstance(rule, (tuple, list)) else ()
        if len(rules) != task.n_outputs:
            detail = f"not proven: {len(rules)} rules for {task.n_outputs} outputs"
            return Evidence("symbolic", False, 0, None, 0.0, None, 0.0, None, detail)
        parts = [_one_check(r, ref, task, budget) for r, ref in zip(rules, references, strict=True)]
        return _combined(parts, task.outputs)
    return _one_check(rule, task.reference, task, budget)  # type: ignore[arg-type]


def _combined(parts: list[Evidence], outputs: tuple[str, ...]) -> Evidence:
    """One Evidence for the per-output proofs (a counterexample names its output)."""
    failed = next((i for i, e in enumerate(parts) if not e.passed), None)
    example = None
    if failed is not None and parts[failed].counterexample is not None:
        example = dict(parts[failed].counterexample, output=outputs[failed])  # type: ignore[arg-type]
    return Evidence(
        "symbolic",
        failed is None,
        sum(e.cases for e in parts),
        None,
        max(e.max_abs_error for e in parts),
        None,
        sum(e.seconds for e in parts),
        example,
        "; ".join(f"{o}: {e.detail}" for o, e in zip(outputs, parts, strict=True)),
    )


def _one_check(rule: sympy.Expr, reference: sympy.Expr | None, task: Task, budget: int) -> Evidence:
    """One rule against one reference rule (the method of this module's docstring)."""
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

    if reference is None:
        return evidence(False, 0, "not applicable: the task has no reference rule")
    try:
        mine = canonical(sympy.sympify(rule), task)
        reference = canonical(reference, task)
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
