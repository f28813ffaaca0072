"""Every op kind evaluates, inlines and emits: the emitted program equals the IR interpreter.

The oracle is the reference interpreter (w2c/compiler/interpret.py), not the emitter's own
output. The IR below holds every op class defined in w2c/compiler/ir.py; a new op kind that is
not added here (or that lacks an evaluation, inlining or emission) fails this test.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import numpy as np
import pytest
import sympy

from w2c.codegen.program import render
from w2c.compiler import ir as ir_module
from w2c.compiler.interpret import evaluate
from w2c.compiler.ir import (
    IR,
    Attend,
    DecisionList,
    Expr,
    FirstPosition,
    GatedShift,
    HeadWeights,
    Input,
    Node,
    Op,
    Output,
    PrevMatch,
    QueryGated,
    Shift,
    SubMLP,
    TaskInfo,
    WindowArgExtreme,
    sym,
)
from w2c.compiler.result import source_namespace

LENGTH = 6


def every_op_ir() -> IR:
    rng = np.random.default_rng(0)
    bins, d = 4, 3
    weights = HeadWeights(
        q_weight=rng.normal(size=(d, bins + 1)),
        q_bias=rng.normal(size=d),
        k_weight=rng.normal(size=(d, bins + 1)),
        k_bias=rng.normal(size=d),
        rel_bias=rng.normal(size=2 * LENGTH + 1),
        ple_bins=bins,
        ple_range=2.0,
        pad=LENGTH,  # the model has T pads: every earlier position is in reach
    )
    ops: dict[str, Op] = {
        "x": Input("x", 0),
        "e": Expr(2 * sym("x") + sympy.Rational(1, 2), ("x",)),
        "s": Shift("e", 1),
        "g": GatedShift("x", 2, "x", (1.0,)),
        "w": WindowArgExtreme("e", "x", 3, "max", "last", 1),
        "q": QueryGated("x", (0.0, 1.0), Shift("x", 1), FirstPosition("x")),
        "f": FirstPosition("e"),
        "p": PrevMatch("e", "x", "x"),
        "m": SubMLP(
            ("x", "e"), 0, 0, rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=3), 0.25
        ),
        "a": Attend("x", "x", "e", 0, 0, weights),
        "d": DecisionList(
            (("x", 0), ("e", 1)),
            ((((1.0, 0.5), (0.0, 2.5)), Shift("e", 1)), (((1.0, 2.5),), PrevMatch("e", "x", "x"))),
            Expr(sympy.Rational(-3, 2), ()),
        ),
    }
    nodes = [Node(name, op) for name, op in ops.items()]
    terms = tuple((name, float(i + 1) / 4) for i, name in enumerate(ops))
    nodes.append(Node("y", Output(terms, 0.5, 2.0)))
    return IR(TaskInfo("every_op", ("x",), False, LENGTH, None), tuple(nodes), "y")


def op_kinds_in(ir: IR) -> set[type]:
    found: set[type] = set()
    stack = [node.op for node in ir.nodes]
    while stack:
        op = stack.pop()
        found.add(type(op))
        stack.extend(v for v in vars(op).values() if isinstance(v, Op))
    return found


def test_the_ir_holds_every_op_kind() -> None:
    defined = {
        cls
        for cls in vars(ir_module).values()
        if isinstance(cls, type) and issubclass(cls, Op) and cls is not Op
    }
    assert not [cls for cls in defined if inspect.isabstract(cls)]
    assert op_kinds_in(every_op_ir()) == defined


CONTEXT = SimpleNamespace(model_hash="", pipeline=("emit",))


def emitted(ir: IR):  # type: ignore[no-untyped-def]
    return source_namespace(render(ir, CONTEXT), ir.task.name)["program"]


@pytest.mark.parametrize("with_attend", [False, True])
def test_emitted_program_equals_the_interpreter(with_attend: bool) -> None:
    ir = every_op_ir()
    if not with_attend:
        output = ir.node("y").op
        terms = tuple((n, w) for n, w in output.terms if n != "a")
        ir = ir.with_nodes(
            Node("y", Output(terms, output.bias, output.scale)) if n.name == "y" else n
            for n in ir.nodes
            if n.name != "a"
        )
    program = emitted(ir)
    xs = np.random.default_rng(1).integers(0, 2, size=(100, LENGTH)).astype(float)
    expected = evaluate(ir, {"x": xs})["y"]
    got = np.array([program(list(row)) for row in xs], dtype=float)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def random_head(seed: int, scale: float = 1.0) -> HeadWeights:
    """Random scoring weights: a head that matches no pattern (the model has T pads)."""
    rng = np.random.default_rng(seed)
    bins, d = 4, 3
    return HeadWeights(
        q_weight=scale * rng.normal(size=(d, bins + 1)),
        q_bias=rng.normal(size=d),
        k_weight=scale * rng.normal(size=(d, bins + 1)),
        k_bias=rng.normal(size=d),
        rel_bias=rng.normal(size=2 * LENGTH),
        ple_bins=bins,
        ple_range=2.0,
        pad=LENGTH,
    )


def head_kinds(src: str) -> dict[str, Op]:
    """One head of every kind reading ``src`` (x, or the fed-back y[t-1]); x is a bit."""
    return {
        "attend": Attend(src, src, src, 0, 0, random_head(3)),
        "attend_far_pads": Attend("x", src, src, 0, 0, random_head(4, scale=4.0)),
        "shift": Shift(src, 2),
        "gated_shift": GatedShift(src, 1, "x", (1.0,)),
        "window": WindowArgExtreme(src, src, 3, "max", "first", 0),
        "window_keyed": WindowArgExtreme(src, "x", 3, "min", "last", 1),
        "query_gated": QueryGated("x", (0.0, 1.0), Shift(src, 1), FirstPosition(src)),
        "first": FirstPosition(src),
        "prev_match": PrevMatch(src, "x", src),
        "gated_by_feedback": GatedShift(src, 1, "y_prev", (1.0, 2.0)),
        "query_gated_by_feedback": QueryGated(
            "y_prev", (0.0, 1.0), FirstPosition(src), Shift(src, 2)
        ),
        "cases": DecisionList(
            (("x", 0), ("y_prev", 1)),
            ((((0.0, 1.0), (1.0, 0.0)), Shift(src, 0)), (((1.0, 1.0),), PrevMatch(src, "x", src))),
            Expr(sympy.Integer(0), ()),
        ),
        "table": DecisionList(
            (("y_prev", 0),),
            (
                (((1.0,), (2.0,)), Expr(sympy.Rational(3, 2), ())),
                (((0.0,),), Expr(-sympy.Integer(1), ())),
            ),
            Expr(sympy.Integer(2), ()),
        ),
    }


def feedback_ir(head: Op) -> IR:
    """x and y[t-1] in, one head, y[t] = head/2 + x[t] + y[t-1]/4 + 1/4 (an integer task)."""
    nodes = (
        Node("x", Input("x", 0)),
        Node("y_prev", Input("y", 1)),
        Node("h", head),
        Node("y", Output((("h", 0.5), ("x", 1.0), ("y_prev", 0.25)), 0.25, 1.0)),
    )
    return IR(TaskInfo("heads", ("x",), True, LENGTH, 1), nodes, "y")


def closed_loop(ir: IR, xs: np.ndarray) -> np.ndarray:
    """The interpreter run on its own rounded outputs, one position at a time (the oracle)."""
    y = np.zeros_like(xs)
    for t in range(xs.shape[1]):
        y[:, t] = evaluate(ir, {"x": xs, "y": np.round(y)})["y"][:, t]
    return y


@pytest.mark.parametrize("src", ["x", "y_prev"])
@pytest.mark.parametrize("kind", sorted(head_kinds("x")))
def test_every_head_kind_is_emitted_over_inputs_and_feedback(kind: str, src: str) -> None:
    ir = feedback_ir(head_kinds(src)[kind])
    program = emitted(ir)
    xs = np.random.default_rng(2).integers(0, 2, size=(200, LENGTH)).astype(float)
    expected = closed_loop(ir, xs)
    got = np.array([program(list(row)) for row in xs], dtype=float)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_first_position_of_the_fed_back_output_is_a_pad() -> None:
    ir = feedback_ir(FirstPosition("y_prev"))
    program = emitted(ir)
    # y[t-1] at position 0 is a pad (0), so the head reads 0 everywhere, never y[t-1]
    xs = np.ones((1, LENGTH))
    assert closed_loop(ir, xs)[0].tolist() == program([1.0] * LENGTH)
    values = evaluate(ir, {"x": xs, "y": np.round(closed_loop(ir, xs))})["h"]
    assert not values.any()


def test_a_far_pad_can_win_the_fallback_head() -> None:
    """The case the fallback once missed: a pad more than ``pad`` positions back scores best."""
    bins, d = 4, 3
    rel_bias = np.zeros(2 * LENGTH)
    rel_bias[0] = 1.0  # the current position beats every nearer slot...
    rel_bias[LENGTH + 1 :] = 5.0  # ...but pads farther than LENGTH back beat it (t >= 1)
    weights = HeadWeights(
        q_weight=np.zeros((d, bins + 1)),
        q_bias=np.zeros(d),
        k_weight=np.zeros((d, bins + 1)),
        k_bias=np.zeros(d),
        rel_bias=rel_bias,
        ple_bins=bins,
        ple_range=2.0,
        pad=LENGTH,
    )
    ir = feedback_ir(Attend("x", "x", "x", 0, 0, weights))
    xs = np.random.default_rng(2).integers(0, 2, size=(50, LENGTH)).astype(float)
    head = evaluate(ir, {"x": xs, "y": np.round(closed_loop(ir, xs))})["h"]
    np.testing.assert_array_equal(head[:, 0], xs[:, 0])  # by hand: x[0] at t = 0, else a pad
    assert not head[:, 1:].any()
    got = np.array([emitted(ir)(list(row)) for row in xs], dtype=float)
    np.testing.assert_allclose(got, closed_loop(ir, xs), rtol=0, atol=1e-9)


def test_every_op_kind_inlines_or_stays_opaque() -> None:
    ir = every_op_ir()
    exprs: dict[str, sympy.Expr] = {}
    for node in ir.nodes:
        value = node.op.inline(exprs, ir)
        exprs[node.name] = sym(node.name) if value is None else value
    assert exprs["x"] == sympy.Symbol("x[t]", real=True) or "x" in str(exprs["x"])
