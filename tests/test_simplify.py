"""simplify's rationalisation on hand-built models with a small offset in the output head.

An integer task is judged after rounding, so an offset that never changes a rounded output goes
and the rule keeps only exact constants; a real task keeps whatever its outputs need.
"""

from __future__ import annotations

import sympy
import torch

from helpers import checkpoint_dict, pointer_model
from w2c.compiler import compile_model
from w2c.corpus import TASKS
from w2c.network.checkpoint import validate
from w2c.tasks import Task, x_sym


def _compile(task: Task, offset: float):  # type: ignore[no-untyped-def]
    model = pointer_model(task, [(0, 1)])
    with torch.no_grad():
        model.out_bias += offset / model.config.output_scale
    return compile_model(validate(checkpoint_dict(model, task)), task=task)


def _rule(compiled) -> sympy.Expr:  # type: ignore[no-untyped-def]
    return compiled.ir.node(compiled.ir.output).op.rule


def test_an_offset_that_never_changes_a_rounded_output_is_dropped() -> None:
    compiled = _compile(TASKS["sum_last2"], -0.004)
    verification = compiled.report.verification
    assert verification.passed and verification.correctness.strength == "proved", (
        verification.lines()
    )
    rule = _rule(compiled)
    assert not rule.atoms(sympy.Float), rule
    assert compiled.report.constants == "exact"
    assert "Constants: INEXACT" not in compiled.source
    assert sympy.simplify(rule - (x_sym(0) + x_sym(1))) == 0


DRIFT = Task(
    "drift",
    TASKS["spring"].inputs,
    lambda x: x[..., 0] + 0.25,
    reference=x_sym(0) + sympy.Rational(1, 4),
)


def test_a_real_task_keeps_the_constant_its_outputs_need() -> None:
    compiled = _compile(DRIFT, 0.0)
    verification = compiled.report.verification
    # correctness proved over exact reals; fidelity of a real task is sampled: CHECKED
    assert verification.verdict == "CHECKED" and verification.correctness.strength == "proved"
    assert sympy.simplify(_rule(compiled) - (x_sym(0) + sympy.Rational(1, 4))) == 0


def test_a_real_task_does_not_snap_a_constant_the_traces_refuse() -> None:
    compiled = _compile(DRIFT, 0.04)  # the model computes x + 0.29; 3/10 would be 0.01 off
    # 29/100 passes the description-length rule (docs/compiler.md): the short decimal (14 bits)
    # explains about 27 bits of the model's float32 constant, more than 14 + the 12-bit margin
    assert sympy.simplify(_rule(compiled) - (x_sym(0) + sympy.Rational(29, 100))) == 0
    assert not compiled.report.verification.correctness.passed  # 0.29 is not the task's 1/4
    assert compiled.report.verification.fidelity.passed
