"""Sub-MLPs on a finite operand domain: a table when no formula fits or the table is shorter.

Each sub-MLP is built by hand as the piecewise-linear interpolation of known points (one ReLU
per point), so its values on the domain are known without the compiler. mlp_symbolic must turn
it into a table (a DecisionList of constants) that gives those values, or keep a formula when
the formula is the shorter description, and the emitted program must equal the interpreter.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import sympy

from w2c.codegen.program import render
from w2c.compiler.interpret import evaluate
from w2c.compiler.ir import (
    IR,
    DecisionList,
    Expr,
    Input,
    Node,
    Output,
    SubMLP,
    TaskInfo,
    Traces,
    sym,
)
from w2c.compiler.pipeline import Context
from w2c.compiler.result import source_namespace
from w2c.passes import infer_domains, mlp_symbolic
from w2c.tasks import IntRange, Task

LENGTH = 4


def interpolating_mlp(operand: str, points: list[float], values: list[float]) -> SubMLP:
    """f(u) = values[0] + sum_i c_i relu(u - points[i]): through every (point, value)."""
    slopes = np.diff(values) / np.diff(points)
    changes = np.diff(slopes, prepend=0.0)
    w1 = np.ones((1, len(changes)))
    b1 = -np.array(points[:-1], dtype=float)
    return SubMLP((operand,), 0, 0, w1, b1, changes, float(values[0]))


def ir_with(mlp: SubMLP, square: bool) -> IR:
    """x in 0..n-1; the sub-MLP reads x, or x**2 (the domain {0, 1, 4, 9, 16})."""
    nodes = [Node("x", Input("x", 0))]
    if square:
        nodes.append(Node("sq", Expr(sym("x") ** 2, ("x",))))
    nodes += [Node("m", mlp), Node("y", Output((("m", 1.0),), 0.0, 1.0))]
    return IR(TaskInfo("table", ("x",), False, LENGTH, 1), tuple(nodes), "y")


def resolved(ir: IR, size: int) -> tuple[IR, np.ndarray]:
    """infer_domains then mlp_symbolic on traces of every sequence (the interpreter's values)."""
    grid = np.array(np.meshgrid(*[np.arange(size)] * LENGTH)).reshape(LENGTH, -1).T.astype(float)
    values = evaluate(ir, {"x": grid})
    traces = Traces({"x": grid}, values, {}, len(grid))
    task = Task("table", (IntRange(0, size),), lambda x: x[..., 0], length=LENGTH)
    context = Context(traces, task)
    return mlp_symbolic.PASS().run(infer_domains.PASS().run(ir, context), context), grid


def program_of(ir: IR):  # type: ignore[no-untyped-def]
    context = SimpleNamespace(model_hash="", pipeline=("emit",))
    return source_namespace(render(ir, context), "table")["program"]


def check_program(ir: IR, grid: np.ndarray, expected: np.ndarray) -> None:
    program = program_of(ir)
    got = np.array([program(list(row)) for row in grid], dtype=float)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_an_irregular_sub_mlp_is_its_table() -> None:
    table = [2.0, 0.0, 3.0, 1.0, 3.0, 0.0]
    ir, grid = resolved(ir_with(interpolating_mlp("x", list(range(6)), table), False), 6)
    node = ir.node("m")
    assert isinstance(node.op, DecisionList), node.line()
    assert node.evidence["rule"] == "table"
    # the table's own values, read off the rule, are the interpolated points
    points = np.arange(6.0)[:, None] * np.ones((1, LENGTH))
    np.testing.assert_array_equal(node.op.evaluate({"x": points}, {"x": points})[:, 0], table)
    assert all(isinstance(op, Expr) and op.expr.is_Integer for _, op in node.op.cases), (
        "integer table values are written as integers"
    )
    check_program(ir, grid, np.array(table)[grid.astype(int)])


def test_a_root_on_the_squares_is_a_table() -> None:
    mlp = interpolating_mlp("sq", [0, 1, 4, 9, 16], [0, 1, 2, 3, 4])
    ir, grid = resolved(ir_with(mlp, True), 5)
    node = ir.node("m")
    assert isinstance(node.op, DecisionList), node.line()
    assert node.op.features == (("sq", 0),)
    check_program(ir, grid, grid)  # sqrt(x**2) = x on 0..4


def test_a_formula_shorter_than_the_table_stays_a_formula() -> None:
    parity = [1.0 - (v % 2) for v in range(8)]
    ir, grid = resolved(ir_with(interpolating_mlp("x", list(range(8)), parity), False), 8)
    node = ir.node("m")
    assert isinstance(node.op, Expr), node.line()
    assert sympy.simplify(node.op.expr - (1 - sympy.Mod(sym("x"), 2))) == 0
    check_program(ir, grid, 1.0 - grid % 2)
